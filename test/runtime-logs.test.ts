// `weft up` is quiet: lifecycle and problems on the terminal, every app and proxy line in files under the
// state dir, read with `weft logs`. `--verbose` streams everything as before.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TestMesh, ECHO, CLI, freePort, httpCall, waitFor } from './helpers/mesh.js';
import { gatewayDoc } from './helpers/yaml.js';
import { call } from '../src/control/client.js';
import type { ControlStatus } from '../src/api/control-api.js';
import { findControl } from '../src/control/discovery.js';

function meshYaml(gw: number, name: string): string {
  return `apiVersion: weft.dev/v1alpha1
kind: Mesh
metadata: { name: ${name} }
spec: { trustDomain: ${name}.local }
---
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: { name: echo, labels: { app: echo } }
spec:
  command: ${process.execPath}
  args: [${JSON.stringify(ECHO)}]
  replicas: 2
  readinessProbe: { httpGet: { path: /healthz } }
---
apiVersion: v1
kind: Service
metadata: { name: echo }
spec:
  selector: { app: echo }
  ports: [{ name: http, port: 80, appProtocol: http }]
---
${gatewayDoc(gw)}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: r }
spec:
  parentRefs: [{ name: edge }]
  rules: [{ backendRefs: [{ name: echo, port: 80 }] }]
`;
}

let mesh: TestMesh;
let gw: number;

before(async () => {
  gw = await freePort();
  mesh = new TestMesh(meshYaml(gw, 'quiet'));
  await mesh.start();
  await mesh.waitAllSynced();
  await waitFor('echo reachable', async () => (await httpCall(gw, '/')).status === 200);
});

after(async () => {
  if (mesh?.proc && mesh.proc.exitCode === null) await mesh.stop();
});

