// Fault injection end to end in a real mesh: FaultInjection objects attached to route rules as ExtensionRef
// filters, run by the proxy that runs the route. At the gateway: an abort of 30 % of requests (never
// retried, never counted against the endpoint by outlier detection), a delay of every request, a delay of
// 25 %. In the caller's sidecar (gateway -> front's sidecar -> back's sidecar): an abort of the requests that
// carry a header. On a GRPCRoute: aborts a real @grpc/grpc-js client sees as its gRPC status. Flags DI and
// FI in the access log and the metrics.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TestMesh, ECHO, ROOT, freePort, httpCall, waitFor, type HttpResult } from './helpers/mesh.js';
import { docs, meshDoc, serviceDoc, workloadDoc, gatewayDoc } from './helpers/yaml.js';

const FIXTURES = path.join(ROOT, 'test', 'fixtures');

const fault = (name: string, spec: string) => `apiVersion: weft.dev/v1alpha1
kind: FaultInjection
metadata: { name: ${name} }
spec: ${spec}
`;
const ref = (name: string) => `{ type: ExtensionRef, extensionRef: { group: weft.dev, kind: FaultInjection, name: ${name} } }`;
/** An HTTPRoute `name` on the Gateway edge: requests under `prefix` to `service`, through the FaultInjection `f`. */
const edgeRoute = (name: string, prefix: string, service: string, f?: string, extra = '') => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name} }
spec:
  parentRefs: [{ name: edge }]
  rules:
  - matches: [{ path: { type: PathPrefix, value: ${prefix} } }]
    backendRefs: [{ name: ${service}, port: 80 }]
${f !== undefined ? `    filters: [${ref(f)}]\n` : ''}${extra}`;

function yaml(gwPort: number, grpcPort: number): string {
  return docs(
    meshDoc('faults'),
    workloadDoc('front', { args: [ECHO], probe: '/healthz' }),
    serviceDoc('front'),
    workloadDoc('back', { args: [ECHO], probe: '/healthz' }),
    serviceDoc('back'),
    // Outlier detection that would eject back at its first 5xx, if an injected abort counted against it.
    `apiVersion: weft.dev/v1alpha1
kind: TrafficPolicy
metadata: { name: back }
spec:
  targetRef: { kind: Service, name: back }
  outlierDetection: { consecutive5xxErrors: 1, baseEjectionTime: 30s }
`,
    fault('abort-30', '{ abort: { httpStatus: 503, percentage: 30 } }'),
    fault('delay-all', '{ delay: { fixedDelay: 300ms } }'),
    fault('delay-some', '{ delay: { fixedDelay: 400ms, percentage: 25 } }'),
    fault('chaos-header', '{ abort: { httpStatus: 503 }, match: { headers: [{ name: x-version, value: chaos }] } }'),
    fault('grpc-exhausted', '{ abort: { grpcStatus: RESOURCE_EXHAUSTED } }'),
    fault('grpc-http-503', '{ abort: { httpStatus: 503 } }'),
    gatewayDoc(gwPort),
    // A rule that retries 503s: an injected 503 must still not be retried.
    edgeRoute('abort', '/abort', 'back', 'abort-30', '    retry: { attempts: 3, codes: [503] }\n'),
    edgeRoute('delay-all', '/delay-all', 'back', 'delay-all'),
    edgeRoute('delay-some', '/delay-some', 'back', 'delay-some'),
    // front's app calls back through its own sidecar (/call/back/...), where back's mesh route has the fault.
    edgeRoute('front', '/call', 'front'),
    `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: back-chaos }
spec:
  parentRefs: [{ kind: Service, name: back, port: 80 }]
  rules:
  - backendRefs: [{ name: back, port: 80 }]
    filters: [${ref('chaos-header')}]
`,
    workloadDoc('echo', { args: [path.join(FIXTURES, 'grpc-app.mjs')] }),
    serviceDoc('echo', ['{ name: grpc, port: 50051, appProtocol: grpc }']),
    `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: grpc-edge }
