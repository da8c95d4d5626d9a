// Circuit breaking end to end in a real mesh: a TrafficPolicy's circuitBreaker.maxRequests bounds what the
// gateway sends a slow service at once; maxConnections and maxPendingRequests bound the connections to each
// endpoint and the requests waiting for one; the rest fail fast with 503 overflow (flag UO), counted by limit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { type TestMesh, ECHO, httpCall, startMesh } from './helpers/mesh.js';
import { docs, serviceDoc, gatewayDoc, workloadDoc } from './helpers/yaml.js';

function yaml(gwPort: number): string {
  return docs(
    `apiVersion: weft.dev/v1alpha1
kind: Mesh
metadata: { name: breaker }
spec: { trustDomain: breaker.local }
`,
    workloadDoc('slow', { args: [ECHO], probe: '/healthz' }),
    serviceDoc('slow'),
    workloadDoc('narrow', { args: [ECHO], probe: '/healthz' }),
    serviceDoc('narrow'),
    `apiVersion: weft.dev/v1alpha1
kind: TrafficPolicy
metadata: { name: narrow }
spec:
  targetRef: { kind: Service, name: narrow }
  circuitBreaker: { maxConnections: 1, maxPendingRequests: 1, connectTimeout: 2s, idleTimeout: 10s }
`,
    `apiVersion: weft.dev/v1alpha1
kind: TrafficPolicy
metadata: { name: slow }
spec:
  targetRef: { kind: Service, name: slow }
  circuitBreaker: { maxRequests: 3 }
`,
    gatewayDoc(gwPort),
    `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: edge }
spec:
  parentRefs: [{ name: edge }]
  rules:
  - matches: [{ path: { type: PathPrefix, value: /narrow } }]
    backendRefs: [{ name: narrow, port: 80 }]
  - backendRefs: [{ name: slow, port: 80 }]
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

test('maxRequests 3: of 8 concurrent slow requests 3 are served, 5 fail fast with 503 overflow; then all are served again', async () => {
  const t0 = performance.now();
  const all = await Promise.all(Array.from({ length: 8 }, () => httpCall(gw, '/slow?delay=1500').then((r) => ({ ...r, ms: performance.now() - t0 }))));
  const ok = all.filter((r) => r.status === 200);
  const over = all.filter((r) => r.status === 503);
  assert.equal(ok.length, 3, JSON.stringify(all.map((r) => r.status)));
  assert.equal(over.length, 5);
  for (const r of over) {
    assert.equal(r.headers['x-weft-error'], 'overflow');
    // Fast: refused at once, not after waiting for the slow ones.
    assert.ok(r.ms < 1200, `an overflow took ${r.ms.toFixed(0)} ms`);
  }
  // The places free up as the slow ones finish.
  const again = await Promise.all(Array.from({ length: 3 }, () => httpCall(gw, '/again')));
  assert.deepEqual(again.map((r) => r.status), [200, 200, 200]);
  const admin = mesh.runtime().processes.find((p) => p.name === 'gateway-edge')?.ports?.admin;
  assert.ok(admin !== undefined, 'the gateway admin port in runtime.json');
  const metrics = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
  assert.match(metrics, /weft_overflow_total\{[^}]*destination_service="slow"[^}]*limit="max_requests"[^}]*\} 5/);
});

test('maxConnections 1, maxPendingRequests 1: of 3 concurrent slow requests one is served, one waits for the connection, one fails fast', async () => {
  const t0 = performance.now();
  const all = await Promise.all(Array.from({ length: 3 }, (_, i) => httpCall(gw, `/narrow/${i}?delay=700`).then((r) => ({ ...r, ms: performance.now() - t0 }))));
  const ok = all.filter((r) => r.status === 200).sort((a, b) => a.ms - b.ms);
  const over = all.filter((r) => r.status === 503);
  assert.equal(ok.length, 2, JSON.stringify(all.map((r) => `${r.status} ${r.headers['x-weft-error'] ?? ''}`)));
  assert.equal(over.length, 1);
  assert.equal(over[0]!.headers['x-weft-error'], 'overflow');
  assert.ok(over[0]!.ms < 600, `the overflow took ${over[0]!.ms.toFixed(0)} ms`);
  // One connection: the second request waited for the first to finish before it could start its own 700 ms.
  assert.ok(ok[1]!.ms >= 1400, `the waiting request was served after ${ok[1]!.ms.toFixed(0)} ms, so not on the one connection after the first`);
  const admin = mesh.runtime().processes.find((p) => p.name === 'gateway-edge')?.ports?.admin;
  const metrics = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
  assert.match(metrics, /weft_overflow_total\{[^}]*destination_service="narrow"[^}]*limit="max_pending_requests"[^}]*\} 1/);
  // Sequential requests are all served: the limits only bound concurrency.
  for (let i = 0; i < 3; i++) assert.equal((await httpCall(gw, '/narrow/seq')).status, 200);
});

