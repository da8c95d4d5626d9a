// Local rate limiting end to end in a real mesh (RateLimitPolicy):
//   - a route-level limit at the gateway under a bounded load at a known offered rate: what passes is
//     burst + rate x duration, the rest 429 rate-limited with retry-after, flag RL, counted;
//   - a Workload limit by sourcePrincipal: two client workloads (two identities) each get their own bucket;
//   - a Workload limit by header: one bucket per value, and one for requests without it; buckets survive a
//     config push that keeps the limit;
//   - a Workload limit on a gRPC server: a real @grpc/grpc-js client gets RESOURCE_EXHAUSTED.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type TestMesh, ECHO, ROOT, httpCall, waitFor, type HttpResult, startMesh } from './helpers/mesh.js';
import { docs, gatewayDoc, meshDoc, serviceDoc, workloadDoc } from './helpers/yaml.js';

const FIXTURES = path.join(ROOT, 'test', 'fixtures');

// The rate test's limit and load: 10 per 500 ms (20/s) with a bucket of 10, offered 60/s for 3 s.
const RATE = 20;
const BURST = 10;
const OFFERED = 60;
const SECONDS = 3;

function yaml(gwPort: number): string {
  return docs(
    meshDoc('ratelimit'),
    workloadDoc('catalog', { args: [ECHO], probe: '/healthz' }),
    serviceDoc('catalog'),
    // Two callers with identities of their own: spiffe://ratelimit.local/ns/default/sa/alice and .../bob.
    workloadDoc('alice', { args: [ECHO], probe: '/healthz', serviceAccount: 'alice' }),
    workloadDoc('bob', { args: [ECHO], probe: '/healthz', serviceAccount: 'bob' }),
    workloadDoc('grpcecho', { args: [path.join(FIXTURES, 'grpc-app.mjs')] }),
    serviceDoc('grpcecho', ['{ name: grpc, port: 50051, appProtocol: grpc }']),
    gatewayDoc(gwPort),
    `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: edge }
spec:
  parentRefs: [{ name: edge }]
  rules:
  - matches: [{ path: { type: PathPrefix, value: /weft.test.Echo/ } }]
    backendRefs: [{ name: grpcecho, port: 50051 }]
  - backendRefs: [{ name: catalog, port: 80 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: rated }
spec:
  parentRefs: [{ name: edge }]
  rules: [{ matches: [{ path: { type: PathPrefix, value: /rated } }], backendRefs: [{ name: catalog, port: 80 }] }]
---
apiVersion: weft.dev/v1alpha1
kind: RateLimitPolicy
metadata: { name: rated }
spec:
  targetRef: { kind: HTTPRoute, name: rated }
  limits: [{ requests: ${RATE / 2}, per: 500ms, burst: ${BURST} }]
---
apiVersion: weft.dev/v1alpha1
kind: RateLimitPolicy
metadata: { name: catalog-limits }
spec:
  targetRef: { kind: Workload, name: catalog }
  limits:
  - { requests: 1, per: 1h, burst: 3, by: sourcePrincipal, match: { path: { type: PathPrefix, value: /per-source } } }
  - { requests: 1, per: 1h, burst: 2, by: { header: x-user }, match: { path: { type: PathPrefix, value: /by-user } } }
---
apiVersion: weft.dev/v1alpha1
kind: RateLimitPolicy
metadata: { name: grpc-limits }
spec:
  targetRef: { kind: Workload, name: grpcecho }
  limits: [{ requests: 1, per: 1h, burst: 2, match: { path: { type: Exact, value: /weft.test.Echo/Unary } } }]
`,
  );
}

let mesh: TestMesh;
let gw: number;

before(async () => {
  ({ mesh, gw } = await startMesh(yaml));
});

after(async () => {
  await mesh?.stop();
});

type Proc = { name: string; appPort?: number; ports?: { admin: number } };
const proc = (name: string): Proc => {
  const p = (mesh.runtime().processes as Proc[]).find((x) => x.name === name);
  assert.ok(p !== undefined, `${name} in runtime.json`);
  return p;
};
const metricsOf = async (name: string) => (await fetch(`http://127.0.0.1:${proc(name).ports!.admin}/metrics`)).text();

/** A proxy's tap stream (admin /tap), once the proxy is watching: its lines collected as they come; close() ends it. */
async function tap(proxy: string, pathPrefix: string): Promise<{ lines: Record<string, unknown>[]; close(): void }> {
  const lines: Record<string, unknown>[] = [];
  let buf = '';
  let watching = false;
  const req = http.get({ host: '127.0.0.1', port: proc(proxy).ports!.admin, path: `/tap?path=${encodeURIComponent(pathPrefix)}` }, (res) => {
    watching = true;
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
        buf = buf.slice(nl + 1);
      }
    });
  });
  req.on('error', () => {});
  await waitFor(`${proxy}'s tap stream to open`, () => watching, 5000, 20);
  return { lines, close: () => req.destroy() };
}