spec: { listeners: [{ name: grpc, port: ${grpcPort}, protocol: HTTP }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: echo }
spec:
  parentRefs: [{ name: grpc-edge }]
  rules:
  - matches: [{ method: { service: weft.test.Echo, method: Unary } }]
    filters: [${ref('grpc-exhausted')}]
    backendRefs: [{ name: echo, port: 50051 }]
  - matches: [{ method: { service: weft.test.Echo, method: ServerStream } }]
    filters: [${ref('grpc-http-503')}]
    backendRefs: [{ name: echo, port: 50051 }]
  - backendRefs: [{ name: echo, port: 50051 }]
`,
  );
}

let mesh: TestMesh;
let gw: number;
let grpcPort: number;

before(async () => {
  gw = await freePort();
  grpcPort = await freePort();
  mesh = new TestMesh(yaml(gw, grpcPort));
  await mesh.start();
  await mesh.waitAllSynced();
});

after(async () => {
  await mesh?.stop();
});

/** `n` calls of `fn`, `concurrency` at a time, each timed; the whole run bounded in time. */
async function load(n: number, concurrency: number, fn: (i: number) => Promise<HttpResult>, limitMs = 60_000): Promise<(HttpResult & { i: number; ms: number })[]> {
  const out: (HttpResult & { i: number; ms: number })[] = [];
  const deadline = performance.now() + limitMs;
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      if (performance.now() > deadline) throw new Error(`${n} requests did not finish within ${limitMs} ms (${out.length} done)`);
      const i = next++;
      const t0 = performance.now();
      const r = await fn(i);
      out.push({ ...r, i, ms: performance.now() - t0 });
    }
  }));
  return out;
}

/** A binomial count's mean and a 4.5-sigma band: a correct proxy leaves it about once in 150 000 runs. */
function band(n: number, p: number): { lo: number; hi: number } {
  const sigma = Math.sqrt(n * p * (1 - p));
  return { lo: n * p - 4.5 * sigma, hi: n * p + 4.5 * sigma };
}

const adminOf = (proc: string): number => {
  const a = mesh.runtime().processes.find((p) => p.name === proc)?.ports?.admin;
  assert.ok(a !== undefined, `the admin port of ${proc} in runtime.json`);
  return a;
};
const appPortOf = (proc: string): number => (mesh.runtime().processes.find((p) => p.name === proc) as unknown as { appPort: number }).appPort;

/** The sum of a metric's samples whose labels include `labels`. */
function metricSum(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Access-log lines (JSON) of the mesh's proxies matching `pred`. */
const accessLines = (pred: (e: Record<string, unknown>) => boolean) => mesh.logText().split('\n')
  .filter((l) => l.includes('"response_flags"'))
  .map((l) => { try { return JSON.parse(l.slice(l.indexOf('{'))) as Record<string, unknown>; } catch { return undefined; } })
  .filter((e): e is Record<string, unknown> => e !== undefined && pred(e));

test('abort 30 %: within a binomial bound, answered 503 fault-abort without calling back, never retried, no ejection (FI)', async () => {
  const N = 400;
  const backCount = async () => Number((await httpCall(appPortOf('back-0'), '/__count')).body);
  const before0 = await backCount();
  const rs = await load(N, 16, () => httpCall(gw, '/abort/x'));
  const aborted = rs.filter((r) => r.status === 503 && r.headers['x-weft-error'] === 'fault-abort');
  const ok = rs.filter((r) => r.status === 200);
  assert.equal(aborted.length + ok.length, N, `other answers: ${JSON.stringify(rs.filter((r) => r.status !== 200 && r.headers['x-weft-error'] !== 'fault-abort').slice(0, 3))}`);
  assert.equal(aborted[0]!.body, 'fault-abort: aborted by fault injection\n');
  const { lo, hi } = band(N, 0.3);
  console.log(`abort 30 %: ${aborted.length} of ${N} aborted (${(100 * aborted.length / N).toFixed(1)} %; 4.5-sigma band ${(100 * lo / N).toFixed(1)}-${(100 * hi / N).toFixed(1)} %)`);
  assert.ok(aborted.length >= lo && aborted.length <= hi, `${aborted.length} aborted of ${N}, outside ${lo.toFixed(0)}..${hi.toFixed(0)}`);
  // Only the requests that were not aborted reached back, each once: no abort was retried.
  assert.equal((await backCount()) - before0, ok.length);
  const metrics = await (await fetch(`http://127.0.0.1:${adminOf('gateway-edge')}/metrics`)).text();
  assert.equal(metricSum(metrics, 'weft_requests_total', { route: 'default/abort', response_flags: 'FI', response_code: '503' }), aborted.length);
  assert.equal(metricSum(metrics, 'weft_retries_total', { destination_service: 'back', outcome: 'attempted' }), 0);
  assert.equal(metricSum(metrics, 'weft_outlier_ejections_total', { destination_service: 'back' }), 0, 'back was ejected for aborts that were not its doing');
});

test('delay 100 %: every request held at least fixedDelay (300 ms), then answered by back (DI)', async () => {
  const rs = await load(8, 8, (i) => httpCall(gw, `/delay-all/${i}`));
  const min = Math.min(...rs.map((r) => r.ms));
  console.log(`delay 100 %: 8 requests took ${min.toFixed(0)}-${Math.max(...rs.map((r) => r.ms)).toFixed(0)} ms (fixedDelay 300 ms)`);
  assert.deepEqual(rs.map((r) => r.status), Array(8).fill(200));
  assert.ok(min >= 300, `a delayed request took ${min.toFixed(0)} ms`);
  const lines = await waitFor('the gateway access-log lines of the delayed requests', () => {
    const l = accessLines((e) => String(e.path).startsWith('/delay-all/') && e.direction === 'gateway');
    return l.length === 8 ? l : undefined;
  }, 10_000, 100);
  for (const e of lines) {
    assert.equal(e.response_flags, 'DI');
    assert.ok(Number(e.duration_ms) >= 300, `logged duration ${String(e.duration_ms)}`);
  }
});

