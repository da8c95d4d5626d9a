// Observability end to end on a real local mesh: RED metrics from every proxy, the control plane's
// aggregation behind `weft stat` / `weft edges`, live `weft tap` / `weft top`, and a real Prometheus
// (Debian's package) scraping every proxy through the control plane's service discovery.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync, mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { TestMesh, freePort, httpCall, waitFor, CLI } from './helpers/mesh.js';
import { securityYaml } from './helpers/yaml.js';
import { Receiver } from '../src/proxy/layers/trace/testutil.js';

let mesh: TestMesh;
let gw: number;

async function traffic(n: number): Promise<void> {
  for (let i = 0; i < n; i += 10) {
    await Promise.all(Array.from({ length: 10 }, (_, j) => httpCall(gw, (i + j) % 3 === 0 ? '/call/api/orders' : '/products')));
  }
}

before(async () => {
  gw = await freePort();
  mesh = new TestMesh(securityYaml(gw));
  await mesh.start({ WEFT_METRICS_INTERVAL_MS: '500' });
  await mesh.waitAllSynced();
  await waitFor('traffic', async () => (await httpCall(gw, '/hello')).status === 200);
});

after(async () => {
  if (mesh?.proc && mesh.proc.exitCode === null) await mesh.stop();
});

test('each proxy serves RED metrics with bounded labels', async () => {
  await traffic(60);
  const admin = mesh.runtime().processes.find((p) => p.name === 'api-0/proxy')!.ports!.admin;
  const m = await httpCall(admin, '/metrics');
  assert.equal(m.status, 200);
  assert.match(m.body, /# TYPE weft_requests_total counter/);
  assert.match(m.body, /weft_requests_total\{[^}]*direction="inbound"[^}]*response_code="200"[^}]*tls="true"[^}]*\} \d+/);
  assert.match(m.body, /weft_request_duration_ms_bucket\{[^}]*le="\+Inf"[^}]*\} \d+/);
  assert.doesNotMatch(m.body, /\/products|\/orders/, 'no raw paths as label values');
  assert.match(m.body, /weft_tcp_connections_opened_total\{direction="inbound"\} [1-9]/);
  assert.match(m.body, /weft_requests_in_flight\{direction="inbound"\} \d+/);
  assert.match(m.body, /weft_certificate_expiry_seconds \d+/);
  const gwAdmin = mesh.runtime().processes.find((p) => p.name === 'gateway-edge')!.ports!.admin;
  const g = await httpCall(gwAdmin, '/metrics');
  assert.match(g.body, /weft_upstream_pool_connected\{tls="mtls"\} [1-9]/);
});

test('weft stat shows success rate, RPS and latency per service and per workload', async () => {
  await traffic(60);
  const r = await mesh.cli(['stat', 'service', '-o', 'json', '--window', '1m']);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as { name: string; requests: number; rps: number; successRate: number; p50: number; p99: number }[];
  const api = rows.find((x) => x.name === 'api')!;
  assert.ok(api, JSON.stringify(rows));
  assert.ok(api.requests >= 60, `api requests ${api.requests}`);
  assert.ok(api.rps > 0);
  assert.equal(api.successRate, 1);
  assert.ok(api.p50 !== null && api.p99 !== null && api.p99 >= api.p50);
  const w = JSON.parse((await mesh.cli(['stat', 'workload', '-o', 'json'])).stdout) as { name: string; requests: number }[];
  assert.ok(w.find((x) => x.name === 'api')!.requests > 0);
  const table = await mesh.cli(['stat']);
  assert.match(table.stdout, /SERVICE\s+NAMESPACE\s+SUCCESS\s+RPS\s+P50\s+P95\s+P99/);
});

