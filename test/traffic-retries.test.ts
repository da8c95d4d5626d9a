// Retries end to end in a real mesh: one broken replica of two is hidden by retries, and a service that
// fails everything is protected from a retry storm by its budget (counted at the service itself).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { type TestMesh, ECHO, httpCall, startMesh, waitServedBy } from './helpers/mesh.js';
import { docs, serviceDoc, gatewayDoc } from './helpers/yaml.js';

const wl = (name: string, app: string, env: Record<string, string> = {}) => `apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: { name: ${name}, labels: { app: ${app} } }
spec:
  command: ${process.execPath}
  args: [${JSON.stringify(ECHO)}]
  env: ${JSON.stringify(env)}
  readinessProbe: { httpGet: { path: /healthz } }
`;

function yaml(gwPort: number): string {
  return docs(
    `apiVersion: weft.dev/v1alpha1
kind: Mesh
metadata: { name: retries }
spec: { trustDomain: retries.local }
`,
    wl('api-good', 'api'),
    wl('api-bad', 'api', { FAIL_STATUS: '503' }),
    wl('down', 'down', { FAIL_STATUS: '503' }),
    serviceDoc('api'),
    serviceDoc('down'),
    `apiVersion: weft.dev/v1alpha1
kind: TrafficPolicy
metadata: { name: api }
spec:
  # Half of api fails: its callers may retry as many requests as they send (the default 0.2 would let
  # only a fifth of them, plus 10 a second, be retried: the budget working as meant).
  targetRef: { kind: Service, name: api }
  retryBudget: { retryRatio: 1 }
  # Round robin keeps sending the broken replica its half (EWMA, the default, would steer away from it and
  # hide what this test is about).
  loadBalancer: { type: ROUND_ROBIN }
---
apiVersion: weft.dev/v1alpha1
kind: TrafficPolicy
metadata: { name: down }
spec:
  targetRef: { kind: Service, name: down }
  retryBudget: { retryRatio: 0.2, minRetriesPerSecond: 10 }
---
${gatewayDoc(gwPort)}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: edge }
spec:
  parentRefs: [{ name: edge }]
  rules:
  - matches: [{ path: { type: PathPrefix, value: /retried } }]
    retry: { attempts: 2 }
    backendRefs: [{ name: api, port: 80 }]
  - matches: [{ path: { type: PathPrefix, value: /down } }]
    retry: { attempts: 3 }
    backendRefs: [{ name: down, port: 80 }]
  - backendRefs: [{ name: api, port: 80 }]
`,
  );
}

let mesh: TestMesh;
let gw: number;

before(async () => {
  ({ mesh, gw } = await startMesh(yaml));
  await waitServedBy(gw, '/plain', ['api-good-0', 'api-bad-0']);
});

after(async () => {
  await mesh?.stop();
});

test('one of two replicas failing: without retries about half the requests fail, with retries (and a budget that allows them) all succeed', async () => {
  const count = async (target: string) => {
    let ok = 0;
    for (let i = 0; i < 60; i++) if ((await httpCall(gw, target)).status === 200) ok++;
    return ok;
  };
  const plain = await count('/plain');
  const retried = await count('/retried');

  assert.ok(plain < 50, `without retries ${plain}/60 succeeded: the broken replica was not hit`);
  assert.equal(retried, 60, `with retries ${retried}/60 succeeded`);
});

test('a retry storm is bounded by the budget: a service failing everything gets at most (1 + 0.2) x L + 10 requests a second', async () => {
  const appPort = mesh.runtime().processes.find((p) => p.name === 'down-0') as unknown as { appPort: number };
  const hits = async () => Number((await httpCall(appPort.appPort, '/__count')).body);
  const before = await hits();
  // Offered load L = 50 requests a second for 4 s, each retried up to 3 times without a budget (800 tries).
  const L = 50;
  const seconds = 4;
  const t0 = performance.now();
  const pending: Promise<unknown>[] = [];
  let failed = 0;
  for (let i = 0; i < L * seconds; i++) {
    const due = t0 + (i * 1000) / L;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(httpCall(gw, '/down').then((r) => { if (r.status !== 503) failed++; }, () => { failed++; }));
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - t0) / 1000;
  const reached = (await hits()) - before;
  // Retries may add 0.2 x the requests sent, plus the reserve (minRetriesPerSecond), which starts with one
  // second's worth and grows a second at a time: (1 + 0.2) x L + 10 a second.
  const bound = 1.2 * L * seconds + 10 * (elapsed + 1);
  console.log(`retry storm: ${L * seconds} requests in ${elapsed.toFixed(2)} s reached the failing service ${reached} times (${(reached / elapsed).toFixed(1)}/s); bound ${(bound / elapsed).toFixed(1)}/s, unbounded would be ${4 * L}/s`);
  assert.equal(failed, 0, 'every request got the service\'s own 503');
  assert.ok(reached >= L * seconds, 'every request reached the service at least once');
  assert.ok(reached <= bound, `${reached} requests reached the service; the budget allows ${bound.toFixed(0)}`);
  // The proxy counts what the budget refused.
  const gwAdmin = mesh.runtime().processes.find((p) => p.name === 'gateway-edge')!.ports!.admin;
  const metrics = (await httpCall(gwAdmin, '/metrics')).body;
  assert.match(metrics, /weft_retries_total\{destination_namespace="default",destination_service="down",outcome="budget_exhausted"\} [1-9]/);
  assert.match(metrics, /weft_retries_total\{destination_namespace="default",destination_service="down",outcome="attempted"\} [1-9]/);
});
