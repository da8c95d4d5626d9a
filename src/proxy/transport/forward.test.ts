import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'undici';
import type { Ctx } from '../context.js';
import { forwardTo, headerMap } from './forward.js';

describe('headerMap', () => {
  it('lower-cases names, keeps repeated headers as arrays and keeps every byte', () => {
    const raw = [Buffer.from('Content-Type'), Buffer.from('text/plain'), Buffer.from('Set-Cookie'), Buffer.from('a=1'), Buffer.from('set-cookie'), Buffer.from('b=2'),
      Buffer.from('X-Three'), Buffer.from('1'), Buffer.from('x-three'), Buffer.from('2'), Buffer.from('X-THREE'), Buffer.from('3'), Buffer.from('X-Latin'), Buffer.from([0xe9])];
    assert.deepEqual(headerMap(raw), { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'], 'x-three': ['1', '2', '3'], 'x-latin': '\u00e9' });
  });
});

describe('forwardTo', () => {
  // The upstream: /big streams 8 MiB in 64 KiB chunks; /reset sends headers and part of a body, then cuts the connection.
  const BIG = 8 * 1024 * 1024;
  let upstream: http.Server;
  let proxy: http.Server;
  let pool: Pool;
  let failures: unknown[] = [];
  before(async () => {
    upstream = http.createServer((req, res) => {
      if (req.url === '/big') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'proxy-authenticate': 'Basic', 'x-up': 'yes' });
        const chunk = Buffer.alloc(65536, 7);
        let sent = 0;
        const pump = () => {
          while (sent < BIG) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
      } else if (req.url === '/reset') {
        res.writeHead(200, { 'content-length': '1000' });
        res.write('partial');
        setImmediate(() => res.socket?.destroy());
      } else {
        let n = 0;
        req.on('data', (c: Buffer) => { n += c.length; });
        req.on('end', () => res.end(`got ${n}`));
      }
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    pool = new Pool(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`);
    const service = forwardTo(pool, 'test-upstream');
    proxy = http.createServer((req, res) => {
      const ctx = { req, res, start: process.hrtime.bigint(), method: req.method!, path: req.url!, query: '', authority: 'x', scheme: 'http', headers: { ...req.headers } } as Ctx;
      delete ctx.headers.connection;
      service(ctx).catch((e: unknown) => {
        failures.push(e);
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    await pool.close();
    proxy.close();
    upstream.close();
  });
  const port = () => (proxy.address() as AddressInfo).port;

  it('streams a large response through with its headers, without hop-by-hop ones', async () => {
    const { status, headers, length } = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; length: number }>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: port(), path: '/big' }, (r) => {
        let length = 0;
        // A slow reader: pauses now and then, so the proxy must hold back (backpressure) rather than buffer.
        r.on('data', (c: Buffer) => {
          length += c.length;
          if (length % (1024 * 1024) < c.length) {
            r.pause();
            setTimeout(() => r.resume(), 5);
          }
        });
        r.on('end', () => resolve({ status: r.statusCode!, headers: r.headers, length }));
      }).on('error', reject);
    });
    assert.equal(status, 200);
    assert.equal(length, BIG);
    assert.equal(headers['x-up'], 'yes');
    assert.equal(headers['proxy-authenticate'], undefined);
  });

  it('streams a request body upstream', async () => {
    const body = Buffer.alloc(300000, 1);
    const text = await new Promise<string>((resolve, reject) => {
      const q = http.request({ host: '127.0.0.1', port: port(), path: '/echo', method: 'POST', headers: { 'content-length': body.length } }, (r) => {
        let s = '';
        r.on('data', (c) => { s += c; });
        r.on('end', () => resolve(s));
      });
      q.on('error', reject);
      q.end(body);
    });
    assert.equal(text, 'got 300000');
  });

  it('rejects with upstream-reset when the endpoint cuts the body short', async () => {
    failures = [];
    await new Promise<void>((resolve) => {
      http.get({ host: '127.0.0.1', port: port(), path: '/reset' }, (r) => {
        r.on('data', () => {});
        r.on('error', () => resolve());
        r.on('close', () => resolve());
      }).on('error', () => resolve());
    });
    const deadline = Date.now() + 5000;
    while (failures.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal((failures[0] as { code?: string })?.code, 'upstream-reset');
  });
});
