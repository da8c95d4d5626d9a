// TLS termination at the gateway in a real mesh: HTTPS listeners with certificates from kubernetes.io/tls
// Secrets, chosen by SNI; ALPN; handshakes that go wrong (plain HTTP, silence, too many at once) do not
// harm the listener; a certificate rotated with `weft apply` serves new connections while open ones go on;
// `weft get secrets` shows no value.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { TestMesh, ECHO, freePort, waitFor } from './helpers/mesh.js';
import { docs, serviceDoc, workloadDoc } from './helpers/yaml.js';
import { makeLeaf, makeTestCa, type TestCa, type TestLeaf } from '../src/control/ca/fixtures.js';

const block = (pem: string) => `|\n${pem.trimEnd().split('\n').map((l) => `    ${l}`).join('\n')}`;
const secretDoc = (name: string, leaf: TestLeaf) => `apiVersion: v1
kind: Secret
metadata: { name: ${name} }
type: kubernetes.io/tls
stringData:
  tls.crt: ${block(leaf.chainPem.join(''))}
  tls.key: ${block(leaf.keyPem)}
`;

function yaml(port: number, shop: TestLeaf, fallback: TestLeaf): string {
  return docs(
    `apiVersion: weft.dev/v1alpha1
kind: Mesh
metadata: { name: gwtls }
spec: { trustDomain: gwtls.local, listeners: { requestHeadersTimeout: 1s, maxConnections: 6 } }
`,
    workloadDoc('api', { args: [ECHO], probe: '/healthz' }),
    serviceDoc('api'),
    secretDoc('shop-tls', shop),
    secretDoc('default-tls', fallback),
    `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge }
spec:
  listeners:
  - { name: shop, port: ${port}, protocol: HTTPS, hostname: shop.example.com, tls: { certificateRefs: [{ name: shop-tls }] } }
  - { name: https, port: ${port}, protocol: HTTPS, tls: { mode: Terminate, certificateRefs: [{ kind: Secret, name: default-tls }] } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: edge }
spec:
  parentRefs: [{ name: edge }]
  rules: [{ backendRefs: [{ name: api, port: 80 }] }]
`,
  );
}

const serialOf = (pem: string) => new X509Certificate(pem).serialNumber;

interface HttpsResult { status: number; json: any; san: string; serial: string; alpn: string | false | null }

let ca: TestCa;
let mesh: TestMesh;
let port: number;
let shop: TestLeaf;

/** One request on a fresh connection, trusting the test CA; `servername` is the SNI (and the Host). */
function get(servername: string | undefined, o: { path?: string; alpn?: string[]; ca?: string } = {}): Promise<HttpsResult> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port, path: o.path ?? '/', agent: false, ca: o.ca ?? ca.rootPem,
      ...(servername !== undefined ? { servername, headers: { host: servername } } : {}),
      ...(o.alpn !== undefined ? { ALPNProtocols: o.alpn } : {}),
    }, (res) => {
      const sock = res.socket as tls.TLSSocket;
      const cert = sock.getPeerCertificate();
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: body.startsWith('{') ? JSON.parse(body) : undefined, san: cert.subjectaltname ?? '', serial: cert.serialNumber, alpn: sock.alpnProtocol }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end();
  });
}

/** Resolves when the server closes the connection, with how long that took. */
function closedWithin(s: net.Socket): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  let bytes = 0;
  s.on('data', (d: Buffer) => (bytes += d.length));
  s.on('error', () => {});
  return new Promise((resolve) => s.once('close', () => resolve({ ms: performance.now() - t0, bytes })));
}

before(async () => {
  ca = await makeTestCa();
  shop = await makeLeaf(ca, { dns: ['shop.example.com'], notAfter: new Date(Date.now() + 24 * 3600_000) });
  const fallback = await makeLeaf(ca, { dns: ['localhost', 'default.example.com'], notAfter: new Date(Date.now() + 24 * 3600_000) });
  port = await freePort();
  mesh = new TestMesh(yaml(port, shop, fallback));
  await mesh.start();
  await mesh.waitAllSynced();
  await waitFor('the HTTPS gateway to reach api', async () => (await get('localhost', { path: '/healthz' }).catch(() => undefined))?.status === 200);
});

after(async () => {
  await mesh?.stop();
});