test('delay 25 %: the share of requests held is within a binomial bound, each of them held 400 ms at least (DI in log and metrics)', async () => {
  const N = 200;
  const rs = await load(N, 16, (i) => httpCall(gw, `/delay-some/${i}`));
  assert.ok(rs.every((r) => r.status === 200));
  // Which requests the gateway delayed, from its access log (one line per request, by path).
  const flags = await waitFor('the gateway access-log lines of the 200 requests', () => {
    const m = new Map(accessLines((e) => String(e.path).startsWith('/delay-some/') && e.direction === 'gateway').map((e) => [Number(String(e.path).slice(12)), String(e.response_flags)]));
    return m.size === N ? m : undefined;
  }, 10_000, 100);
  const delayed = rs.filter((r) => flags.get(r.i) === 'DI');
  const others = rs.filter((r) => flags.get(r.i) === '-');
  assert.equal(delayed.length + others.length, N);
  const { lo, hi } = band(N, 0.25);
  console.log(`delay 25 %: ${delayed.length} of ${N} delayed (${(100 * delayed.length / N).toFixed(1)} %; 4.5-sigma band ${(100 * lo / N).toFixed(1)}-${(100 * hi / N).toFixed(1)} %); they took ${Math.min(...delayed.map((r) => r.ms)).toFixed(0)}-${Math.max(...delayed.map((r) => r.ms)).toFixed(0)} ms, the others at most ${Math.max(...others.map((r) => r.ms)).toFixed(0)} ms`);
  assert.ok(delayed.length >= lo && delayed.length <= hi, `${delayed.length} delayed of ${N}, outside ${lo.toFixed(0)}..${hi.toFixed(0)}`);
  for (const r of delayed) assert.ok(r.ms >= 400, `a delayed request took ${r.ms.toFixed(0)} ms`);
  const metrics = await (await fetch(`http://127.0.0.1:${adminOf('gateway-edge')}/metrics`)).text();
  assert.equal(metricSum(metrics, 'weft_requests_total', { route: 'default/delay-some', response_flags: 'DI' }), delayed.length);
});

test('in the caller\'s sidecar: a mesh route\'s fault aborts only the requests carrying its header (FI in that sidecar\'s log)', async () => {
  const withHeader = await load(10, 5, (i) => httpCall(gw, `/call/back/chaos-${i}`, { headers: { 'x-version': 'chaos' } }));
  const without = await load(10, 5, (i) => httpCall(gw, `/call/back/calm-${i}`, { headers: { 'x-version': 'calm' } }));
  assert.deepEqual(withHeader.map((r) => [r.status, r.headers['x-weft-error']]), Array(10).fill([503, 'fault-abort']));
  assert.deepEqual(without.map((r) => r.status), Array(10).fill(200));
  assert.ok(without.every((r) => r.json?.who === 'back-0'), 'back answered the calls without the header');
  const lines = await waitFor('front\'s sidecar outbound lines for the faulted calls', () => {
    const l = accessLines((e) => String(e.path).startsWith('/chaos-') && e.direction === 'outbound');
    return l.length === 10 ? l : undefined;
  }, 10_000, 100);
  assert.deepEqual(lines.map((e) => [e.response_code, e.response_flags, e.error, e.route]), Array(10).fill([503, 'FI', 'fault-abort', 'default/back-chaos']));
  assert.equal(accessLines((e) => String(e.path).startsWith('/calm-') && e.direction === 'outbound' && e.response_flags !== '-').length, 0);
});

test('a GRPCRoute fault: a @grpc/grpc-js client gets the gRPC status (named, or mapped from httpStatus 503); other methods are served', async () => {
  const echo = (await import(pathToFileURL(path.join(FIXTURES, 'grpc-echo.mjs')).href)) as {
    calls: Record<'unary' | 'serverStream' | 'bidi', (c: unknown, a: object) => Promise<{ code: number; details: string; received?: number; matched?: number }>>;
    echoClient(address: string): { close(): void };
  };
  const client = echo.echoClient(`127.0.0.1:${grpcPort}`);
  try {
    // The unfaulted rule proves the path: a bidirectional stream through the gateway to the server.
    await waitFor('a Bidi call through the gateway', async () => (await echo.calls.bidi(client, { n: 3, deadlineMs: 2000 })).code === 0, 20_000, 200);
    const unary = await echo.calls.unary(client, { deadlineMs: 5000 });
    assert.deepEqual([unary.code, unary.details], [8, 'fault-abort: aborted by fault injection']);
    const stream = await echo.calls.serverStream(client, { n: 5, deadlineMs: 5000 });
    assert.deepEqual([stream.code, stream.received], [14, 0]);
    const lines = await waitFor('the gateway line of the aborted unary call', () => {
      const l = accessLines((e) => e.path === '/weft.test.Echo/Unary' && e.direction === 'gateway');
      return l.length > 0 ? l : undefined;
    }, 10_000, 100);
    // The record keeps the HTTP status meant (RESOURCE_EXHAUSTED: 429) beside the gRPC status the client got.
    assert.deepEqual([lines[0]!.response_code, lines[0]!.grpc_status, lines[0]!.response_flags], [429, 8, 'FI']);
  } finally {
    client.close();
  }
});
