// Timeouts end to end in a real mesh: the mesh default catches a frozen replica (gateway and sidecar), an
// HTTPRoute's Gateway API timeouts replace it, "0s" turns them off, and a bad value is refused at file:line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { type TestMesh, ECHO, httpCall, waitFor, startMesh } from './helpers/mesh.js';
import { docs, serviceDoc, workloadDoc, gatewayDoc } from './helpers/yaml.js';

function yaml(gwPort: number): string {
  return docs(
    `apiVersion: weft.dev/v1alpha1
kind: Mesh
metadata: { name: timeouts }
spec: { trustDomain: timeouts.local, traffic: { responseTimeout: 700ms } }
`,
    workloadDoc('api', { args: [ECHO], probe: '/healthz' }),
    workloadDoc('client', { args: [ECHO], probe: '/healthz' }),
    serviceDoc('api'),
    serviceDoc('client'),
    `${gatewayDoc(gwPort)}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: edge }
spec:
  parentRefs: [{ name: edge }]
  rules:
  - matches: [{ path: { type: PathPrefix, value: /timed } }]
    timeouts: { request: 300ms }
    backendRefs: [{ name: api, port: 80 }]
  - matches: [{ path: { type: PathPrefix, value: /call } }]
    backendRefs: [{ name: client, port: 80 }]
  - backendRefs: [{ name: api, port: 80 }]
`,
  );
}

let mesh: TestMesh;
let gw: number;

before(async () => {
  ({ mesh, gw } = await startMesh(yaml));
  await waitFor('the gateway to reach api', async () => (await httpCall(gw, '/healthz')).status === 200);
});

after(async () => {
  await mesh?.stop();
});

const timed = async (target: string) => {
  const t0 = performance.now();
  const r = await httpCall(gw, target);
  return { ...r, ms: performance.now() - t0 };
};

test('the mesh default (Mesh spec.traffic.responseTimeout) answers 504 upstream-timeout for a frozen replica at the gateway', async () => {
  const r = await timed('/frozen?delay=5000');
  assert.equal(r.status, 504);
  assert.equal(r.headers['x-weft-error'], 'upstream-timeout');
  assert.ok(r.ms >= 650 && r.ms < 4000, `504 after ${r.ms.toFixed(0)} ms; the default is 700 ms`);
  // A prompt answer on the same route is untouched.
  assert.equal((await httpCall(gw, '/fine?delay=50')).status, 200);
});

test('the mesh default applies between sidecars too: an app calling a frozen service gets 504 from its own sidecar', async () => {
  const r = await timed('/call/api/frozen?delay=5000');
  assert.equal(r.status, 504);
  assert.equal(r.headers['x-weft-error'], 'upstream-timeout');
});

test('an HTTPRoute rule timeouts.request replaces the default', async () => {
  const late = await timed('/timed?delay=1000');
  assert.equal(late.status, 504);
  assert.equal(late.headers['x-weft-error'], 'upstream-timeout');
  assert.ok(late.ms < 650, `504 after ${late.ms.toFixed(0)} ms: the rule's 300 ms should have fired before the 700 ms default`);
  assert.equal((await timed('/timed?delay=20')).status, 200);
});

test('timeouts.request "0s" turns timeouts off for a rule (applied live); a backendRequest over request is refused with file:line', async () => {
  const file = path.join(mesh.dir, 'off.yaml');
  writeFileSync(file, `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: slow }
spec:
  parentRefs: [{ name: edge }]
  rules:
  - matches: [{ path: { type: PathPrefix, value: /slow } }]
    timeouts: { request: 0s }
    backendRefs: [{ name: api, port: 80 }]
`);
  const applied = await mesh.cli(['apply', '-f', file]);
  assert.equal(applied.code, 0, applied.stderr);
  await waitFor('the slow route on the gateway', async () => (await httpCall(gw, '/slow?delay=10')).json?.path === '/slow');
  const r = await timed('/slow?delay=1200');
  assert.equal(r.status, 200, `no timeout on /slow, got ${r.status} ${r.body}`);
  assert.ok(r.ms >= 1150);

  const bad = path.join(mesh.dir, 'bad.yaml');
  writeFileSync(bad, `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: bad }
spec:
  parentRefs: [{ name: edge }]
  rules:
  - timeouts:
      request: 1s
      backendRequest: 2s
    backendRefs: [{ name: api, port: 80 }]
`);
  const refused = await mesh.cli(['validate', '-f', bad]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stdout + refused.stderr, /bad\.yaml:9:\d+ spec\.rules\[0\]\.timeouts\.backendRequest: must not be longer than timeouts\.request \(1s\)/);
});
