// `weft check` on a real mesh catches a gateway listener that cannot bind: the gateway rejects the config
// (NACK, still serving the previous one) and the check names the gateway, the listener, the address and
// the errno, with a hint. Fixing the file makes it PASS again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { TestMesh, freePort, httpCall, waitFor, ECHO } from './helpers/mesh.js';
import { gatewayDoc } from './helpers/yaml.js';
import type { CheckResult } from '../src/api/control-api.js';

const yaml = (gw: number) => `apiVersion: weft.dev/v1alpha1
kind: Mesh
metadata: { name: chk }
spec: { trustDomain: chk.local }
---
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: { name: echo, labels: { app: echo } }
spec:
  command: ${process.execPath}
  args: [${JSON.stringify(ECHO)}]
  readinessProbe: { httpGet: { path: /healthz } }
---
apiVersion: v1
kind: Service
metadata: { name: echo }
spec:
  selector: { app: echo }
  ports: [{ port: 80 }]
---
${gatewayDoc(gw)}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: edge }
spec:
  parentRefs: [{ name: edge }]
  rules:
  - backendRefs: [{ name: echo, port: 80 }]
`;

let mesh: TestMesh;
let gw: number;
before(async () => {
  gw = await freePort();
  mesh = new TestMesh(yaml(gw));
  await mesh.start();
  await mesh.waitAllSynced();
});
after(async () => {
  if (mesh?.proc && mesh.proc.exitCode === null) await mesh.stop();
});

const check = async () => {
  const r = await mesh.cli(['check', '-o', 'json']);
  return { code: r.code, results: JSON.parse(r.stdout) as CheckResult[] };
};

test('a listener that cannot bind FAILs the check, naming gateway, listener, address and errno', async () => {
  const healthy = await check();
  const bound = healthy.results.find((c) => c.check === 'every gateway listener is bound')!;
  assert.equal(bound.status, 'PASS');
  assert.equal(healthy.results.find((c) => c.check === 'routes point at Services, ports and Gateways that exist')!.status, 'PASS');

  const blocker = net.createServer();
  const taken = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as net.AddressInfo).port)));
  const good = readFileSync(mesh.file, 'utf8');
  try {
    writeFileSync(mesh.file, good.replace(`port: ${gw}, protocol: HTTP`, `port: ${gw}, protocol: HTTP }, { name: second, port: ${taken}, protocol: HTTP`));
    const failed = await waitFor('the check to see the failed bind', async () => {
      const c = await check();
      const r = c.results.find((x) => x.check === 'every gateway listener is bound')!;
      return r.status === 'FAIL' ? { c, r } : undefined;
    }, 20_000, 200);
    assert.equal(failed.r.message, `gateway-edge: listener second cannot bind 127.0.0.1:${taken} (EADDRINUSE)`);
    assert.match(failed.r.hint ?? '', /another process/);
    assert.equal(failed.c.results.find((x) => x.check === 'every proxy is connected and SYNCED')!.status, 'FAIL');
    assert.equal(failed.c.code, 1, 'weft check exits 1 on a FAIL');
    assert.equal((await httpCall(gw, '/x')).status, 200, 'the gateway still serves its previous config');
  } finally {
    writeFileSync(mesh.file, good);
    blocker.close();
  }
  await mesh.waitAllSynced();
  const after = await check();
  assert.equal(after.results.find((c) => c.check === 'every gateway listener is bound')!.status, 'PASS');
});
