import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Ctx } from '../context.js';
import { buildRequest, hostOf, validAuthority } from './request.js';
import { HeadParser } from './head.js';
import type { ServerConn } from './server.js';
import { ProxyError } from '../errors.js';

const conn = { peer: undefined } as unknown as ServerConn;

/** Parses a raw head and builds the Ctx the layers would see. */
function ctxOf(raw: string): Ctx {
  const p = new HeadParser();
  const buf = Buffer.from(raw, 'latin1');
  assert.ok(p.parseRequest(buf, 0, buf.length) > 0, `parses: ${p.error}`);
  return buildRequest(p, buf, conn, 'http');
}
const bad = (raw: string, re?: RegExp) =>
  assert.throws(() => ctxOf(raw), (e: unknown) => e instanceof ProxyError && e.code === 'bad-request' && (re === undefined || re.test(e.message)));

test('origin-form: path, query and Host', () => {
  const c = ctxOf('GET /a/b?x=1&y HTTP/1.1\r\nHost: web\r\n\r\n');
  assert.equal(c.path, '/a/b');
  assert.equal(c.query, 'x=1&y');
  assert.equal(c.authority, 'web');
  assert.equal(c.version, '1.1');
});

test('absolute-form (HTTP_PROXY clients): authority comes from the target, not Host', () => {
  const c = ctxOf('GET http://catalog.shop:80/products?id=3 HTTP/1.1\r\nHost: ignored\r\n\r\n');
  assert.equal(c.authority, 'catalog.shop:80');
  assert.equal(c.path, '/products');
  assert.equal(c.query, 'id=3');
  assert.equal(c.headers.host, 'catalog.shop:80');
  assert.equal(ctxOf('GET http://reviews HTTP/1.1\r\nHost: reviews\r\n\r\n').path, '/');
  const q = ctxOf('GET http://reviews?x=1 HTTP/1.1\r\nHost: reviews\r\n\r\n');
  assert.equal(q.path, '/');
  assert.equal(q.query, 'x=1');
  // HTTP/1.0 may leave Host out when the target carries the authority.
  assert.equal(ctxOf('GET http://reviews/ HTTP/1.0\r\n\r\n').authority, 'reviews');
});

test('unsupported targets are bad requests', () => {
  bad('CONNECT catalog:443 HTTP/1.1\r\nHost: catalog:443\r\n\r\n', /CONNECT/);
  bad('GET https://x/ HTTP/1.1\r\nHost: x\r\n\r\n');
  bad('GET http://user:pw@x/ HTTP/1.1\r\nHost: x\r\n\r\n', /userinfo/);
  bad('GET * HTTP/1.1\r\nHost: x\r\n\r\n');
  bad('GET /x#frag HTTP/1.1\r\nHost: x\r\n\r\n', /fragment/);
  // Absolute-form authorities get the same checks as Host (RFC 9112 section 3.2.2).
  for (const t of ['http://', 'http:///x', 'http://[::1/x', 'http://a:b/x', 'http://a:99999/', 'http://%zz/']) {
    bad(`GET ${t} HTTP/1.1\r\nHost: x\r\n\r\n`);
  }
});

test('Host: exactly one, and a valid authority, else 400 before anything routes', () => {
  bad('GET /x HTTP/1.1\r\n\r\n', /missing Host/);
  bad('GET /x HTTP/1.0\r\n\r\n', /missing Host/);
  bad('GET /x HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n', /more than one Host/);
  for (const h of ['', 'user@web', 'web/path', 'web?x', 'web#x', 'web:port', 'web:99999', 'web:', '[::1', '[zz]', 'a b', 'web%zz', 'x\\y']) {
    bad(`GET /x HTTP/1.1\r\nHost: ${h}\r\n\r\n`);
  }
  for (const h of ['web', 'web:8080', 'catalog.shop.svc.cluster.local:80', '[::1]:80', '[::1]', '127.0.0.1:1', 'xn--bcher-kva.example', 'a-b_c~d']) {
    assert.equal(ctxOf(`GET /x HTTP/1.1\r\nHost: ${h}\r\n\r\n`).authority, h);
  }
});

test('validAuthority on its own', () => {
  assert.equal(validAuthority('a:65535'), true);
  assert.equal(validAuthority('a:65536'), false);
  assert.equal(validAuthority('a:123456'), false);
  assert.equal(validAuthority('%41'), true);
  assert.equal(validAuthority('%4'), false);
});

test('request headers: as sent for matching (repeats as arrays), end-to-end copy for the next hop', () => {
  const c = ctxOf('GET / HTTP/1.1\r\nHost: web\r\nX-A: 1\r\nx-a: 2\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\nTE: trailers\r\nAccept: */*\r\nUpgrade: websocket\r\n\r\n');
  assert.deepEqual(c.reqHeaders['x-a'], ['1', '2']);
  assert.equal(c.reqHeaders['x-secret'], 's');
  assert.deepEqual(c.headers, { host: 'web', 'x-a': ['1', '2'], accept: '*/*' });
  assert.equal(c.upgrade, undefined, 'Upgrade without Connection: upgrade is no upgrade');
  const u = ctxOf('GET /ws HTTP/1.1\r\nHost: web\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
  assert.equal(u.upgrade, 'websocket');
});

test('hop-by-hop headers, including those named by Connection, are not forwarded', () => {
  const c = ctxOf('GET / HTTP/1.1\r\nHost: web\r\nConnection: keep-alive, x-secret\r\nKeep-Alive: timeout=5\r\nX-Secret: 1\r\nTE: trailers\r\nProxy-Connection: x\r\nAccept: */*\r\n\r\n');
  assert.deepEqual(c.headers, { host: 'web', accept: '*/*' });
});

test('hostOf strips ports and brackets and lower-cases', () => {
  assert.deepEqual(hostOf('Catalog.Shop:8080'), { host: 'catalog.shop', port: 8080 });
  assert.deepEqual(hostOf('[::1]:80'), { host: '::1', port: 80 });
  assert.deepEqual(hostOf('web'), { host: 'web', port: undefined });
});
