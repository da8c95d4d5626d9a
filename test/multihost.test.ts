// Three hosts on this machine: the control plane's host in the root network namespace, hosts "b" and "c" in
// namespaces of their own, all on one bridge, each with its own address. b and c join with one-time tokens
// (`weft join`) and run the Workloads assigned to them; traffic from the gateway and from a sidecar on the
// first host reaches b over mTLS, and b's app calls c's; config changes reach the proxies on every host
// (timed); a partition of host b is survived and healed.
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
const BRIDGE = `wmh${tag}br`;
const NET = `10.214.${process.pid % 250}`;
const A = `${NET}.1`;
/** A joined host: its namespace, the veth pair from the bridge to it, its address. */
const hosts = ['b', 'c'].map((name, i) => ({ name, ns: `weft-mh-${tag}-${name}`, outside: `wmh${tag}${name}o`, inside: `wmh${tag}${name}i`, address: `${NET}.${i + 2}` }));
const HB = hosts[0]!;
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

let mesh: TestMesh;
let gw: number;
const running: { proc: ChildProcess; out: string }[] = [];
let hostDir: string;

const yaml = (port: number) => docs(
  meshDoc('fleet'),
  workloadDoc('web', { args: [ECHO], probe: '/healthz' }),
  serviceDoc('web'),
  `apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: { name: store, labels: { app: store } }
spec: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(ECHO)}], serviceAccount: store-sa, host: c, readinessProbe: { httpGet: { path: /healthz } } }
`,
  serviceDoc('store'),
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
  # /b-calls/<service>/... reaches api's app as /call/<service>/...: it calls that service itself.
  - matches: [{ path: { type: PathPrefix, value: /b-calls } }]
    filters: [{ type: URLRewrite, urlRewrite: { path: { type: ReplacePrefixMatch, replacePrefixMatch: /call } } }]
    backendRefs: [{ name: api, port: 80 }]
  - matches: [{ path: { type: PathPrefix, value: /api } }]
    backendRefs: [{ name: api, port: 80 }]
  - backendRefs: [{ name: web, port: 80 }]
`,
);

const adminToken = () => (JSON.parse(readFileSync(path.join(mesh.dir, '.weft', 'secrets.json'), 'utf8')) as { adminToken: string }).adminToken;
const status = () => call<ControlStatus>({ url: mesh.controlUrl, token: adminToken() }, 'GET', '/v1/status', undefined, 3000);

/** Starts `weft join` for a host inside its namespace; resolves when it is ready. */
async function join(h: typeof HB, token: string): Promise<void> {
  const r = { proc: spawn('ip', ['netns', 'exec', h.ns, process.execPath, CLI, 'join', '--control', mesh.controlUrl, '--token', token, '--name', h.name, '--address', h.address, '--state', path.join(hostDir, h.name)], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] }), out: '' };
  running.push(r);
  r.proc.stdout!.on('data', (d) => (r.out += d));
  r.proc.stderr!.on('data', (d) => (r.out += d));
  await waitFor(`host ${h.name} ready`, () => {
    if (r.proc.exitCode !== null) throw new Error(`weft join exited: ${r.out}`);
    return r.out.includes(`weft: host ${h.name} ready`);
  }, 60_000, 100);
  assert.match(r.out, new RegExp(`host ${h.name} joined the mesh at .*; its identity: spiffe://fleet\\.local/ns/weft-system/sa/host-${h.name}`));
}

before(async () => {
  // One bridge (host A's address on it), and for each joined host a namespace with a veth pair to the bridge.
  ip('link', 'add', BRIDGE, 'type', 'bridge');
  ip('addr', 'add', `${A}/24`, 'dev', BRIDGE);
  ip('link', 'set', BRIDGE, 'up');
  for (const h of hosts) {
    ip('netns', 'add', h.ns);
    ip('link', 'add', h.outside, 'type', 'veth', 'peer', 'name', h.inside);
    ip('link', 'set', h.inside, 'netns', h.ns);
    ip('link', 'set', h.outside, 'master', BRIDGE);
    ip('link', 'set', h.outside, 'up');
    ip('netns', 'exec', h.ns, 'ip', 'addr', 'add', `${h.address}/24`, 'dev', h.inside);
    ip('netns', 'exec', h.ns, 'ip', 'link', 'set', h.inside, 'up');
    ip('netns', 'exec', h.ns, 'ip', 'link', 'set', 'lo', 'up');
  }
  gw = await freePort();
  mesh = new TestMesh(yaml(gw));
  // A silent proxy counts as gone after 2 s (default 30 s), so the partition below is noticed quickly.
  await mesh.start({ WEFT_PUSH_KEEPALIVE: '500,2000' }, [process.execPath, CLI], ['--address', A]);
  hostDir = mkdtempSync(path.join(os.tmpdir(), 'weft-host-b-'));
});

after(async () => {
  for (const r of running) {
    if (r.proc.exitCode !== null) continue;
    const done = new Promise((res) => r.proc.once('exit', res));
    r.proc.kill('SIGINT');
    await done;
  }
  await mesh?.stop();
  for (const h of hosts) {
    try { ip('link', 'del', h.outside); } catch { /* gone with the namespace */ }
    try { ip('netns', 'del', h.ns); } catch { /* never made */ }
  }
  try { ip('link', 'del', BRIDGE); } catch { /* never made */ }
  if (hostDir) rmSync(hostDir, { recursive: true, force: true });
});