test(`a route limit at the gateway under load: ${RATE}/s with burst ${BURST}, offered ${OFFERED}/s for ${SECONDS} s, passes burst + rate x duration`, async () => {
  const n = OFFERED * SECONDS;
  const results: Promise<HttpResult>[] = [];
  const t0 = performance.now();
  let lastSent = t0;
  // Paced by the clock, not by the answers: request i leaves at t0 + i / OFFERED s (bounded: n requests).
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * 1000) / OFFERED;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    lastSent = performance.now();
    results.push(httpCall(gw, `/rated/load?i=${i}`));
  }
  const all = await Promise.all(results);
  const spanS = (lastSent - t0) / 1000;
  const ok = all.filter((r) => r.status === 200).length;
  const limited = all.filter((r) => r.status === 429);
  assert.equal(ok + limited.length, n, `only 200 and 429: ${JSON.stringify([...new Set(all.map((r) => r.status))])}`);
  const expected = BURST + RATE * spanS;
  console.log(`# offered ${n} requests over ${spanS.toFixed(2)} s (${(n / spanS).toFixed(1)}/s); accepted ${ok} (expected burst + rate x duration = ${expected.toFixed(1)}, ${((100 * ok) / expected).toFixed(1)}%), limited ${limited.length}`);
  assert.ok(ok <= expected * 1.1 + 2, `accepted ${ok}, at most ${expected.toFixed(1)} + 10%`);
  assert.ok(ok >= expected * 0.85, `accepted ${ok}, at least 85% of ${expected.toFixed(1)}`);
  for (const r of limited) {
    assert.equal(r.headers['x-weft-error'], 'rate-limited');
    // A token every 50 ms: the wait rounds up to one whole second.
    assert.equal(r.headers['retry-after'], '1');
  }
  const m = await metricsOf('gateway-edge');
  const counted = /weft_rate_limited_total\{[^}]*policy="default\/rated"[^}]*\} (\d+)/.exec(m);
  assert.ok(counted !== null, 'weft_rate_limited_total for the policy');
  assert.ok(/weft_rate_limited_total\{[^}]*direction="gateway"/.test(m));
  assert.equal(Number(counted[1]), limited.length);
  assert.match(m, /weft_requests_total\{[^}]*response_code="429"[^}]*response_flags="RL"[^}]*\} \d+/);
});

test('a refused request shows flag RL in the tap stream and the access log', async () => {
  const t = await tap('gateway-edge', '/rated/tap');
  try {
    const id = `rl-${Date.now()}`;
    // More at once than the bucket holds (10): some are refused, whatever refilled since the last test.
    const all = await Promise.all(Array.from({ length: 25 }, (_, i) => httpCall(gw, '/rated/tap', { headers: { 'x-request-id': `${id}-${i}` } })));
    const refused = all.findIndex((r) => r.status === 429);
    assert.ok(refused >= 0, JSON.stringify(all.map((r) => r.status)));
    const line = await waitFor('an RL line in the gateway tap', () => t.lines.find((l) => l.flags === 'RL' && l.requestId === `${id}-${refused}`), 5000);
    assert.equal(line.status, 429);
    const log = await waitFor('the access log line of the refused request', () => mesh.logText().split('\n').find((l) => l.includes(`"${id}-${refused}"`) && l.includes('"direction":"gateway"')), 10_000);
    const entry = JSON.parse(log.slice(log.indexOf('{'))) as Record<string, unknown>;
    assert.equal(entry.response_code, 429);
    assert.equal(entry.response_flags, 'RL');
    assert.equal(entry.error, 'rate-limited');
    assert.equal(entry.route, 'default/rated');
  } finally {
    t.close();
  }
});

