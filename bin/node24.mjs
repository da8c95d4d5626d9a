// weft runs on Node.js >= 24. A machine whose own `node` is older still runs `./bin/weft`, `npm test` and
// `npm run bench`: `npm ci` installs Node 24 as the `node` dependency (its preinstall fetches the binary
// for this platform), and runOnNode24() re-runs the current script with that binary.
// Plain JavaScript with no dependencies, so any Node that can run npm can load it.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { isatty } from 'node:tty';
import { fileURLToPath } from 'node:url';

export const MIN_NODE_MAJOR = 24;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Set in the re-run process to the binary it runs on: if that binary is itself too old, say so instead of
// re-running again and again. Removed from the environment once on Node >= 24, so that processes started
// from there (a test that starts `/usr/bin/node bin/weft`, say) are judged afresh.
const GUARD = 'WEFT_NODE24_REEXEC';

/** The bundled Node binary (the `node` dependency) as a real path, or why there is none. */
export function bundledNode() {
  const require = createRequire(import.meta.url);
  let pkgFile;
  try {
    // Resolved like any dependency, so it is found whether npm nested it under weft or hoisted it.
    pkgFile = require.resolve('node/package.json');
  } catch {
    return { missing: 'the bundled Node 24 (npm package `node`) is not installed' };
  }
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
  const rel = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.node;
  const bin = path.resolve(path.dirname(pkgFile), rel ?? 'bin/node');
  try {
    // bin/node is the platform binary, hard-linked there by the package's preinstall script; a symlink
    // (some installers) is followed, so /proc/<pid>/exe and process.execPath name the real file.
    const real = realpathSync(bin);
    if (statSync(real).isFile()) return { path: real };
  } catch { /* not there */ }
  return { missing: `the bundled Node 24 has no binary at ${bin} (its install script did not run: npm --ignore-scripts, or allowScripts denies \`node\`)` };
}

function fail(who, msg) {
  process.stderr.write(`${who}: ${msg}\n`);
  process.exit(1);
}

/**
 * Returns at once on Node >= 24. On an older Node, runs this same script (process.argv, process.execArgv)
 * with the bundled Node 24, stdio inherited, waits for it and exits as it did; never returns.
 */
export async function runOnNode24(who) {
  if (Number(process.versions.node.split('.')[0]) >= MIN_NODE_MAJOR) {
    delete process.env[GUARD];
    return;
  }
  if (process.env[GUARD]) {
    fail(who, `needs Node.js >= ${MIN_NODE_MAJOR}, but the bundled ${process.env[GUARD]} is ${process.version}: run \`npm ci\` in ${ROOT}`);
  }
  const node = bundledNode();
  if (node.path === undefined) {
    fail(who, `needs Node.js >= ${MIN_NODE_MAJOR}; this is ${process.version} (${process.execPath}) and ${node.missing}.\nRun \`npm ci\` in ${ROOT}: it installs Node ${MIN_NODE_MAJOR} there.`);
  }
  // The bundled binary's directory goes first on PATH, as `npm run` does with node_modules/.bin: apps that
  // weft starts with `command: node` (examples/shop) then run on Node 24 like weft itself.
  const env = { ...process.env, [GUARD]: node.path, PATH: [path.dirname(node.path), process.env.PATH].filter(Boolean).join(path.delimiter) };
  const child = spawn(node.path, [...process.execArgv, process.argv[1], ...process.argv.slice(2)], { stdio: 'inherit', env });

  const forward = (sig) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  };
  // Ctrl-C in a terminal reaches every process in the foreground process group, the child as well. Passing
  // it on too would be a second SIGINT, which `weft up` takes as "stop now, skip the graceful shutdown". A
  // SIGINT from elsewhere (kill <pid>, a supervisor) reaches only this process and must be passed on.
  // Either way this process stays until the child has exited.
  const onInt = () => { if (!inTerminalForeground()) forward('SIGINT'); };
  const onTerm = () => forward('SIGTERM');
  const onHup = () => forward('SIGHUP');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  process.on('SIGHUP', onHup);

  const code = await new Promise((resolve) => {
    child.once('error', (e) => { process.stderr.write(`${who}: cannot start ${node.path}: ${e.message}\n`); resolve(1); });
    child.once('exit', (c, sig) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      process.off('SIGHUP', onHup);
      if (sig) {
        // Die of the same signal, so a shell or supervisor sees what the child saw. With the handlers gone
        // the default action applies; the exit code below is for a signal whose default is not to die.
        process.kill(process.pid, sig);
        resolve(128 + (constants.signals[sig] ?? 0));
      } else resolve(c ?? 1);
    });
  });
  process.exit(code);
}

/** Whether this process is in its terminal's foreground process group (where Ctrl-C is delivered). */
function inTerminalForeground() {
  try {
    // /proc/self/stat after "(comm) ": state ppid pgrp session tty_nr tpgid ...
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgrp = Number(f[2]), tpgid = Number(f[5]);
    return tpgid > 0 && tpgid === pgrp;
  } catch {
    return isatty(0); // no /proc: the best guess left (isatty, not process.stdin, which would open a stream)
  }
}
