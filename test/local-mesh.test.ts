// End to end: a real local mesh (`weft up`: control plane, sidecars, apps, gateway as processes on real
// sockets), exercised the way a user would through the gateway, the sidecars and the CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TestMesh, ECHO, freePort, httpCall, waitFor } from './helpers/mesh.js';
import { gatewayDoc } from './helpers/yaml.js';

function meshYaml(gwPort: number, split: [number, number]): string {
  const wl = (name: string, labels: string) => `---
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: { name: ${name}, labels: { ${labels} } }
spec:
  command: ${process.execPath}
  args: [${JSON.stringify(ECHO)}]
  readinessProbe: { httpGet: { path: /healthz } }
`;
  const svc = (name: string, selector: string) => `---
apiVersion: v1
kind: Service
metadata: { name: ${name} }
spec:
  selector: { ${selector} }
  ports: [{ name: http, port: 80, appProtocol: http }]
`;
  return `apiVersion: weft.dev/v1alpha1
kind: Mesh
metadata: { name: itest }
spec: { trustDomain: itest.local }
${wl('echo-a', 'app: echo, version: a')}${wl('echo-b', 'app: echo, version: b')}${wl('client', 'app: client')}
${svc('echo', 'app: echo')}${svc('echo-a', 'app: echo, version: a')}${svc('echo-b', 'app: echo, version: b')}${svc('client', 'app: client')}---
${gatewayDoc(gwPort)}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: edge-routes }
spec:
  parentRefs: [{ name: edge }]
  rules:
  - matches: [{ path: { type: Exact, value: /exact } }]
    backendRefs: [{ name: echo-b, port: 80 }]
  - matches: [{ path: { type: PathPrefix, value: /b } }]
    backendRefs: [{ name: echo-b, port: 80 }]
  - matches: [{ headers: [{ name: x-version, value: b }] }, { method: DELETE }]
    backendRefs: [{ name: echo-b, port: 80 }]
  - matches: [{ path: { type: PathPrefix, value: /call } }]
    backendRefs: [{ name: client, port: 80 }]
  - matches: [{ path: { type: PathPrefix, value: /old } }]
    filters: [{ type: RequestRedirect, requestRedirect: { path: { type: ReplacePrefixMatch, replacePrefixMatch: /new }, statusCode: 301 } }]
  - matches: [{ path: { type: PathPrefix, value: /rewrite } }]
    filters:
    - { type: URLRewrite, urlRewrite: { path: { type: ReplacePrefixMatch, replacePrefixMatch: /inner } } }
    - { type: RequestHeaderModifier, requestHeaderModifier: { set: [{ name: x-added, value: yes }] } }
    - { type: ResponseHeaderModifier, responseHeaderModifier: { add: [{ name: x-resp, value: r1 }] } }
    backendRefs: [{ name: echo-a, port: 80 }]
  - backendRefs: [{ name: echo-a, port: 80 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: echo-split }
spec:
  parentRefs: [{ kind: Service, name: echo, port: 80 }]
  rules:
  - backendRefs: [{ name: echo-a, port: 80, weight: ${split[0]} }, { name: echo-b, port: 80, weight: ${split[1]} }]
`;
}

let mesh: TestMesh;
let gw: number;
let gwUrlPort: number;

before(async () => {
  gw = await freePort();
  mesh = new TestMesh(meshYaml(gw, [90, 10]));
  await mesh.start({ WEFT_CONTROL_RESTART_DELAY_MS: '1500' });
  await mesh.waitAllSynced();
  const s = await mesh.status();
  gwUrlPort = Number(new URL(s.gateways[0].url).port);
  // Wait until every replica is registered ready, as seen through the gateway.
  await waitFor('echo-a and echo-b reachable', async () => (await httpCall(gw, '/exact')).status === 200 && (await httpCall(gw, '/')).status === 200);
});

after(async () => {
  if (mesh?.proc && mesh.proc.exitCode === null) await mesh.stop();
});

test('status lists every proxy SYNCED with the gateway URL', async () => {
  const s = await mesh.status();
  const names = s.proxies.map((p) => p.name).sort();
  assert.deepEqual(names, ['client-0', 'echo-a-0', 'echo-b-0', 'gateway-edge']);
  for (const p of s.proxies) {
    assert.equal(p.state, 'SYNCED');
    assert.match(p.configVersion ?? '', /^[0-9a-f]{12}$/);
    assert.equal(typeof p.version, 'string');
  }
  assert.equal(gwUrlPort, gw);
  assert.deepEqual(Object.keys(s.proxies[0]).slice(0, 6), ['name', 'workload', 'namespace', 'kind', 'version', 'configVersion']);
});

test('gateway routes by path, header and method, with Gateway API precedence', async () => {
  const who = async (target: string, init?: { method?: string; headers?: Record<string, string> }) => {
    const r = await httpCall(gw, target, init);
    assert.equal(r.status, 200, `${target}: ${r.body}`);
    return r.json.workload as string;
  };
  assert.equal(await who('/exact'), 'echo-b');
  assert.equal(await who('/exact/more'), 'echo-a', 'Exact does not match a longer path');
  assert.equal(await who('/b'), 'echo-b');
  assert.equal(await who('/b/c'), 'echo-b');
  assert.equal(await who('/bc'), 'echo-a', 'PathPrefix matches whole path elements only');
  assert.equal(await who('/x', { headers: { 'x-version': 'b' } }), 'echo-b');
  assert.equal(await who('/x', { method: 'DELETE' }), 'echo-b');
  assert.equal(await who('/x'), 'echo-a');
});

