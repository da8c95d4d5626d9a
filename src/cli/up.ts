import path from 'node:path';
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Command } from 'commander';
import type { LocalMesh, GatewayUrl, JoinedHost } from '../runtime/up.js';
import { fail, intArg } from './common.js';

export interface UpRun {
  mesh: LocalMesh;
  urls: GatewayUrl[];
}

export interface StartOptions {
  /** Stream every process's output to the terminal, as well as to the log files. */
  verbose?: boolean;
  /** Where the mesh's lines go (default stdout); `weft demo` passes its live view's stream. */
  out?: NodeJS.WritableStream;
  /** Control-plane replicas (an HA control plane; needs an etcd store). */
  controlReplicas?: number;
  /** This host's address for other hosts (`--address`). */
  advertise?: string;
  /** A joined host: no files, no control plane of its own. */
  join?: JoinedHost;
}

/**
 * Validates the files, starts the local mesh and stops it cleanly on SIGINT/SIGTERM (a second signal
 * kills everything at once). A mesh that cannot start as configured is stopped and the process exits 1.
 */
export async function startLocalMesh(files: string[], stateDir: string | undefined, onStop?: () => void, so: StartOptions = {}): Promise<UpRun> {
  const { loadFiles, allErrors } = await import('../api/load.js');
  const { LocalMesh, MeshStartError } = await import('../runtime/up.js');
  const { objects, errors } = await loadFiles(files);
  const all = allErrors(objects, errors);
  if (all.length > 0) {
    for (const e of all) process.stderr.write(`${String(e)}\n`);
    fail(`${all.length} error${all.length === 1 ? '' : 's'} in ${files.join(', ')}; nothing started`);
  }
  // `weft up | head` closing the pipe must not crash the mesh with EPIPE.
  process.stdout.on('error', () => {});
  const dir = stateDir ?? path.join(path.dirname(path.resolve(files[0])), '.weft');
  const out = so.out ?? process.stdout;
  const { Logs } = await import('../runtime/logs.js');
  const logs = so.out === undefined ? undefined : new Logs(so.out, process.stdout.isTTY === true && !process.env.NO_COLOR, { verbose: so.verbose });
  const mesh = new LocalMesh({
    files: files.map((f) => path.resolve(f)), objects, stateDir: dir, verbose: so.verbose, logs,
    controlRestartDelayMs: Number(process.env.WEFT_CONTROL_RESTART_DELAY_MS ?? 1000),
    readyTimeoutMs: process.env.WEFT_READY_TIMEOUT_MS ? Number(process.env.WEFT_READY_TIMEOUT_MS) : undefined,
    controlReplicas: so.controlReplicas,
    ...(so.advertise !== undefined ? { advertise: so.advertise } : {}),
    ...(so.join !== undefined ? { join: so.join } : {}),
  });
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) {
      // Second signal: no more waiting, but nothing left behind either.
      out.write(`\n${sig} again: killing every process now\n`);
      mesh.kill();
      process.exit(130);
    }
    stopping = true;
    out.write(`\n${sig}: stopping (again to force)\n`);
    onStop?.();
    mesh.stop().then(() => process.exit(0), (e) => { process.stderr.write(`weft: stop failed: ${(e as Error).message}\n`); mesh.kill(); process.exit(1); });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  let urls: GatewayUrl[];
  try {
    urls = await mesh.start();
  } catch (e) {
    const known = e instanceof MeshStartError;
    process.stderr.write(`weft: ${known ? 'cannot start the mesh: ' : ''}${(e as Error).message}\n`);
    stopping = true;
    await mesh.stop().catch(() => mesh.kill());
    process.exit(1);
  }
  return { mesh, urls };
}

export function printUrls(urls: GatewayUrl[], out: NodeJS.WritableStream = process.stdout): void {
  if (urls.length === 0) out.write('weft: no Gateway in the config: nothing is exposed outside the mesh\n');
  for (const u of urls) out.write(`weft: gateway ${u.name}/${u.listener} listening at ${u.url}\n`);
}

/** `-f` as given, else ./mesh.yaml (a clear error when there is none). */
export function meshFiles(given: string[] | undefined): string[] {
  if (given && given.length > 0) return given;
  if (!existsSync('mesh.yaml')) fail(`no -f given and no mesh.yaml in ${process.cwd()}: pass -f FILE (e.g. \`weft up -f examples/shop/mesh.yaml\`)`);
  return ['mesh.yaml'];
}

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('run a local mesh: control plane, every workload with its sidecar, and the ingress gateways')
    .option('-f, --file <file...>', 'mesh config (multi-document YAML; default ./mesh.yaml)')
    .option('--state <dir>', 'state directory (default: .weft beside the first file)')
    .option('--verbose', 'stream every app and proxy line (access logs too) to the terminal; `weft logs` reads them otherwise')
    .option('--control-replicas <n>', 'run an HA control plane of n replicas (1-7) sharing an etcd store (WEFT_STORE, WEFT_STORE_KEY_FILE; docs/fleet.md)', intArg('--control-replicas', 1, 7), 1)
    .option('--address <ip>', "this host's address for hosts that join (weft join): the control plane and sidecars' inbound listeners bind to it (default 127.0.0.1: this machine only)")
    .action(async (o: { file?: string[]; state?: string; verbose?: boolean; controlReplicas: number; address?: string }) => {
      const { mesh, urls } = await startLocalMesh(meshFiles(o.file), o.state, undefined, { verbose: o.verbose, controlReplicas: o.controlReplicas, ...(o.address !== undefined ? { advertise: checkAddress(o.address) } : {}) });
      printUrls(urls);
      const say = () => process.stdout.write('weft: ready. `weft status` shows every proxy, `weft logs NAME` any process\'s output; Ctrl-C stops everything.\n');
      if (mesh.readyNow) say();
      else void mesh.ready.then(say);
    });
}

/** An IP address to bind to, or a clear error. */
export function checkAddress(a: string): string {
  if (isIP(a) === 0) fail(`--address must be an IP address of this host (e.g. 10.0.0.1), got ${JSON.stringify(a)}`);
  return a;
}
