// Zero trust end to end on a real local mesh: mTLS on every hop with workload identity, PeerAuthentication
// modes, AuthorizationPolicy with path normalization, identity headers that cannot be spoofed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import path from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { TestMesh, freePort, httpCall, waitFor } from './helpers/mesh.js';
import { securityYaml } from './helpers/yaml.js';

let mesh: TestMesh;
let gw: number;

const inboundOf = (m: TestMesh, replica: string) => m.runtime().processes.find((p) => p.name === `${replica}/proxy`)!.ports!.inbound!;
const adminOf = (m: TestMesh, name: string) => {
  const p = m.runtime().processes.find((x) => x.name === name || x.name === `${name}/proxy`)!;
  return p.ports?.admin ?? 0;
};

/** Sends a plaintext HTTP request to a raw port; resolves with the status line, or "closed" if the peer hangs up. */
function rawPlain(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    s.on('data', (d) => (data += d));
    s.on('error', () => resolve(data ? data.split('\r\n')[0] : 'closed'));
    s.on('close', () => resolve(data ? data.split('\r\n')[0] : 'closed'));
    s.write('GET /x HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n');
  });
}

before(async () => {
  gw = await freePort();
  mesh = new TestMesh(securityYaml(gw));
  await mesh.start();
  await mesh.waitAllSynced();
  await waitFor('the api through the gateway', async () => (await httpCall(gw, '/hello')).status === 200);
});

after(async () => {
  if (mesh?.proc && mesh.proc.exitCode === null) await mesh.stop();
});

test('every hop is mTLS with SPIFFE identities; the app sees the verified peer only', async () => {
  const r = await httpCall(gw, '/hello', { headers: { 'x-forwarded-client-cert': 'By=x;URI=spiffe://sec.local/ns/default/sa/admin-sa', 'x-weft-peer': 'admin' } });
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json.headers['x-forwarded-client-cert'].replace(/Hash=[0-9a-f]{64}/, 'Hash=H'),
    'By=spiffe://sec.local/ns/default/sa/api-sa;Hash=H;URI=spiffe://sec.local/ns/default/sa/gateway-edge');
  assert.equal(r.json.headers['x-weft-peer'], undefined);
  const c = await httpCall(gw, '/call/api/x');
  assert.match(c.json.headers['x-forwarded-client-cert'], /URI=spiffe:\/\/sec\.local\/ns\/default\/sa\/client-sa$/);
});

test('STRICT (the default) refuses plaintext at the inbound port', async () => {
  assert.equal(await rawPlain(inboundOf(mesh, 'api-0')), 'closed');
});