test('by sourcePrincipal: two client workloads, each its own bucket of 3 at the catalog\'s inbound side', async () => {
  const callFrom = async (who: string, times: number) => {
    const out: number[] = [];
    for (let i = 0; i < times; i++) out.push((await httpCall(proc(`${who}-0`).appPort!, '/call/catalog/per-source')).status);
    return out;
  };
  assert.deepEqual(await callFrom('alice', 5), [200, 200, 200, 429, 429]);
  // alice used hers up; bob's identity has a bucket of its own.
  assert.deepEqual(await callFrom('bob', 5), [200, 200, 200, 429, 429]);
  const refused = await httpCall(proc('alice-0').appPort!, '/call/catalog/per-source');
  assert.equal(refused.headers['x-weft-error'], 'rate-limited', 'the caller app saw the inbound side\'s answer');
  const m = await metricsOf('catalog-0/proxy');
  assert.match(m, /weft_rate_limited_total\{[^}]*policy="default\/catalog-limits"[^}]*\} 5\b/);
  assert.match(m, /weft_rate_limited_total\{[^}]*direction="inbound"/);
  assert.match(m, /weft_requests_total\{direction="inbound"[^}]*source_principal="spiffe:\/\/ratelimit.local\/ns\/default\/sa\/bob"[^}]*response_code="429"[^}]*response_flags="RL"[^}]*\} 2\b/);
});

test('by header: one bucket per x-user value and one for requests without it; a config push that keeps the limit keeps the buckets', async () => {
  const as = async (user: string | undefined, times: number) => {
    const out: HttpResult[] = [];
    for (let i = 0; i < times; i++) out.push(await httpCall(gw, '/by-user', { headers: user === undefined ? {} : { 'x-user': user } }));
    return out;
  };
  const ann = await as('ann', 3);
  assert.deepEqual(ann.map((r) => r.status), [200, 200, 429]);
  // Through the gateway: the inbound side's 429 and its retry-after (an hour per token: up to 3600 s).
  const ra = Number(ann[2].headers['retry-after']);
  assert.ok(ra > 3500 && ra <= 3600, `retry-after ${ann[2].headers['retry-after']}`);
  assert.equal(ann[2].headers['x-weft-error'], 'rate-limited');
  assert.deepEqual((await as('ben', 3)).map((r) => r.status), [200, 200, 429]);
  assert.deepEqual((await as(undefined, 3)).map((r) => r.status), [200, 200, 429], 'leaving the header out is no way around it');

  // Another limit on catalog changes its snapshot; the x-user limit is unchanged, so ann's bucket stays empty.
  const before = (await mesh.status()).proxies.find((p) => p.name === 'catalog-0')!.configVersion;
  const extra = path.join(mesh.dir, 'extra.yaml');
  writeFileSync(extra, `apiVersion: weft.dev/v1alpha1
kind: RateLimitPolicy
metadata: { name: extra }
spec:
  targetRef: { kind: Workload, name: catalog }
  limits: [{ requests: 1000, per: 1s, match: { path: { type: Exact, value: /never } } }]
`);
  const applied = await mesh.cli(['apply', '-f', extra]);
  assert.equal(applied.code, 0, applied.stderr);
  await mesh.waitAllSynced(30_000, (s) => s.proxies.find((p) => p.name === 'catalog-0')?.configVersion !== before);
  assert.deepEqual((await as('ann', 1)).map((r) => r.status), [429], 'ann\'s empty bucket survived the push');
  assert.deepEqual((await as('cid', 1)).map((r) => r.status), [200]);
});

test('a gRPC call over the limit: a real @grpc/grpc-js client gets RESOURCE_EXHAUSTED', async () => {
  const echo = (await import(pathToFileURL(path.join(FIXTURES, 'grpc-echo.mjs')).href)) as {
    calls: { unary(c: unknown, a: object): Promise<{ code: number; details: string; trailers: Record<string, string> }>; slow(c: unknown, a: object): Promise<{ code: number }> };
    echoClient(address: string): { close(): void };
  };
  const client = echo.echoClient(`127.0.0.1:${gw}`);
  try {
    // The path works (Slow is not limited), before counting Unary calls.
    await waitFor('a gRPC call through the gateway', async () => (await echo.calls.slow(client, { ms: 0, deadlineMs: 2000 })).code === 0, 15_000, 200);
    const codes = [];
    let last;
    for (let i = 0; i < 3; i++) {
      last = await echo.calls.unary(client, { deadlineMs: 5000 });
      codes.push(last.code);
    }
    assert.deepEqual(codes, [0, 0, 8]);
    assert.match(last!.details, /rate-limited/);
    assert.equal(last!.trailers['x-weft-error'], 'rate-limited');
    const ra = Number(last!.trailers['retry-after']);
    assert.ok(ra > 3500 && ra <= 3600, `retry-after ${last!.trailers['retry-after']} in the trailers-only answer`);
    const m = await metricsOf('grpcecho-0/proxy');
    assert.match(m, /weft_rate_limited_total\{[^}]*policy="default\/grpc-limits"[^}]*\} 1\b/);
    assert.match(m, /weft_requests_total\{direction="inbound"[^}]*grpc_status="8"[^}]*response_flags="RL"[^}]*\} 1\b/);
  } finally {
    client.close();
  }
});
