// Outlier detection end to end in a real mesh: of three replicas one answers every request 503; after
// consecutive5xxErrors failures it gets no traffic, and it gets traffic again when its ejection time is up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { type TestMesh, ECHO, httpCall, waitFor, startMesh, waitServedBy } from './helpers/mesh.js';
import { docs, serviceDoc, edgeDocs, workloadDoc } from './helpers/yaml.js';

const wl = (name: string, env: Record<string, string> = {}) => workloadDoc(name, { args: [ECHO], app: 'api', env, probe: '/healthz' });

function yaml(gwPort: number): string {
  return docs(
    `apiVersion: weft.dev/v1alpha1
kind: Mesh
metadata: { name: outliers }
spec: { trustDomain: outliers.local }
`,
    wl('api-a'),
    wl('api-b'),
    wl('api-bad', { FAIL_STATUS: '503' }),
    serviceDoc('api'),
    `apiVersion: weft.dev/v1alpha1
kind: TrafficPolicy
metadata: { name: api }
spec:
  targetRef: { kind: Service, name: api }
  # Round robin keeps sending the broken replica its third until it is ejected.
  loadBalancer: { type: ROUND_ROBIN }
  outlierDetection: { consecutive5xxErrors: 3, interval: 1s, baseEjectionTime: 3s }
`,
    edgeDocs(gwPort, 'api'),
  );
}

let mesh: TestMesh;
let gw: number;

before(async () => {
  ({ mesh, gw } = await startMesh(yaml));
  await waitServedBy(gw, '/warm', ['api-a-0', 'api-b-0', 'api-bad-0']);
});

after(async () => {
  await mesh?.stop();
});

test('one replica of three failing: ejected after 3 consecutive 503s (~no traffic), back after its ejection time', async () => {
  const bad = (mesh.runtime().processes.find((p) => p.name === 'api-bad-0') as unknown as { appPort: number }).appPort;
  const hits = async () => Number((await httpCall(bad, '/__count')).body);
  const h0 = await hits();
  let failed = 0;
  for (let i = 0; i < 60; i++) if ((await httpCall(gw, '/x')).status !== 200) failed++;
  const during = (await hits()) - h0;
  // At most the 3 that trip the detector reach it (the warm-up above may have counted toward them).
  assert.ok(during <= 3, `the broken replica got ${during} of 60 requests`);
  assert.equal(failed, during);
  // While it is out, the gateway's config dump says so.
  const admin = mesh.runtime().processes.find((p) => p.name === 'gateway-edge')?.ports?.admin;
  const dump = (await (await fetch(`http://127.0.0.1:${admin}/config_dump`)).json()) as { ejected: Record<string, string[]> };
  const inbound = mesh.runtime().processes.find((p) => p.name === 'api-bad-0/proxy')?.ports?.inbound;
  assert.deepEqual(dump.ejected['api.default:80'], [`127.0.0.1:${inbound}`], JSON.stringify(dump.ejected));
  // And `weft proxy-config` shows it, as the gateway reported it to the control plane.
  const shown = await waitFor('proxy-config to show the ejection', async () => {
    const r = await mesh.cli(['proxy-config', 'gateway-edge']);
    return r.stdout.includes(`127.0.0.1:${inbound} (ejected)`) ? r.stdout : undefined;
  }, 5000, 100);
  assert.match(shown, /api\.default:80 .*\(ejected\)/);
  // Its 3 s are up: it gets a request again (and fails it, and is ejected again).
  const h1 = await hits();
  await waitFor('the broken replica back in rotation', async () => {
    await httpCall(gw, '/y');
    return (await hits()) > h1;
  }, 15_000, 100);
  const metrics = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
  assert.match(metrics, /weft_outlier_ejections_total\{[^}]*destination_service="api"[^}]*\} [1-9]/);
});