test('weft edges shows who calls whom with verified identities over mTLS', async () => {
  type Edge = { source: string; destination: string; tls: boolean; requests: number };
  const rows = await waitFor('edges from the gateway and from client to api', async () => {
    const r = await mesh.cli(['edges', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const e = JSON.parse(r.stdout) as Edge[];
    return e.some((x) => x.destination === 'api' && x.source.endsWith('/sa/client-sa')) ? e : undefined;
  }, 15_000, 200);
  const gwToApi = rows.find((e) => e.source === 'spiffe://sec.local/ns/default/sa/gateway-edge' && e.destination === 'api');
  const clientToApi = rows.find((e) => e.source === 'spiffe://sec.local/ns/default/sa/client-sa' && e.destination === 'api');
  assert.ok(gwToApi && gwToApi.tls && gwToApi.requests > 0, JSON.stringify(rows));
  assert.ok(clientToApi && clientToApi.tls, JSON.stringify(rows));
});

test('weft tap streams live requests with identities and no header values', async () => {
  const tap = spawn(process.execPath, [CLI, 'tap', 'api', '--path', '/products', '--max', '3', '-o', 'json'], { env: { ...process.env, ...mesh.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  tap.stdout.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => tap.on('exit', (c) => resolve(c)));
  // Keep traffic flowing until the tap has what it asked for.
  let code: number | null | undefined;
  void exited.then((c) => (code = c));
  const deadline = Date.now() + 20_000;
  while (code === undefined && Date.now() < deadline) await httpCall(gw, '/products', { headers: { authorization: 'Bearer secret-value' } });
  assert.equal(await exited, 0);
  const events = out.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(events.length, 3);
  for (const e of events) {
    assert.equal(e.path, '/products');
    assert.equal(e.status, 200);
    assert.equal(e.tls, true);
    assert.ok(typeof e.latencyMs === 'number');
  }
  assert.doesNotMatch(out, /secret-value/);
});

test('weft top shows the busiest paths', async () => {
  const top = spawn(process.execPath, [CLI, 'top', '--duration', '3'], { env: { ...process.env, ...mesh.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  top.stdout.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => top.on('exit', (c) => resolve(c)));
  let done = false;
  void exited.then(() => (done = true));
  while (!done) await httpCall(gw, '/top-path');
  assert.equal(await exited, 0);
  assert.match(out, /METHOD\s+PATH\s+DESTINATION\s+COUNT/);
  assert.match(out, /GET\s+\/top-path\s+api\s+\d+/);
});

test('a real Prometheus scrapes every proxy through service discovery', { timeout: 240_000 }, async (t) => {
  if (!existsSync('/usr/bin/prometheus')) {
    const r = spawnSync('bash', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus'], { stdio: 'inherit' });
    assert.equal(r.status, 0, 'installing prometheus from Debian');
  }
  const st = await mesh.status();
  const token = JSON.parse(spawnSync('bash', ['-c', `cat ${mesh.home}/meshes/*.json`]).stdout.toString()).token as string;
  const dir = path.join(mesh.dir, 'prom');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'token'), token, { mode: 0o600 });
  writeFileSync(path.join(dir, 'prometheus.yml'), `global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
- job_name: weft
  http_sd_configs:
  - url: ${st.control.url}/v1/prometheus/sd
    refresh_interval: 2s
    authorization: { type: Bearer, credentials_file: ${path.join(dir, "token")} }
`);
  const port = await freePort();
  const prom: ChildProcess = spawn('/usr/bin/prometheus', [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let promLog = '';
  prom.stderr!.on('data', (d) => { if (promLog.length < 20_000) promLog += d; });
  prom.on('exit', (c) => { if (c !== null && c !== 0) console.log(`# prometheus exited ${c}:\n${promLog}`); });
  t.after(() => { prom.kill('SIGTERM'); });
  const loading = (async () => { const end = Date.now() + 60_000; while (Date.now() < end && prom.exitCode === null) await traffic(10); })();
  const q = encodeURIComponent('sum(rate(weft_requests_total{direction="inbound",destination_workload="api"}[10s]))');
  const rate = await waitFor('Prometheus to compute a request rate for api', async () => {
    const r = await httpCall(port, `/api/v1/query?query=${q}`);
    const v = Number(r.json?.data?.result?.[0]?.value?.[1] ?? 0);
    return v > 0 ? v : undefined;
  }, 60_000, 500).catch((e: Error) => {
    throw new Error(`${e.message}\nprometheus log:\n${promLog.split('\n').filter((l) => /listen|Listening|error/i.test(l)).slice(0, 6).join('\n')}`);
  });
  console.log(`# Prometheus: sum(rate(weft_requests_total{direction="inbound",destination_workload="api"}[10s])) = ${rate.toFixed(1)} rps`);
  const targets = await httpCall(port, '/api/v1/targets');
  const up = (targets.json.data.activeTargets as { health: string; labels: Record<string, string> }[]).filter((x) => x.health === 'up');
  assert.ok(up.length >= 4, `${up.length} targets up`);
  assert.ok(up.some((x) => x.labels.weft_proxy === 'gateway-edge'));
  prom.kill('SIGTERM');
  await loading;
});

test('access logs: one JSON line per request with flags and identities; Telemetry turns them off', async () => {
  const rid = `rid-${Date.now()}`;
  await httpCall(gw, '/logged', { headers: { 'x-request-id': rid } });
  // Access logs go to the proxies' log files, not the terminal of `weft up`.
  const line = await waitFor('the access log line', () => mesh.logText().split('\n').find((l) => l.includes(rid) && l.includes('"direction":"inbound"')));
  const entry = JSON.parse(line.slice(line.indexOf('{')));
  assert.equal(entry.path, '/logged');
  assert.equal(entry.response_code, 200);
  assert.equal(entry.response_flags, '-');
  assert.equal(entry.source_principal, 'spiffe://sec.local/ns/default/sa/gateway-edge');
  assert.equal(entry.destination_workload, 'api');
  assert.equal(entry.tls, true);
  const tel = path.join(mesh.dir, 'telemetry.yaml');
  writeFileSync(tel, `apiVersion: weft.dev/v1alpha1
kind: Telemetry
metadata: { name: quiet-api }
spec:
  selector: { matchLabels: { app: api } }
  accessLogging: [{ disabled: true }]
`);
  { const r = await mesh.cli(['apply', '-f', tel]); assert.equal(r.code, 0, r.stderr); }
  await mesh.waitAllSynced();
  const rid2 = `rid2-${Date.now()}`;
  await httpCall(gw, '/quiet', { headers: { 'x-request-id': rid2 } });
  await waitFor('the gateway line for the quiet request', () => mesh.logText().includes(rid2));
  assert.ok(!mesh.logText().split('\n').some((l) => l.includes(rid2) && l.includes('"direction":"inbound"')), 'api no longer logs');
});

test('tracing: one span per hop exported over OTLP/HTTP, linked parent to child across three hops', async () => {
  const rx = await new Receiver().start();
  try {
    const tel = path.join(mesh.dir, 'tracing.yaml');
    writeFileSync(tel, `apiVersion: weft.dev/v1alpha1
kind: Telemetry
metadata: { name: mesh-tracing, namespace: weft-system }
spec:
  tracing: [{ randomSamplingPercentage: 100, provider: { otlpHttp: { endpoint: "${rx.url}" } } }]
`);
    { const r = await mesh.cli(['apply', '-f', tel]); assert.equal(r.code, 0, r.stderr); }
    await mesh.waitAllSynced();
    const r = await httpCall(gw, '/call/api/traced');
    assert.equal(r.status, 200);
    const traceparent = r.json.headers.traceparent as string;
    assert.match(traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/, 'the app at the end sees a sampled W3C context');
    const traceId = traceparent.split('-')[1];
    const mine = () => rx.spans.filter((s) => s.traceId === traceId);
    await rx.until(() => mine().length >= 4, 15_000, 'four spans of the trace');
    const spans = mine();
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const root = spans.find((s) => s.parentSpanId === '')!;
    assert.equal(root.resource['service.name'], 'edge.default', 'the gateway starts the trace');
    // gateway (client) -> client sidecar inbound (server) -> client sidecar outbound (client) -> api inbound (server)
    const chain = [root];
    for (;;) {
      const next = spans.find((s) => s.parentSpanId === chain[chain.length - 1].spanId);
      if (next === undefined) break;
      chain.push(next);
    }
    assert.deepEqual(chain.map((s) => s.resource['service.name']), ['edge.default', 'client.default', 'client.default', 'api.default']);
    assert.deepEqual(chain.map((s) => s.kind), [3, 2, 3, 2], 'CLIENT, SERVER, CLIENT, SERVER');
    assert.equal(chain[3].spanId, traceparent.split('-')[2], 'the app sees the last hop as its parent');
    for (const s of spans) assert.ok(byId.has(s.parentSpanId) || s === root);
    const off = tel.replace('tracing.yaml', 'tracing-off.yaml');
    writeFileSync(off, `apiVersion: weft.dev/v1alpha1
kind: Telemetry
metadata: { name: mesh-tracing, namespace: weft-system }
spec:
  tracing: [{ disableSpanReporting: true }]
`);
    { const r = await mesh.cli(['apply', '-f', off]); assert.equal(r.code, 0, r.stderr); }
  } finally {
    await rx.close();
  }
});
