// Two hosts on this machine: the control plane's host in the root network namespace and host "b" in a
// namespace of its own, joined by a veth pair, each with its own address. Host b joins with a one-time
// token (`weft join`) and runs the Workload assigned to it; traffic from the gateway and from a sidecar on
// the first host reaches it over mTLS across the link; config changes reach its proxies (timed); a
// partition of the link is survived and healed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestMesh, CLI, ECHO, freePort, httpCall, waitFor } from './helpers/mesh.js';
import { docs, gatewayDoc, meshDoc, serviceDoc, workloadDoc } from './helpers/yaml.js';
import { call } from '../src/control/client.js';
import type { ControlStatus } from '../src/api/control-api.js';

const tag = `${process.pid % 100000}`;
const NS = `weft-mh-${tag}`;
const VETH_A = `wmh${tag}a`;
const VETH_B = `wmh${tag}b`;
const NET = `10.214.${process.pid % 250}`;
const A = `${NET}.1`;
const B = `${NET}.2`;
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

let mesh: TestMesh;
let gw: number;
let host: ChildProcess | undefined;
let hostOut = '';
let hostDir: string;

const yaml = (port: number) => docs(
  meshDoc('fleet'),
  workloadDoc('web', { args: [ECHO], probe: '/healthz' }),
  serviceDoc('web'),
  `apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: { name: api, labels: { app: api } }
spec: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(ECHO)}], serviceAccount: api-sa, host: b, readinessProbe: { httpGet: { path: /healthz } } }
`,
  serviceDoc('api'),
  gatewayDoc(port),
  `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: edge }
spec:
  parentRefs: [{ name: edge }]
  rules:
  - matches: [{ path: { type: PathPrefix, value: /api } }]
    backendRefs: [{ name: api, port: 80 }]
  - backendRefs: [{ name: web, port: 80 }]
`,
);

const adminToken = () => (JSON.parse(readFileSync(path.join(mesh.dir, '.weft', 'secrets.json'), 'utf8')) as { adminToken: string }).adminToken;
const status = () => call<ControlStatus>({ url: mesh.controlUrl, token: adminToken() }, 'GET', '/v1/status', undefined, 3000);

before(async () => {
  // The link: root namespace (A) <-> host b's namespace (B).
  ip('netns', 'add', NS);
  ip('link', 'add', VETH_A, 'type', 'veth', 'peer', 'name', VETH_B);
  ip('link', 'set', VETH_B, 'netns', NS);
  ip('addr', 'add', `${A}/24`, 'dev', VETH_A);
  ip('link', 'set', VETH_A, 'up');
  ip('netns', 'exec', NS, 'ip', 'addr', 'add', `${B}/24`, 'dev', VETH_B);
  ip('netns', 'exec', NS, 'ip', 'link', 'set', VETH_B, 'up');
  ip('netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up');
  gw = await freePort();
  mesh = new TestMesh(yaml(gw));
  // A silent proxy counts as gone after 2 s (default 30 s), so the partition below is noticed quickly.
  await mesh.start({ WEFT_PUSH_KEEPALIVE: '500,2000' }, [process.execPath, CLI], ['--address', A]);
  hostDir = mkdtempSync(path.join(os.tmpdir(), 'weft-host-b-'));
});

after(async () => {
  if (host !== undefined && host.exitCode === null) {
    const done = new Promise((r) => host!.once('exit', r));
    host.kill('SIGINT');
    await done;
  }
  await mesh?.stop();
  try { ip('link', 'del', VETH_A); } catch { /* gone with the namespace */ }
  try { ip('netns', 'del', NS); } catch { /* never made */ }
  if (hostDir) rmSync(hostDir, { recursive: true, force: true });
});

