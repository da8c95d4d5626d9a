// Failures that must not look like success: a Gateway port in use stops `weft up` with a clear error;
// "ready" is printed only when every app is ready and every proxy SYNCED, and what is not ready is named;
// a second signal kills everything and leaves nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestMesh, ECHO, CLI, freePort, waitFor, runCli } from './helpers/mesh.js';
import { gatewayDoc } from './helpers/yaml.js';
import { call } from '../src/control/client.js';
import { findControl } from '../src/control/discovery.js';
import type { ControlStatus } from '../src/api/control-api.js';

const echo = (name: string) => `---
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: { name: ${name}, labels: { app: ${name} } }
spec:
  command: ${process.execPath}
  args: [${JSON.stringify(ECHO)}]
  readinessProbe: { httpGet: { path: /healthz } }
`;

const head = (gw: number) => `apiVersion: weft.dev/v1alpha1
kind: Mesh
metadata: { name: fail }
spec: { trustDomain: fail.local }
---
${gatewayDoc(gw, 'web')}${echo('good')}`;

function up(dir: string, args: string[], env: NodeJS.ProcessEnv): { proc: ChildProcess; out: () => string; exit: Promise<number | null> } {
  const proc = spawn(process.execPath, [CLI, 'up', ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  return { proc, out: () => out, exit: new Promise((resolve) => proc.once('exit', (c) => resolve(c))) };
}

test('a Gateway port already in use: a clear error naming gateway, listener and port, exit 1, nothing left behind', async () => {
  const port = await freePort();
  const holder = net.createServer();
  await new Promise<void>((r) => holder.listen(port, '127.0.0.1', r));
  const mesh = new TestMesh(head(port));
  try {
    const u = up(mesh.dir, ['-f', mesh.file], { WEFT_HOME: mesh.home });
    const code = await Promise.race([u.exit, new Promise<string>((r) => setTimeout(() => r('still running'), 40_000).unref())]);
    if (code === 'still running') u.proc.kill('SIGKILL');
    assert.equal(code, 1, u.out());
    assert.match(u.out(), new RegExp(`weft: cannot start the mesh: Gateway edge listener web: port ${port} on 127\\.0\\.0\\.1 is already in use`));
    assert.ok(!u.out().includes('weft: ready'));
    await waitFor('no process left behind', () => mesh.leftovers().length === 0 ? true : undefined, 10_000);
  } finally {
    holder.close();
  }
});

test('weft up without -f uses ./mesh.yaml, and says so when there is none', async () => {
  const empty = mkdtempSync(path.join(os.tmpdir(), 'weft-nofile-'));
  const r = await runCli(['up'], { WEFT_HOME: path.join(empty, 'home') }, empty);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no -f given and no mesh\.yaml in .*: pass -f FILE/);
});

test('not ready: says which app and why, no "ready" line; "ready" once it is true', async () => {
  const gw = await freePort();
  const broken = `---
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: { name: broken, labels: { app: broken } }
spec:
  command: /nonexistent/weft-test-command
`;
  const crash = `---
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: { name: crash, labels: { app: crash } }
spec:
  command: ${process.execPath}
  args: ["-e", "console.error('crash fixture: giving up'); process.exit(3)"]
`;
  const mesh = new TestMesh(head(gw) + broken + crash);
  // No -f: ./mesh.yaml in the working directory.
  const u = up(mesh.dir, [], { WEFT_HOME: mesh.home, WEFT_READY_TIMEOUT_MS: '10000' }); // long enough for the crashing app to have exited once, even on a busy machine
  try {
    await waitFor('the not-ready report', () => /not ready after 10 s:[\s\S]*crash-0: app exited with code 3/.test(u.out()), 30_000);
    const out = u.out();
    assert.match(out, /broken-0: cannot start \/nonexistent\/weft-test-command: command not found.*see `weft logs broken-0`/);
    assert.match(out, /crash-0: app exited with code 3, restarted \d+ times; see `weft logs crash-0`/);
    assert.ok(!out.includes('weft: ready'), out);
    assert.match(out, /weft: gateway edge\/web listening at/);
    assert.ok(!/good-0: /.test(out.slice(out.indexOf('not ready after'))), 'a ready app is not listed');

    // Status shows readiness and restarts; `weft logs` has the app's own words.
    process.env.WEFT_HOME = mesh.home;
    const st = await call<ControlStatus>(findControl(JSON.parse(readFileSync(path.join(mesh.dir, '.weft', 'runtime.json'), 'utf8')).control), 'GET', '/v1/status');
    const c = st.proxies.find((p) => p.name === 'crash-0')!;
    assert.equal(c.app?.ready, false);
    assert.ok((c.app?.restarts ?? 0) >= 1);
    assert.equal(c.app?.lastExit, 'code 3');
    assert.match(st.proxies.find((p) => p.name === 'broken-0')!.app?.error ?? '', /command not found/);
    assert.equal(st.proxies.find((p) => p.name === 'good-0')!.app?.ready, true);
    const logs = await runCli(['logs', 'crash-0', '--app'], { WEFT_HOME: mesh.home }, mesh.dir);
    assert.match(logs.stdout, /crash fixture: giving up/);

    // Fix the config: the broken workload gets a real command, the crashing one goes.
    writeFileSync(mesh.file, head(gw) + echo('broken'));
    await waitFor('"ready" once every app is ready', () => u.out().includes('weft: ready'), 30_000);
  } finally {
    u.proc.kill('SIGINT');
    assert.equal(await u.exit, 0);
  }
  await waitFor('no process left behind', () => mesh.leftovers().length === 0 ? true : undefined, 10_000);
});

test('a second signal kills every process at once and leaves nothing behind', async () => {
  const gw = await freePort();
  // An app that ignores SIGTERM: the first stop waits out its grace period, so the second signal always
  // arrives while the mesh is still stopping (with a quick app the first stop could finish first).
  const stubborn = `---
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: { name: stubborn, labels: { app: stubborn } }
spec:
  command: ${process.execPath}
  args: ["-e", "process.on('SIGTERM', () => {}); require('http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1')"]
`;
  const mesh = new TestMesh(head(gw) + echo('other') + stubborn);
  await mesh.start();
  const pids = mesh.runtime().processes.map((p) => p.pid).filter((p): p is number => typeof p === 'number');
  assert.ok(pids.length >= 5);
  const done = new Promise<number | null>((resolve) => mesh.proc.once('exit', (c) => resolve(c)));
  mesh.proc.kill('SIGINT');
  await waitFor('the first signal to be taken', () => mesh.output.includes('SIGINT: stopping'), 5000);
  mesh.proc.kill('SIGINT');
  assert.equal(await done, 130);
  assert.match(mesh.output, /SIGINT again: killing every process now/);
  const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
  await waitFor('every child gone', () => (pids.every((p) => !alive(p) || isZombie(p)) && mesh.leftovers().length === 0) ? true : undefined, 10_000);
  const runFiles = readdirSync(path.join(mesh.home, 'meshes')).filter((n) => n.endsWith('.json'));
  assert.deepEqual(runFiles, [], 'the control plane\'s run file is removed too');
});

function isZombie(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? false;
  } catch {
    return true;
  }
}
