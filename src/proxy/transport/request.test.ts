import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { makeCtx, endToEndHeaders, hostOf } from './request.js';
import { ProxyError } from '../errors.js';

const req = (url: string, headers: Record<string, string> = {}, method = 'GET') =>
  ({ url, headers, method, socket: {} }) as unknown as IncomingMessage;
const res = {} as ServerResponse;

test('origin-form: path, query and Host', () => {
  const c = makeCtx(req('/a/b?x=1&y', { host: 'web' }), res, 'http');
  assert.equal(c.path, '/a/b');
  assert.equal(c.query, 'x=1&y');
  assert.equal(c.authority, 'web');
});

test('absolute-form (HTTP_PROXY clients): authority comes from the target, not Host', () => {
  const c = makeCtx(req('http://catalog.shop:80/products?id=3', { host: 'ignored' }), res, 'http');
  assert.equal(c.authority, 'catalog.shop:80');
  assert.equal(c.path, '/products');
  assert.equal(c.query, 'id=3');
  assert.equal(c.headers.host, 'catalog.shop:80');
  const bare = makeCtx(req('http://reviews'), res, 'http');
  assert.equal(bare.path, '/');
  const q = makeCtx(req('http://reviews?x=1'), res, 'http');
  assert.equal(q.path, '/');
  assert.equal(q.query, 'x=1');
});

test('unsupported targets are bad requests', () => {
  assert.throws(() => makeCtx(req('catalog:443', {}, 'CONNECT'), res, 'http'), (e: unknown) => e instanceof ProxyError && e.code === 'bad-request');
  assert.throws(() => makeCtx(req('https://x/'), res, 'http'), ProxyError);
  assert.throws(() => makeCtx(req('/x'), res, 'http'), /missing Host/);
});

test('hop-by-hop headers, including those named by Connection, are not forwarded', () => {
  const h = endToEndHeaders({ connection: 'keep-alive, x-secret', 'keep-alive': 'timeout=5', 'x-secret': '1', 'transfer-encoding': 'chunked', te: 'trailers', accept: '*/*' });
  assert.deepEqual(h, { accept: '*/*' });
});

test('hostOf strips ports and brackets and lower-cases', () => {
  assert.deepEqual(hostOf('Catalog.Shop:8080'), { host: 'catalog.shop', port: 8080 });
  assert.deepEqual(hostOf('[::1]:80'), { host: '::1', port: 80 });
  assert.deepEqual(hostOf('web'), { host: 'web', port: undefined });
});