test('hosts b and c join with one-time tokens and run their Workloads; traffic crosses hosts over mTLS', { timeout: 120_000 }, async () => {
  assert.match(mesh.controlUrl, new RegExp(`^http://${A.replace(/\./g, '\\.')}:\\d+$`), 'the control plane listens on the host address');
  const tokens: string[] = [];
  for (const h of hosts) {
    const t = await mesh.cli(['token', 'create']);
    assert.equal(t.code, 0, t.stderr);
    tokens.push(t.stdout.trim());
    await join(h, t.stdout.trim());
  }

  const s = await waitFor('every proxy on every host SYNCED', async () => {
    const st = await status();
    return st.proxies.length === 4 && st.proxies.every((p) => p.state === 'SYNCED') ? st : undefined;
  }, 30_000, 100);
  assert.deepEqual(s.proxies.map((p) => p.name).sort(), ['api-0', 'gateway-edge', 'store-0', 'web-0']);
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
  // Between two joined hosts: api's app (b) calls store (c) through its sidecar.
  const bc = await httpCall(gw, '/b-calls/store/from-b');
  assert.equal(bc.status, 200, bc.body);
  assert.equal(bc.headers['x-called-by'], 'api-0');
  assert.equal(JSON.parse(bc.body).who, 'store-0');
  assert.match(String(JSON.parse(bc.body).headers['x-forwarded-client-cert'] ?? ''), /spiffe:\/\/fleet\.local\/ns\/default\/sa\/api-sa/, 'store sees api\'s identity');
  // A token is spent once: joining another host with it is refused.
  const again = spawn('ip', ['netns', 'exec', HB.ns, process.execPath, CLI, 'join', '--control', mesh.controlUrl, '--token', tokens[0]!, '--name', 'd', '--address', HB.address, '--state', path.join(hostDir, 'd')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  again.stderr!.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((res) => again.once('exit', res));
  assert.equal(code, 1);
  assert.match(err, /refused to join host d: join token unknown, already used or expired/);
});

test('config changes reach the proxies on every host: the time for 100 changes', { timeout: 120_000 }, async () => {
  const times: number[] = [];
  for (let i = 0; i < 100; i++) {
    const before = (await status()).proxies.filter((p) => p.name === 'api-0' || p.name === 'store-0').map((p) => p.configVersion);
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
      const now = st.proxies.filter((p) => p.name === 'api-0' || p.name === 'store-0').map((p) => p.configVersion);
      return st.proxies.every((p) => p.state === 'SYNCED') && now.every((v, k) => v !== before[k]) ? true : undefined;
    }, 20_000, 5);
    times.push(performance.now() - t0);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  console.log(`# config change -> every proxy on all three hosts SYNCED, 100 changes: p50 ${pct(50).toFixed(0)} ms, p99 ${pct(99).toFixed(0)} ms`);
  assert.equal(times.length, 100);
});

test('a partition of host b: traffic between the other hosts goes on, b keeps its config, and rejoins when the link is back', { timeout: 90_000 }, async () => {
  // A steady counted load between the hosts that stay connected: the gateway -> web (host a) -> store (host c).
  const load = { sent: 0, failed: [] as string[], inflight: 0 };
  const timer = setInterval(() => {
    if (load.sent >= 3000) return;
    load.sent++;
    load.inflight++;
    httpCall(gw, '/call/store/during-partition').then((r) => {
      if (r.status !== 200) load.failed.push(`${r.status} ${r.headers['x-weft-error'] ?? ''}`);
    }, (e: Error) => load.failed.push(e.message)).finally(() => load.inflight--);
  }, 20);
  ip('link', 'set', HB.outside, 'down');
  try {
    await waitFor('the control plane to see api-0 gone', async () => ((await status()).proxies.find((p) => p.name === 'api-0')?.state !== 'SYNCED' ? true : undefined), 20_000, 100);
    // Inside host b, its sidecar still serves its app with the last good config.
    const proxies = (JSON.parse(readFileSync(path.join(hostDir, 'b', 'runtime.json'), 'utf8')) as { processes: { name: string; ports?: { admin: number } }[] }).processes;
    const admin = proxies.find((p) => p.name === 'api-0/proxy')?.ports?.admin;
    assert.ok(admin !== undefined);
    const dump = execFileSync('ip', ['netns', 'exec', HB.ns, 'curl', '-s', `http://127.0.0.1:${admin}/config_dump`], { encoding: 'utf8' });
    const v = (JSON.parse(dump) as { configVersion: string | null }).configVersion;
    assert.ok(typeof v === 'string' && v !== '', `host b's sidecar still runs its last config: ${dump.slice(0, 200)}`);
  } finally {
    ip('link', 'set', HB.outside, 'up');
  }
  await waitFor('api-0 SYNCED again', async () => ((await status()).proxies.find((p) => p.name === 'api-0')?.state === 'SYNCED' ? true : undefined), 60_000, 200);
  await waitFor('traffic to host b again', async () => ((await httpCall(gw, '/api/again')).status === 200 ? true : undefined), 30_000, 200);
  clearInterval(timer);
  await waitFor('requests in flight to finish', () => load.inflight === 0, 10_000, 20);
  console.log(`# partition of host b: ${load.sent} requests between hosts a and c meanwhile, ${load.failed.length} failed`);
  assert.deepEqual(load.failed, []);
  assert.ok(load.sent >= 50, `a real load ran: ${load.sent}`);
});