test('redirects, URL rewrites and header filters', async () => {
  const r = await httpCall(gw, '/old/page?q=1');
  assert.equal(r.status, 301);
  assert.equal(r.headers.location, `http://127.0.0.1:${gw}/new/page?q=1`);
  const w = await httpCall(gw, '/rewrite/x?y=2', { headers: { host: 'shop.example' } });
  assert.equal(w.status, 200);
  assert.equal(w.json.path, '/inner/x');
  assert.equal(w.json.query, '?y=2');
  assert.equal(w.json.headers['x-added'], 'yes');
  assert.equal(w.json.host, 'shop.example', 'Host is preserved unless a rewrite changes it');
  assert.equal(w.headers['x-resp'], 'r1');
  assert.ok(w.json.headers['x-request-id'], 'a request id is set');
  assert.equal(w.json.headers['x-forwarded-proto'], 'http');
});

test('apps reach services by name through HTTP_PROXY; errors carry x-weft-error', async () => {
  const r = await httpCall(gw, '/call/echo-b/hello');
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json.workload, 'echo-b');
  assert.equal(r.headers['x-called-by'], 'client-0');
  for (const name of ['echo-b.default', 'echo-b.default.svc.cluster.local']) {
    const q = await httpCall(gw, `/call/${name}/x`);
    assert.equal(q.json.workload, 'echo-b', name);
  }
  // Not a mesh service: ALLOW_ANY (the default) passes it through to the named host, which does not resolve here.
  const nr = await httpCall(gw, '/call/nosuchservice.invalid/x');
  assert.equal(nr.status, 503);
  assert.equal(nr.headers['x-weft-error'], 'connect-failure');
});