test('an HTTPS listener terminates TLS: 200 through the gateway, the app sees X-Forwarded-Proto https, status shows an https URL', async () => {
  const r = await get('localhost', { path: '/hello' });
  assert.equal(r.status, 200);
  assert.equal(r.json.path, '/hello');
  assert.equal(r.json.headers['x-forwarded-proto'], 'https');
  assert.match(r.san, /DNS:default\.example\.com/);
  const s = await mesh.status();
  assert.deepEqual(s.gateways.map((g) => g.url).sort(), [`https://127.0.0.1:${port}/`, `https://127.0.0.1:${port}/`]);
});

test('SNI picks the certificate: shop.example.com gets its own, any other name (or none) the default listener\'s', async () => {
  const a = await get('shop.example.com');
  assert.equal(a.status, 200);
  assert.equal(a.san, 'DNS:shop.example.com');
  const b = await get('default.example.com');
  assert.equal(b.status, 200);
  assert.match(b.san, /DNS:default\.example\.com/);
  // No SNI at all (a client connecting by IP): the default certificate, which a client checking the
  // name 127.0.0.1 refuses; accepting any name shows which one it was.
  const c = await new Promise<string>((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca: ca.rootPem, checkServerIdentity: () => undefined }, () => {
      resolve(s.getPeerCertificate().subjectaltname ?? '');
      s.end();
    });
    s.on('error', reject);
  });
  assert.match(c, /DNS:default\.example\.com/);
});

test('ALPN: a client offering only http/1.1 gets HTTP/1.1; h2 is offered to clients that ask for it', async () => {
  const r = await get('shop.example.com', { alpn: ['http/1.1'] });
  assert.equal(r.status, 200);
  assert.equal(r.alpn, 'http/1.1');
  const negotiated = await new Promise<string | false | null>((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'shop.example.com', ca: ca.rootPem, ALPNProtocols: ['h2', 'http/1.1'] }, () => {
      resolve(s.alpnProtocol);
      s.destroy();
    });
    s.on('error', reject);
  });
  assert.equal(negotiated, 'h2');
});

test('bad handshakes do not harm the listener: plain HTTP, an untrusting client, silence past the handshake timeout, too many at once', async () => {
  // Plain HTTP on the TLS port: closed, no HTTP answer.
  const plain = net.connect(port, '127.0.0.1');
  const plainClosed = closedWithin(plain);
  plain.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  const p = await plainClosed;
  assert.ok(p.bytes < 64, `a plain HTTP request got ${p.bytes} bytes back`);
  // A client that does not trust the certificate gives up; the gateway is unaffected.
  await assert.rejects(get('shop.example.com', { ca: (await makeTestCa()).rootPem }), /certificate/);
  // Silent connections hold a slot only until the handshake timeout (Mesh requestHeadersTimeout 1s); while
  // maxConnections (6) are held, one more is closed at once.
  const silent = Array.from({ length: 6 }, () => net.connect(port, '127.0.0.1'));
  const silentClosed = silent.map(closedWithin);
  await Promise.all(silent.map((s) => new Promise((resolve) => s.once('connect', resolve))));
  const extra = net.connect(port, '127.0.0.1');
  const extraClosed = await closedWithin(extra);
  assert.ok(extraClosed.ms < 900, `the connection over maxConnections was closed after ${extraClosed.ms.toFixed(0)} ms`);
  for (const c of await Promise.all(silentClosed)) {
    assert.ok(c.ms >= 800 && c.ms < 5000, `a silent connection was closed after ${c.ms.toFixed(0)} ms; the handshake timeout is 1s`);
  }
  const ok = await get('shop.example.com');
  assert.equal(ok.status, 200);
});

test('weft get secrets shows type and keys, never values', async () => {
  const t = await mesh.cli(['get', 'secrets']);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /^NAMESPACE\s+NAME\s+TYPE\s+KEYS\s+SOURCE$/m);
  assert.match(t.stdout, /^default\s+shop-tls\s+kubernetes\.io\/tls\s+tls\.crt,tls\.key\s+mesh\.yaml:\d+$/m);
  const j = await mesh.cli(['get', 'secret', '-o', 'json']);
  assert.equal(j.code, 0, j.stderr);
  const rows = JSON.parse(j.stdout) as { metadata: { name: string }; type: string; keys: string[] }[];
  assert.deepEqual(rows.map((r) => [r.metadata.name, r.type, r.keys]), [['default-tls', 'kubernetes.io/tls', ['tls.crt', 'tls.key']], ['shop-tls', 'kubernetes.io/tls', ['tls.crt', 'tls.key']]]);
  for (const out of [t.stdout, j.stdout, (await mesh.cli(['get'])).stdout, (await mesh.cli(['proxy-config', 'gateway-edge', '-o', 'json'])).stdout, mesh.output, mesh.logText()]) {
    assert.doesNotMatch(out, /PRIVATE KEY/);
    assert.ok(!out.includes(shop.keyPem.split('\n')[1]), 'a line of the private key was printed');
  }
});

