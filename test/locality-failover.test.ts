// Locality failover and active health checks in a real mesh. A caller in zone a; the Service `api` has two
// replicas in zone a and one in zone b (two Workloads, one app label). All traffic stays in zone a; when
// both zone-a replicas fail, outlier detection ejects them and traffic moves to zone b; when they recover
// and their ejection ends, it comes back. The Service `hc` has two replicas probed by the caller's proxy:
// the one whose /healthz fails gets no traffic after the thresholds, and gets it back when it passes again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { TestMesh, ECHO, ROOT, httpCall, waitFor } from './helpers/mesh.js';
import { docs, meshDoc, serviceDoc, workloadDoc } from './helpers/yaml.js';

const SWITCHABLE = path.join(ROOT, 'test', 'fixtures', 'switchable.mjs');
const api = (name: string, zone: string, replicas: number) =>
  workloadDoc(name, { args: [SWITCHABLE], app: 'api', probe: '/ready', replicas, locality: { region: 'r1', zone } });

const yaml = docs(
  meshDoc('locality'),
  workloadDoc('client', { args: [ECHO], probe: '/healthz', locality: { region: 'r1', zone: 'a' } }),
  api('api-a', 'a', 2),
  api('api-b', 'b', 1),
  serviceDoc('api'),
  `apiVersion: weft.dev/v1alpha1
kind: TrafficPolicy
metadata: { name: api }
spec:
  targetRef: { kind: Service, name: api }
  localityFailover: { enabled: true }
  outlierDetection: { consecutive5xxErrors: 2, interval: 1s, baseEjectionTime: 2s, maxEjectionPercent: 100 }
`,
  workloadDoc('hc-a', { args: [SWITCHABLE], app: 'hc', probe: '/ready' }),
  workloadDoc('hc-b', { args: [SWITCHABLE], app: 'hc', probe: '/ready' }),
  serviceDoc('hc'),
  `apiVersion: weft.dev/v1alpha1
kind: TrafficPolicy
metadata: { name: hc }
spec:
  targetRef: { kind: Service, name: hc }
  loadBalancer: { type: ROUND_ROBIN }
  healthCheck: { path: /healthz, interval: 200ms, timeout: 500ms, unhealthyThreshold: 2, healthyThreshold: 1 }
`,
);

type Proc = { name: string; appPort?: number; ports?: { outbound?: number; inbound?: number; admin: number } };
let mesh: TestMesh;
const procs = () => mesh.runtime().processes as Proc[];
const appPort = (replica: string) => procs().find((p) => p.name === replica)!.appPort!;
const sidecar = (replica: string) => procs().find((p) => p.name === `${replica}/proxy`)!.ports!;
const dump = async () => (await (await fetch(`http://127.0.0.1:${sidecar('client-0').admin}/config_dump`)).json()) as {
  ejected: Record<string, string[]>; unhealthy: Record<string, string[]>; priorities: Record<string, { priority: number; endpoints: string[]; healthy: number; percent: number; panic: boolean }[]>;
};

/** `n` calls from the caller's sidecar to `service`: who served each (or the status when it failed). */
async function calls(service: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await httpCall(sidecar('client-0').outbound!, `http://${service}/x`);
    out.push(r.status === 200 ? String(r.json?.who) : `${r.status}`);
  }
  return out;
}
const count = (xs: string[]) => xs.reduce<Record<string, number>>((m, x) => ({ ...m, [x]: (m[x] ?? 0) + 1 }), {});

before(async () => {
  mesh = new TestMesh(yaml);
  await mesh.start();
  await mesh.waitAllSynced();
  await waitFor('the caller\'s sidecar to see all three api replicas ready and both hc replicas', async () => {
    const d = await dump();
    const levels = d.priorities['api.default:80'];
    return levels?.length === 2 && levels[0]!.healthy === 2 && levels[1]!.healthy === 1 && (await calls('hc', 4)).filter((w) => w.startsWith('hc-')).length === 4;
  }, 30_000, 100);
});

after(async () => {
  await mesh?.stop();
});

test('locality failover: all traffic stays in the caller\'s zone; moves to the next zone when it fails; comes back when it recovers', async () => {
  const before = count(await calls('api', 40));
  console.log(`healthy zone a: ${JSON.stringify(before)}`);
  // Within the zone the Service's balancer (EWMA here) chooses: one replica may get most of it.
  assert.ok(Object.keys(before).every((w) => w.startsWith('api-a-')), 'zone b gets nothing while zone a is healthy');
  let levels = (await dump()).priorities['api.default:80']!;
  assert.deepEqual(levels.map((l) => [l.priority, l.endpoints.length, l.percent]), [[0, 2, 100], [1, 1, 0]]);

  for (const r of ['api-a-0', 'api-a-1']) assert.equal((await httpCall(appPort(r), '/__fail?status=503')).status, 200);
  // Each zone-a replica is ejected after 2 failures in a row; a few calls fail until then.
  await waitFor('both zone-a replicas ejected', async () => {
    await calls('api', 2);
    return (await dump()).ejected['api.default:80']?.length === 2;
  }, 15_000, 0);
  const during = count(await calls('api', 40));
  console.log(`zone a failing: ${JSON.stringify(during)}`);
  assert.deepEqual(during, { 'api-b-0': 40 }, 'everything to zone b, all answered');
  levels = (await dump()).priorities['api.default:80']!;
  assert.deepEqual(levels.map((l) => [l.priority, l.healthy, l.percent, l.panic]), [[0, 0, 0, false], [1, 1, 100, false]]);

  for (const r of ['api-a-0', 'api-a-1']) await httpCall(appPort(r), '/__fail?status=0');
  // Their 2 s ejection ends: zone a is whole again and takes all the traffic back.
  await waitFor('traffic back in zone a', async () => (await calls('api', 1))[0]!.startsWith('api-a-') && (await dump()).ejected['api.default:80'] === undefined, 15_000, 100);
  const after = count(await calls('api', 40));
  console.log(`zone a recovered: ${JSON.stringify(after)}`);
  assert.ok(Object.keys(after).every((w) => w.startsWith('api-a-')), 'zone b gets nothing again');
});

test('active health checks: an endpoint failing /healthz gets no traffic after the thresholds, and gets it back when it passes', async () => {
  const even = count(await calls('hc', 20));
  assert.deepEqual(even, { 'hc-a-0': 10, 'hc-b-0': 10 }, 'round robin over both while both pass');
  const inbound = `127.0.0.1:${sidecar('hc-b-0').inbound}`;
  await httpCall(appPort('hc-b-0'), '/__health?status=500');
  const t0 = Date.now();
  await waitFor('hc-b marked unhealthy by the caller\'s proxy', async () => (await dump()).unhealthy['hc.default:80']?.includes(inbound), 10_000, 50);
  console.log(`hc-b unhealthy after ${Date.now() - t0} ms (interval 200ms, 2 failures)`);
  const served = await calls('hc', 30);
  assert.deepEqual(count(served), { 'hc-a-0': 30 }, 'no traffic to the failing endpoint');
  // The app still answers requests (only its health check fails): the balancer, not the app, kept it out.
  assert.equal((await httpCall(appPort('hc-b-0'), '/x')).status, 200);

  await httpCall(appPort('hc-b-0'), '/__health?status=200');
  await waitFor('hc-b healthy again', async () => (await dump()).unhealthy['hc.default:80'] === undefined, 10_000, 50);
  assert.deepEqual(count(await calls('hc', 20)), { 'hc-a-0': 10, 'hc-b-0': 10 }, 'it gets its share back');
});