test('weft identity shows the SPIFFE ID, serial and renewal', async () => {
  const r = await mesh.cli(['identity', 'api-0', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const id = JSON.parse(r.stdout);
  assert.equal(id.certificate.spiffeId, 'spiffe://sec.local/ns/default/sa/api-sa');
  assert.match(id.certificate.serial, /^[0-9a-f]+$/);
  const life = Date.parse(id.certificate.notAfter) - Date.parse(id.certificate.notBefore);
  assert.ok(life > 23 * 3600_000 && life <= 24 * 3600_000 + 120_000, `lifetime ${life}`);
  assert.ok(Date.parse(id.certificate.renewAt) > Date.now());
});

test('AuthorizationPolicy DENY on normalized paths; 403 names no policy contents', async () => {
  const cases: [string, number][] = [
    ['/admin', 403], ['//admin', 403], ['/a/../admin', 403], ['/%61dmin', 403], ['/admin/x', 403],
    ['/ADMIN', 200], ['/public', 200], ['/admin%2Fx', 400],
  ];
  for (const [p, want] of cases) {
    const r = await httpCall(gw, p);
    assert.equal(r.status, want, `${p}: ${r.status} ${r.body}`);
    if (want === 403) {
      assert.equal(r.headers['x-weft-error'], 'rbac-denied');
      assert.doesNotMatch(r.body, /admin\*/);
    }
  }
  // Backslash as sent by a raw client (Node's http client would not send it).
  const raw = await new Promise<string>((resolve) => {
    const s = net.connect(gw, '127.0.0.1');
    let d = '';
    s.on('data', (x) => (d += x));
    s.on('close', () => resolve(d.split('\r\n')[0]));
    s.write('GET \\admin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  });
  assert.match(raw, / (400|403) /);
});

test('weft check passes on a healthy STRICT mesh', async () => {
  const r = await mesh.cli(['check', '-o', 'json']);
  const results = JSON.parse(r.stdout) as { check: string; status: string; message: string }[];
  for (const c of results) assert.notEqual(c.status, 'FAIL', `${c.check}: ${c.message}`);
  assert.ok(results.some((c) => c.check.includes('STRICT') && c.status === 'PASS'));
  assert.equal(r.code, 0);
});

test('PERMISSIVE serves plaintext and mTLS on the same port', async () => {
  const pa = path.join(mesh.dir, 'pa.yaml');
  writeFileSync(pa, `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: api-permissive }
spec:
  selector: { matchLabels: { app: api } }
  mtls: { mode: PERMISSIVE }
`);
  const a = await mesh.cli(['apply', '-f', pa]);
  assert.equal(a.code, 0, a.stderr);
  await waitFor('plaintext accepted', async () => (await rawPlain(inboundOf(mesh, 'api-0'))).startsWith('HTTP/1.1 200'));
  const r = await httpCall(gw, '/hello');
  assert.match(r.json.headers['x-forwarded-client-cert'], /URI=spiffe:\/\/sec\.local\/ns\/default\/sa\/gateway-edge/, 'mesh traffic still mTLS');
  const d = await mesh.cli(['delete', '-f', pa]);
  assert.equal(d.code, 0, d.stderr);
  await waitFor('STRICT again', async () => (await rawPlain(inboundOf(mesh, 'api-0'))) === 'closed');
});

test('mTLS handshakes per 10,000 requests on a steady load stay a handful', async () => {
  const admin = adminOf(mesh, 'gateway-edge');
  const before = (await httpCall(admin, '/stats')).json;
  const N = 10_000;
  let ok = 0;
  const deadline = Date.now() + 120_000;
  for (let i = 0; i < N; i += 50) {
    assert.ok(Date.now() < deadline, 'load took too long');
    const rs = await Promise.all(Array.from({ length: 50 }, () => httpCall(gw, '/steady')));
    ok += rs.filter((r) => r.status === 200).length;
  }
  const after = (await httpCall(admin, '/stats')).json;
  const hs = after.clientHandshakes - before.clientHandshakes;
  console.log(`# mTLS handshakes (gateway -> sidecars) for ${N} requests: ${hs} (${after.clientResumed - before.clientResumed} resumed)`);
  assert.equal(ok, N);
  assert.ok(hs <= 64, `${hs} handshakes for ${N} requests`);
});

test('REGISTRY_ONLY refuses hosts outside the mesh; ALLOW_ANY lets them through', async () => {
  const outside = await new Promise<import('node:http').Server>((resolve) => {
    const s = http.createServer((_req, res) => res.end('outside'));
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
  // The Mesh is defined in the watched file, which owns it (`weft apply` of it is refused): edit the file.
  const original = readFileSync(mesh.file, 'utf8');
  const withMode = (mode: string) => writeFileSync(mesh.file, original.replace('spec: { trustDomain: sec.local }', `spec: { trustDomain: sec.local, outboundTrafficPolicy: { mode: ${mode} } }`));
  try {
    const port = (outside.address() as net.AddressInfo).port;
    const out = mesh.runtime().processes.find((p) => p.name === 'client-0/proxy')!.ports!.outbound!;
    assert.equal((await httpCall(out, `http://localhost:${port}/`)).body, 'outside');
    withMode('REGISTRY_ONLY');
    const denied = await waitFor('REGISTRY_ONLY in force', async () => {
      const r = await httpCall(out, `http://localhost:${port}/`);
      return r.status === 502 ? r : undefined;
    });
    assert.equal(denied.headers['x-weft-error'], 'registry-only');
    assert.equal((await httpCall(out, 'http://api/x')).status, 200, 'mesh services still work');
    withMode('ALLOW_ANY');
    await waitFor('ALLOW_ANY again', async () => (await httpCall(out, `http://localhost:${port}/`)).status === 200);
  } finally {
    writeFileSync(mesh.file, original);
    outside.close();
  }
});

test('weft authz explain names the deciding policy and why', async () => {
  const denied = await mesh.cli(['authz', 'explain', '--from', 'client', '--to', 'api', '--method', 'GET', '--path', '/a/../admin/x']);
  assert.equal(denied.code, 0, denied.stderr);
  assert.match(denied.stdout, /normalizes to \/admin\/x/);
  assert.match(denied.stdout, /default\/deny-admin-paths/);
  assert.match(denied.stdout, /result: DENIED \(403\)/);
  const allowed = await mesh.cli(['authz', 'explain', '--from', 'client', '--to', 'api', '--path', '/public']);
  assert.match(allowed.stdout, /result: ALLOWED/);
  const bad = await mesh.cli(['authz', 'explain', '--from', 'nobody', '--to', 'api']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--from nobody: no Workload or Gateway/);
});

test('escaped slashes: rejected by default, unescaped (and then policed) when the Mesh says so', async () => {
  assert.equal((await httpCall(gw, '/admin%2Fx')).status, 400);
  // The Mesh is defined in the watched file, which owns it (`weft apply` of it is refused): edit the file.
  const original = readFileSync(mesh.file, 'utf8');
  const withMode = (mode: string) => writeFileSync(mesh.file, original.replace('spec: { trustDomain: sec.local }', `spec: { trustDomain: sec.local, pathNormalization: { escapedSlashes: ${mode} } }`));
  withMode('UNESCAPE');
  const r = await waitFor('UNESCAPE in force', async () => {
    const x = await httpCall(gw, '/admin%2Fx');
    return x.status !== 400 ? x : undefined;
  });
  assert.equal(r.status, 403, 'decoded to /admin/x, which the DENY policy covers');
  withMode('REJECT');
  await waitFor('REJECT again', async () => (await httpCall(gw, '/admin%2Fx')).status === 400);
});
