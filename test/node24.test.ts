// weft runs on Node.js >= 24 even where the machine's own `node` is older: started the way a user starts it
// (bin/weft through `#!/usr/bin/env node`, with the machine's node first on PATH), the CLI re-runs itself on
// the Node 24 that `npm ci` installed, and the control plane, proxies and a `command: node` app it starts
// all run on Node >= 24. Checked on real processes through /proc/<pid>/exe.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { accessSync, constants, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { TestMesh, ECHO, ROOT, waitFor } from './helpers/mesh.js';

const WEFT = path.join(ROOT, 'bin', 'weft');

// PATH as a shell on this machine has it: without the node_modules directories that `npm test` (and the
// re-run onto the bundled Node) put first, so `/usr/bin/env node` in bin/weft finds the machine's node.
const machinePath = (process.env.PATH ?? '').split(path.delimiter).filter((d) => d && !path.resolve(d).startsWith(path.join(ROOT, 'node_modules'))).join(path.delimiter);

function machineNode(): string | undefined {
  for (const d of machinePath.split(path.delimiter)) {
    const p = path.join(d, 'node');
    try {
      accessSync(p, constants.X_OK);
      return realpathSync(p);
    } catch { /* not here */ }
  }
  return undefined;
}

const versions = new Map<string, string>();
/** The Node version of a running process, asked of the very binary it runs. */
function nodeVersionOf(pid: number): { exe: string; major: number; version: string } {
  const exe = readlinkSync(`/proc/${pid}/exe`);
  if (!versions.has(exe)) versions.set(exe, execFileSync(exe, ['--version']).toString().trim());
  const version = versions.get(exe)!;
  return { exe, version, major: Number(/^v(\d+)\./.exec(version)?.[1]) };
}

const ppidOf = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
};

const yaml = `apiVersion: weft.dev/v1alpha1
kind: Mesh
metadata: { name: n24 }
spec: { trustDomain: n24.local }
---
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: { name: echo, labels: { app: echo } }
spec:
  command: node
  args: [${JSON.stringify(ECHO)}]
  readinessProbe: { httpGet: { path: /healthz } }
---
apiVersion: v1
kind: Service
metadata: { name: echo }
spec:
  selector: { app: echo }
  ports: [{ port: 80 }]
`;

const machine = machineNode();
let mesh: TestMesh;

before(async () => {
  if (machine === undefined) return;
  mesh = new TestMesh(yaml);
  await mesh.start({ PATH: machinePath }, [WEFT]);
});

after(async () => {
  if (mesh?.proc && mesh.proc.exitCode === null) await mesh.stop('SIGTERM');
});

test('the test runner is on Node >= 24, and so is every process the suite forks with process.execPath', () => {
  assert.ok(Number(process.versions.node.split('.')[0]) >= 24, `tests on ${process.version} (${process.execPath})`);
});

test('bin/weft, its control plane, proxy and a `command: node` app run on Node >= 24', { skip: machine === undefined && 'no node on PATH outside node_modules' }, () => {
  const machineMajor = Number(execFileSync(machine!, ['-p', 'process.versions.node.split(".")[0]']).toString().trim());
  const rt = mesh.runtime();
  const launcher = mesh.proc.pid!;
  if (machineMajor < 24) {
    // Re-run: the process we started is the machine's node, and the CLI is its child on another binary.
    assert.equal(realpathSync(readlinkSync(`/proc/${launcher}/exe`)), machine);
    assert.notEqual(rt.pid, launcher, 'the CLI re-ran itself in a child process');
    assert.equal(ppidOf(rt.pid), launcher);
  } else {
    assert.equal(rt.pid, launcher, 'no re-run needed on Node >= 24');
  }
  const cli = nodeVersionOf(rt.pid);
  assert.ok(cli.major >= 24, `CLI on ${cli.version} (${cli.exe})`);
  const byName = new Map(rt.processes.map((p) => [p.name, p.pid]));
  for (const name of ['control', 'echo-0/proxy', 'echo-0']) {
    const pid = byName.get(name);
    assert.ok(pid, `${name} in runtime.json: ${JSON.stringify(rt.processes)}`);
    const v = nodeVersionOf(pid);
    assert.ok(v.major >= 24, `${name} on ${v.version} (${v.exe})`);
    assert.equal(v.exe, cli.exe, `${name} runs on the CLI's own binary`);
  }
});

test('SIGTERM to bin/weft stops the mesh gracefully and exits 0 with nothing left behind', { skip: machine === undefined && 'no node on PATH outside node_modules' }, async () => {
  const pids = [mesh.runtime().pid, ...mesh.runtime().processes.map((p) => p.pid)];
  // Sent to the process we started (the launcher when the machine's node is older): it passes SIGTERM on.
  const code = await mesh.stop('SIGTERM');
  assert.equal(code, 0, mesh.output.slice(-2000));
  assert.match(mesh.output, /SIGTERM: stopping[\s\S]*stopping control plane[\s\S]*stopped/);
  const gone = (pid: number) => { try { process.kill(pid, 0); return false; } catch { return true; } };
  await waitFor('every child to exit', () => pids.every(gone), 10_000);
  assert.deepEqual(mesh.leftovers(), []);
});