test('host b joins with a one-time token and runs its Workload; traffic crosses hosts over mTLS', { timeout: 90_000 }, async () => {
  assert.match(mesh.controlUrl, new RegExp(`^http://${A.replace(/\./g, '\\.')}:\\d+$`), 'the control plane listens on the host address');
  const t = await mesh.cli(['token', 'create']);
  assert.equal(t.code, 0, t.stderr);
  host = spawn('ip', ['netns', 'exec', NS, process.execPath, CLI, 'join', '--control', mesh.controlUrl, '--token', t.stdout.trim(), '--name', 'b', '--address', B, '--state', hostDir], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  host.stdout!.on('data', (d) => (hostOut += d));
  host.stderr!.on('data', (d) => (hostOut += d));
  await waitFor('host b ready', () => (host!.exitCode !== null ? (() => { throw new Error(`weft join exited: ${hostOut}`); })() : hostOut.includes('weft: host b ready')), 60_000, 100);
  assert.match(hostOut, /host b joined the mesh at/);

  const s = await waitFor('api-0 SYNCED', async () => {
    const st = await status();
    return st.proxies.find((p) => p.name === 'api-0')?.state === 'SYNCED' && st.proxies.every((p) => p.state === 'SYNCED') ? st : undefined;
  }, 30_000, 100);
  assert.deepEqual(s.proxies.map((p) => p.name).sort(), ['api-0', 'gateway-edge', 'web-0']);
  // Gateway (host A) -> api's sidecar on host b's address -> its app.
  const r = await waitFor('the gateway to reach api on host b', async () => {
    const x = await httpCall(gw, '/api/hello');
    return x.status === 200 ? x : undefined;
  }, 20_000, 100);
  assert.equal(r.headers['x-served-by'], 'api-0');
  // web's app on host A calls api by name through its sidecar: across the link, mTLS, api-sa's identity.
  const c = await httpCall(gw, '/call/api/via-web');
  assert.equal(c.status, 200, c.body);
  assert.equal(JSON.parse(c.body).who, 'api-0');
  assert.match(String(JSON.parse(c.body).headers['x-forwarded-client-cert'] ?? ''), /spiffe:\/\/fleet\.local\/ns\/default\/sa\/default/, 'the api app sees the caller\'s verified identity');
  // A token is spent once: joining another host with it is refused.
  const again = spawn('ip', ['netns', 'exec', NS, process.execPath, CLI, 'join', '--control', mesh.controlUrl, '--token', t.stdout.trim(), '--name', 'c', '--address', B, '--state', path.join(hostDir, 'c')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  again.stderr!.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((res) => again.once('exit', res));
  assert.equal(code, 1);
  assert.match(err, /refused to join host c: join token unknown, already used or expired/);
});

test('config changes reach the proxies on both hosts: the time for 100 changes', { timeout: 120_000 }, async () => {
  const times: number[] = [];
  for (let i = 0; i < 100; i++) {
    const before = (await status()).proxies.find((p) => p.name === 'api-0')!.configVersion;
    const text = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: change }
spec:
  parentRefs: [{ name: api, kind: Service, port: 80 }]
  rules: [{ matches: [{ headers: [{ name: x-change, value: "${i}" }] }], backendRefs: [{ name: api, port: 80 }] }]
`;
    const t0 = performance.now();
    await call({ url: mesh.controlUrl, token: adminToken() }, 'POST', '/v1/apply', { text, file: 'change.yaml' });
    await waitFor(`change ${i} on every proxy`, async () => {
      const st = await status();
      return st.proxies.every((p) => p.state === 'SYNCED') && st.proxies.find((p) => p.name === 'api-0')!.configVersion !== before ? true : undefined;
    }, 20_000, 5);
    times.push(performance.now() - t0);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  console.log(`# config change -> every proxy on both hosts SYNCED, 100 changes: p50 ${pct(50).toFixed(0)} ms, p99 ${pct(99).toFixed(0)} ms`);
  assert.equal(times.length, 100);
});

test('a partition of host b: it keeps its config, and rejoins when the link is back', { timeout: 90_000 }, async () => {
  ip('link', 'set', VETH_A, 'down');
  try {
    await waitFor('the control plane to see api-0 gone', async () => ((await status()).proxies.find((p) => p.name === 'api-0')?.state !== 'SYNCED' ? true : undefined), 20_000, 100);
    // Inside host b, its sidecar still serves its app with the last good config.
    const proxies = (JSON.parse(readFileSync(path.join(hostDir, 'runtime.json'), 'utf8')) as { processes: { name: string; ports?: { admin: number } }[] }).processes;
    const admin = proxies.find((p) => p.name === 'api-0/proxy')?.ports?.admin;
    assert.ok(admin !== undefined);
    const dump = execFileSync('ip', ['netns', 'exec', NS, 'curl', '-s', `http://127.0.0.1:${admin}/config_dump`], { encoding: 'utf8' });
    const v = (JSON.parse(dump) as { configVersion: string | null }).configVersion;
    assert.ok(typeof v === 'string' && v !== '', `host b's sidecar still runs its last config: ${dump.slice(0, 200)}`);
  } finally {
    ip('link', 'set', VETH_A, 'up');
  }
  await waitFor('api-0 SYNCED again', async () => ((await status()).proxies.find((p) => p.name === 'api-0')?.state === 'SYNCED' ? true : undefined), 60_000, 200);
  await waitFor('traffic to host b again', async () => ((await httpCall(gw, '/api/again')).status === 200 ? true : undefined), 30_000, 200);
});
