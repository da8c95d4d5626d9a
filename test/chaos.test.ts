// A chaos drill in a real mesh: under a steady counted load, one replica's app is killed, another's is
// frozen (SIGSTOP) for three seconds, and a third replica's sidecar is killed; clients give up after 2 s.
// The same three replicas sit behind three Services: `plain` (round robin, no policies), `guarded` (round
// robin, with retries, a per-try timeout and outlier detection) and `defaults` (weft's defaults: the EWMA
// balancer, which steers away from slow replicas by itself). Round robin on both of the first two isolates
// what retries plus outlier detection do. The test prints the error rate each path was left with.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { type TestMesh, ECHO, waitFor, startMesh, waitServedBy } from './helpers/mesh.js';
import { docs, gatewayDoc, meshDoc, workloadDoc } from './helpers/yaml.js';

function yaml(gw: number): string {
  return docs(
    meshDoc('chaos'),
    workloadDoc('api', { args: [ECHO], probe: '/healthz', replicas: 3 }),
    ...['plain', 'guarded', 'defaults'].map((name) => `apiVersion: v1
kind: Service
metadata: { name: ${name} }
spec:
  selector: { app: api }
  ports: [{ port: 80 }]
`),
    `apiVersion: weft.dev/v1alpha1
kind: TrafficPolicy
metadata: { name: plain }
spec:
  targetRef: { kind: Service, name: plain }
  loadBalancer: { type: ROUND_ROBIN }
`,
    `apiVersion: weft.dev/v1alpha1
kind: TrafficPolicy
metadata: { name: guarded }
spec:
  targetRef: { kind: Service, name: guarded }
  loadBalancer: { type: ROUND_ROBIN }
  outlierDetection: { consecutive5xxErrors: 2, interval: 1s, baseEjectionTime: 2s, maxEjectionPercent: 100 }
`,
    gatewayDoc(gw),
    `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: edge }
spec:
  parentRefs: [{ name: edge }]
  rules:
  - matches: [{ path: { type: PathPrefix, value: /guarded } }]
    backendRefs: [{ name: guarded, port: 80 }]
    retry: { attempts: 3, backoff: 10ms }
    timeouts: { request: 3s, backendRequest: 300ms }
  - matches: [{ path: { type: PathPrefix, value: /plain } }]
    backendRefs: [{ name: plain, port: 80 }]
  - matches: [{ path: { type: PathPrefix, value: /defaults } }]
    backendRefs: [{ name: defaults, port: 80 }]
`,
  );
}

let mesh: TestMesh;
let gw: number;

before(async () => {
  ({ mesh, gw } = await startMesh(yaml));
  // Round robin reaches every replica; EWMA (/defaults) may keep away from the slowest one, by design.
  for (const p of ['/plain', '/guarded']) await waitServedBy(gw, p, ['api-0', 'api-1', 'api-2']);
});

after(async () => {
  // A frozen app must not outlive the test.
  for (const p of mesh?.runtime().processes ?? []) {
    try { process.kill(p.pid, 'SIGCONT'); } catch { /* gone */ }
  }
  await mesh?.stop();
});

interface Tally { sent: number; ok: number; failed: Map<string, number> }

test('kill an app, freeze an app, kill a sidecar under load: the error rate with and without retries + outlier detection', { timeout: 90_000 }, async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const PATHS = ['plain', 'guarded', 'defaults'] as const;
  const tallies: Record<string, Tally> = Object.fromEntries(PATHS.map((p) => [p, { sent: 0, ok: 0, failed: new Map() }]));
  let inflight = 0;
  const one = (path: (typeof PATHS)[number]) => {
    const t = tallies[path]!;
    t.sent++;
    inflight++;
    const fail = (why: string) => {
      inflight--;
      t.failed.set(why, (t.failed.get(why) ?? 0) + 1);
    };
    const req = http.get({ host: '127.0.0.1', port: gw, path: `/${path}`, agent, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) {
          inflight--;
          t.ok++;
        } else fail(`${res.statusCode} ${res.headers['x-weft-error'] ?? ''}`.trim());
      });
    });
    req.on('timeout', () => req.destroy(new Error('client timeout (2 s)')));
    req.on('error', (e) => fail(e.message));
  };

  const pid = (name: string) => {
    const p = mesh.runtime().processes.find((x) => x.name === name);
    assert.ok(p?.pid, `${name} runs`);
    return p.pid;
  };
  // A steady load: 40 requests a second to each path for 10 s (bounded: 1200 requests).
  const RATE = 40;
  const SECONDS = 10;
  const start = Date.now();
  const events: string[] = [];
  const frozen = pid('api-1');
  const timer = setInterval(() => {
    if (Date.now() - start >= SECONDS * 1000) return clearInterval(timer);
    for (const p of PATHS) one(p);
  }, 1000 / RATE);
  const at = (ms: number, what: string, f: () => void) => setTimeout(() => {
    f();
    events.push(`${((Date.now() - start) / 1000).toFixed(1)} s ${what}`);
  }, ms);
  const chaos = [
    at(1000, 'SIGKILL app api-0', () => process.kill(pid('api-0'), 'SIGKILL')),
    at(3000, 'SIGSTOP app api-1', () => process.kill(frozen, 'SIGSTOP')),
    at(6000, 'SIGCONT app api-1', () => process.kill(frozen, 'SIGCONT')),
    at(7000, 'SIGKILL sidecar api-2', () => process.kill(pid('api-2/proxy'), 'SIGKILL')),
  ];
  try {
    await waitFor('the load to end', () => Date.now() - start >= SECONDS * 1000 && inflight === 0, 30_000, 50);
  } finally {
    clearInterval(timer);
    for (const c of chaos) clearTimeout(c);
    try { process.kill(frozen, 'SIGCONT'); } catch { /* gone */ }
    agent.destroy();
  }
  const rate = (t: Tally) => (100 * (t.sent - t.ok)) / t.sent;
  const describe = (name: string, t: Tally) => `${name}: ${t.sent} requests, ${t.sent - t.ok} failed = ${rate(t).toFixed(2)} %${t.failed.size > 0 ? ` (${[...t.failed].map(([k, v]) => `${v}x ${k}`).join(', ')})` : ''}`;
  console.log(`# chaos drill: ${events.join('; ')}`);
  console.log(`# ${describe('round robin, no policies', tallies.plain!)}`);
  console.log(`# ${describe('round robin + retries (per-try timeout 300ms) + outlier detection', tallies.guarded!)}`);
  console.log(`# ${describe('weft defaults (EWMA, connect-failure retry)', tallies.defaults!)}`);
  assert.equal(tallies.plain!.sent, tallies.guarded!.sent);
  assert.ok(tallies.plain!.sent >= RATE * SECONDS * 0.8, `the load ran: ${tallies.plain!.sent} requests per path`);
  // The faults hurt the unguarded path (the frozen replica alone holds a third of its requests past the
  // clients' 2 s for a second)...
  assert.ok(rate(tallies.plain!) >= 2, `the drill did hurt: ${describe('plain', tallies.plain!)}`);
  // ...and the policies leave little of it.
  assert.ok(rate(tallies.guarded!) <= 2, describe('guarded', tallies.guarded!));
  assert.ok(rate(tallies.guarded!) < rate(tallies.plain!) / 2, `${describe('guarded', tallies.guarded!)} vs ${describe('plain', tallies.plain!)}`);
  // The mesh heals: the killed app and sidecar are restarted by the runtime, and every replica serves again.
  await waitServedBy(gw, '/plain', ['api-0', 'api-1', 'api-2'], 30_000);
});