test('a certificate rotated with weft apply serves new connections; a connection opened before goes on', async () => {
  const before = await get('shop.example.com');
  assert.equal(before.serial, serialOf(shop.certPem));
  // A keep-alive connection opened on the old certificate.
  const open = tls.connect({ host: '127.0.0.1', port, servername: 'shop.example.com', ca: ca.rootPem, ALPNProtocols: ['http/1.1'] });
  await new Promise((resolve, reject) => { open.once('secureConnect', resolve); open.once('error', reject); });
  assert.equal(open.getPeerCertificate().serialNumber, before.serial);

  // The mesh file owns shop-tls (weft apply cannot change it): the listener moves to a Secret applied
  // through the API, which weft apply then rotates.
  const second = await makeLeaf(ca, { dns: ['shop.example.com'], notAfter: new Date(Date.now() + 48 * 3600_000) });
  const file = path.join(mesh.dir, 'rotate.yaml');
  writeFileSync(file, secretDoc('shop-tls-2', second));
  const applied = await mesh.cli(['apply', '-f', file]);
  assert.equal(applied.code, 0, applied.stderr);
  writeFileSync(mesh.file, readFileSync(mesh.file, 'utf8').replace('certificateRefs: [{ name: shop-tls }]', 'certificateRefs: [{ name: shop-tls-2 }]'));
  await waitFor('new connections to get the second certificate', async () => (await get('shop.example.com').catch(() => undefined))?.serial === serialOf(second.certPem));

  const third = await makeLeaf(ca, { dns: ['shop.example.com'], notAfter: new Date(Date.now() + 72 * 3600_000) });
  writeFileSync(file, secretDoc('shop-tls-2', third));
  const again = await mesh.cli(['apply', '-f', file]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout + again.stderr, /Secret\/default\/shop-tls-2/);
  await waitFor('new connections to get the third certificate', async () => (await get('shop.example.com').catch(() => undefined))?.serial === serialOf(third.certPem));
  // The default listener's certificate did not move.
  assert.match((await get('localhost')).san, /DNS:default\.example\.com/);

  // The connection opened before any of this still carries requests.
  const answer = await new Promise<string>((resolve, reject) => {
    let got = '';
    open.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.includes('\r\n\r\n')) resolve(got);
    });
    open.once('error', reject);
    open.write('GET /still-here HTTP/1.1\r\nHost: shop.example.com\r\n\r\n');
  });
  assert.match(answer, /^HTTP\/1\.1 200 /);
  open.destroy();
});

test('a listener naming a Secret that does not exist is refused at file:line; an expired certificate is applied with a warning', async () => {
  const bad = path.join(mesh.dir, 'bad.yaml');
  writeFileSync(bad, `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: other }
spec:
  listeners:
  - name: https
    port: ${await freePort()}
    protocol: HTTPS
    tls:
      certificateRefs:
      - name: nope
`);
  const r = await mesh.cli(['apply', '-f', bad]);
  assert.notEqual(r.code, 0);
  assert.match(r.stdout + r.stderr, /bad\.yaml:11:\d+ spec\.listeners\[0\]\.tls\.certificateRefs\[0\]\.name: Secret default\/nope does not exist/);

  const old = await makeLeaf(ca, { dns: ['old.example.com'], notBefore: new Date(Date.now() - 48 * 3600_000), notAfter: new Date(Date.now() - 24 * 3600_000) });
  const file = path.join(mesh.dir, 'old.yaml');
  writeFileSync(file, secretDoc('old-tls', old));
  const w = await mesh.cli(['apply', '-f', file]);
  assert.equal(w.code, 0, w.stderr);
  assert.match(w.stderr, /warning: .*old\.yaml:\d+:\d+ stringData\["tls\.crt"\]: the certificate expired on/);
});