test('ALLOW_ANY passes calls to hosts outside the mesh through the sidecar', async () => {
  const outside = await new Promise<import('node:http').Server>((resolve) => {
    const s = http.createServer((req, res) => res.end(`outside saw ${req.url} host=${req.headers.host}`));
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
  try {
    const port = (outside.address() as net.AddressInfo).port;
    const client = mesh.runtime().processes.find((p) => p.name === 'client-0/proxy')!;
    const r = await httpCall(client.ports!.outbound!, `http://localhost:${port}/ext?q=1`);
    assert.equal(r.status, 200);
    assert.equal(r.body, `outside saw /ext?q=1 host=localhost:${port}`);
  } finally {
    outside.close();
  }
});

test('a 90/10 mesh split holds over 1000 requests', async () => {
  const client = mesh.runtime().processes.find((p) => p.name === 'client-0/proxy')!;
  const out = client.ports!.outbound!;
  const counts: Record<string, number> = {};
  const N = 1000;
  const deadline = Date.now() + 60_000;
  for (let i = 0; i < N; i += 20) {
    assert.ok(Date.now() < deadline, 'split test took too long');
    const batch = await Promise.all(Array.from({ length: 20 }, () => httpCall(out, 'http://echo/who')));
    for (const r of batch) {
      assert.equal(r.status, 200, r.body);
      counts[r.json.workload] = (counts[r.json.workload] ?? 0) + 1;
    }
  }
  // Binomial(1000, 0.1): sd = 9.5; accept +-4 sd.
  const b = counts['echo-b'] ?? 0;
  assert.ok(b >= 62 && b <= 138, `echo-b got ${b} of ${N} (want ~100): ${JSON.stringify(counts)}`);
  assert.equal((counts['echo-a'] ?? 0) + b, N);
});

test('a config change reaches every proxy; the convergence time is printed', async () => {
  const before = await mesh.status();
  const t0 = Date.now();
  writeFileSync(mesh.file, meshYaml(gw, [0, 100]));
  const prev = (name: string) => before.proxies.find((q) => q.name === name)?.configVersion;
  // Sidecars carry mesh routes; the gateway's snapshot holds only its own listeners and must not change.
  const after = await mesh.waitAllSynced(30_000, (s) => s.proxies.every((p) => (p.kind === 'gateway') === (p.configVersion === prev(p.name))));
  const ms = Date.now() - t0;
  console.log(`# config convergence (file save -> every sidecar SYNCED on the new version): ${ms} ms over ${after.proxies.length - 1} sidecars`);
  const client = mesh.runtime().processes.find((p) => p.name === 'client-0/proxy')!;
  for (let i = 0; i < 20; i++) assert.equal((await httpCall(client.ports!.outbound!, 'http://echo/who')).json.workload, 'echo-b');
  writeFileSync(mesh.file, meshYaml(gw, [90, 10]));
  await mesh.waitAllSynced(30_000, (s) => s.proxies.every((p) => p.configVersion === before.proxies.find((q) => q.name === p.name)?.configVersion));
});

test('bad YAML is rejected with file:line, and nothing of it is applied', async () => {
  const bad = path.join(mesh.dir, 'bad.yaml');
  writeFileSync(bad, `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: broken }
spec:
  parentRefs: [{ name: edge }]
  rules:
  - backendRefs:
    - { name: echo-a, port: 80 }
    - name: echo-b
      port: 80
      weight: -1
`);
  const v = await mesh.cli(['validate', '-f', bad]);
  assert.equal(v.code, 1);
  assert.match(v.stderr, /bad\.yaml:11:\d+ spec\.rules\[0\]\.backendRefs\[1\]\.weight: must be >= 0/);
  const before = await mesh.status();
  const a = await mesh.cli(['apply', '-f', bad]);
  assert.equal(a.code, 1);
  assert.match(a.stderr, /weight: must be >= 0/);
  assert.match(a.stderr, /rejected, nothing applied/);
  // A bad edit of the watched file is reported and ignored too.
  const good = readFileSync(mesh.file, 'utf8');
  writeFileSync(mesh.file, good + '---\nkind: Nonsense\n');
  await waitFor('the bad edit to be reported', () => mesh.output.includes('rejected change to'));
  const after = await mesh.status();
  assert.deepEqual(after.proxies.map((p) => p.configVersion), before.proxies.map((p) => p.configVersion));
  writeFileSync(mesh.file, good);
  assert.equal((await httpCall(gw, '/exact')).status, 200);
});

test('weft apply and weft delete change the running mesh', async () => {
  const extra = path.join(mesh.dir, 'extra.yaml');
  writeFileSync(extra, `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: extra }
spec:
  parentRefs: [{ name: edge }]
  rules:
  - matches: [{ path: { type: PathPrefix, value: /extra } }]
    backendRefs: [{ name: echo-b, port: 80 }]
`);
  assert.equal((await httpCall(gw, '/extra')).json.workload, 'echo-a');
  const a = await mesh.cli(['apply', '-f', extra]);
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stdout, /HTTPRoute\/default\/extra configured/);
  await waitFor('the new route to serve', async () => (await httpCall(gw, '/extra')).json.workload === 'echo-b');
  const d = await mesh.cli(['delete', '-f', extra]);
  assert.equal(d.code, 0, d.stderr);
  await waitFor('the route to be gone', async () => (await httpCall(gw, '/extra')).json.workload === 'echo-a');
});

test('a NACKed config leaves traffic on the previous version', async () => {
  const blocker = net.createServer();
  const taken = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as net.AddressInfo).port)));
  try {
    const good = readFileSync(mesh.file, 'utf8');
    const before = (await mesh.status()).proxies.find((p) => p.name === 'gateway-edge')!;
    writeFileSync(mesh.file, good.replace(`port: ${gw}, protocol: HTTP`, `port: ${gw}, protocol: HTTP }, { name: second, port: ${taken}, protocol: HTTP`));
    const s = await waitFor('the gateway to NACK', async () => {
      const st = await mesh.status();
      const g = st.proxies.find((p) => p.name === 'gateway-edge')!;
      return g.state === 'NACKED' ? g : undefined;
    });
    assert.match(s.error ?? '', /EADDRINUSE/);
    assert.equal(s.configVersion, before.configVersion, 'still running the previous version');
    for (let i = 0; i < 10; i++) assert.equal((await httpCall(gw, '/exact')).status, 200);
    writeFileSync(mesh.file, good);
    await mesh.waitAllSynced();
  } finally {
    blocker.close();
  }
});

test('with the control plane killed traffic keeps flowing; after its restart every proxy is SYNCED', async () => {
  const st = await mesh.status();
  process.kill(st.control.pid, 'SIGKILL');
  await waitFor('the control plane to be down', async () => { try { process.kill(st.control.pid, 0); return false; } catch { return true; } });
  let ok = 0;
  for (let i = 0; i < 50; i++) {
    const r = await httpCall(gw, i % 2 ? '/call/echo/x' : '/exact');
    if (r.status === 200) ok++;
  }
  assert.equal(ok, 50, 'every request served from the last good config while the control plane is down');
  const back = await mesh.waitAllSynced(30_000, (s) => s.control.pid !== st.control.pid);
  assert.notEqual(back.control.pid, st.control.pid);
  assert.deepEqual(back.proxies.map((p) => p.configVersion), st.proxies.map((p) => p.configVersion), 'same state gives the same versions');
});

test('stopping leaves no process behind', async () => {
  const pids = mesh.runtime().processes.map((p) => p.pid);
  assert.ok(pids.length >= 8);
  const code = await mesh.stop();
  assert.equal(code, 0, mesh.output.slice(-2000));
  const gone = (pid: number) => { try { process.kill(pid, 0); return false; } catch { return true; } };
  await waitFor('every child to exit', () => pids.every(gone), 10_000);
  assert.deepEqual(mesh.leftovers(), []);
  assert.match(mesh.output, /stopping: gateways drain first[\s\S]*stopping apps[\s\S]*stopping sidecars[\s\S]*stopping control plane[\s\S]*stopped/);
});