test('the terminal shows no access log or app output; the files under the state dir have them', async () => {
  const rid = `quiet-${Date.now()}`;
  for (let i = 0; i < 10; i++) assert.equal((await httpCall(gw, `/q${i}`, { headers: { 'x-request-id': rid } })).status, 200);
  const gwLog = path.join(mesh.dir, '.weft', 'logs', 'gateway-edge', 'proxy.log');
  await waitFor('the gateway access-log lines in its file', () => readFileSync(gwLog, 'utf8').split('\n').filter((l) => l.includes(rid)).length >= 10);
  const line = readFileSync(gwLog, 'utf8').split('\n').find((l) => l.includes(rid))!;
  assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \{/, 'each line starts with its time');
  assert.match(readFileSync(path.join(mesh.dir, '.weft', 'logs', 'echo-0', 'app.log'), 'utf8'), /echo-0 listening on \d+/);
  assert.match(readFileSync(path.join(mesh.dir, '.weft', 'logs', 'control.log'), 'utf8'), /control plane .* api=/);
  assert.ok(!mesh.output.includes(rid), 'no access-log line on the terminal');
  assert.ok(!/\| \{"/.test(mesh.output), `no JSON line on the terminal:\n${mesh.output}`);
  assert.ok(!mesh.output.includes('listening on'), 'no app output on the terminal');
  assert.ok(!mesh.output.includes('applied config'), 'no routine proxy line on the terminal');
});

test('config problems stay visible on the terminal', async () => {
  const good = readFileSync(mesh.file, 'utf8');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(mesh.file, good.replace('replicas: 2', 'replicas: -1'));
  await waitFor('the rejected edit on the terminal', () => /control\s+\| rejected change to .*mesh\.yaml/.test(mesh.output));
  writeFileSync(mesh.file, good);
  await waitFor('the reload on the terminal', () => /control\s+\| reloaded .*mesh\.yaml/.test(mesh.output));
  // After a good start, a listener that cannot bind is a problem line (the NACK), not the end of the mesh.
  const busy = await freePort();
  const holder = net.createServer();
  await new Promise<void>((r) => holder.listen(busy, '127.0.0.1', r));
  try {
    writeFileSync(mesh.file, good.replace(`port: ${gw}`, `port: ${busy}`));
    await waitFor('the NACK on the terminal', () => new RegExp(`gateway-edge \\| rejected config \\w+: listener http: cannot listen on 127\\.0\\.0\\.1:${busy}: EADDRINUSE`).test(mesh.output));
    assert.equal(mesh.proc.exitCode, null, 'the mesh keeps running');
    assert.equal((await httpCall(gw, '/still')).status, 200, 'the gateway keeps its last good listener');
  } finally {
    holder.close();
    writeFileSync(mesh.file, good);
  }
  await mesh.waitAllSynced();
});

test('weft logs: a workload merges its replicas, a proxy, -f follows, unknown names are errors', async () => {
  const w = await mesh.cli(['logs', 'echo']);
  assert.equal(w.code, 0, w.stderr);
  assert.match(w.stdout, /^echo-0\s+\| echo-0 listening on/m);
  assert.match(w.stdout, /^echo-1\s+\| echo-1 listening on/m);
  assert.match(w.stdout, /^echo-0\/proxy \| /m);

  const rid = `logs-${Date.now()}`;
  assert.equal((await httpCall(gw, '/for-logs', { headers: { 'x-request-id': rid } })).status, 200);
  const gwLines = await waitFor('the gateway line through weft logs', async () => {
    const r = await mesh.cli(['logs', 'gateway-edge']);
    return r.code === 0 && r.stdout.includes(rid) ? r.stdout : undefined;
  });
  assert.match(gwLines.split('\n').find((l) => l.includes(rid))!, /^\{"/, 'one file: lines as written, no prefix');
  const apps = await mesh.cli(['logs', 'echo', '--app']);
  assert.ok(!apps.stdout.includes('/proxy |'), '--app leaves the proxies out');
  const future = await mesh.cli(['logs', 'gateway-edge', '--since', '2999-01-01T00:00:00Z']);
  assert.equal(future.code, 0);
  assert.equal(future.stdout, '');
  const bad = await mesh.cli(['logs', 'ecoh']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /no workload, replica or proxy named "ecoh".*did you mean "echo"\?/);
  assert.match(bad.stderr, /names: .*gateway-edge/);
  const badSince = await mesh.cli(['logs', 'echo', '--since', 'yesterday']);
  assert.notEqual(badSince.code, 0);
  assert.match(badSince.stderr, /--since must be/);

  // -f: a line written after it started shows up.
  const f = spawn(process.execPath, [CLI, 'logs', 'gateway-edge', '-f'], { cwd: mesh.dir, env: { ...process.env, ...mesh.env } });
  let out = '';
  f.stdout.on('data', (d) => (out += d));
  try {
    await waitFor('weft logs -f to print the existing lines', () => out.includes(rid));
    const rid2 = `follow-${Date.now()}`;
    assert.equal((await httpCall(gw, '/followed', { headers: { 'x-request-id': rid2 } })).status, 200);
    await waitFor('the new line through weft logs -f', () => out.includes(rid2), 10_000);
  } finally {
    f.kill();
  }
});

test('status carries each app\'s readiness and restarts from the runtime', async () => {
  process.env.WEFT_HOME = mesh.home;
  const s = await call<ControlStatus>(findControl(mesh.controlUrl), 'GET', '/v1/status');
  const echo0 = s.proxies.find((p) => p.name === 'echo-0')!;
  assert.deepEqual({ running: echo0.app?.running, ready: echo0.app?.ready, restarts: echo0.app?.restarts }, { running: true, ready: true, restarts: 0 });
  assert.equal(echo0.restarts, 0);
});

test('--verbose streams every line to the terminal as well', async () => {
  const port = await freePort();
  const v = new TestMesh(meshYaml(port, 'loud'));
  try {
    await v.start({}, undefined, ['--verbose']);
    const rid = `loud-${Date.now()}`;
    await waitFor('echo reachable', async () => (await httpCall(port, '/', { headers: { 'x-request-id': rid } })).status === 200);
    await waitFor('the access-log line on the terminal', () => new RegExp(`gateway-edge \\| \\{.*${rid}`).test(v.output));
    assert.match(v.output, /echo-0\s+\| echo-0 listening on/);
    await waitFor('the same line in the file', () => v.logText().includes(rid));
  } finally {
    await v.stop();
  }
});
