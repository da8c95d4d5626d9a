import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Ctx } from '../context.js';
import { forwardTo } from './forward.js';
import { HttpListener } from './listener.js';
import { UpstreamPool, plainConnect } from './client.js';
import { waitFor } from '../../util/wait.js';

describe('forwardTo', () => {
  // The upstream: /big streams 8 MiB in 64 KiB chunks; /reset sends headers and part of a body, then cuts the connection.
  const BIG = 8 * 1024 * 1024;
  let upstream: http.Server;
  let proxy: HttpListener;
  let pool: UpstreamPool;
  let failures: unknown[] = [];
  let upstreamAborted = 0;
  let upstreamSeen = 0;
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
      } else if (req.url === '/early') {
        // Answers at once without reading the request body (as nginx's `return`, or an app rejecting an upload).
        res.end('early');
      } else {
        upstreamSeen++;
        req.on('close', () => { if (!req.complete) upstreamAborted++; });
        let n = 0;
        req.on('data', (c: Buffer) => { n += c.length; });
        req.on('end', () => res.end(`got ${n}`));
      }
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    pool = new UpstreamPool('test-upstream', plainConnect('127.0.0.1', (upstream.address() as AddressInfo).port), { maxConnections: 16, idleTimeoutMs: 30_000, connectTimeoutMs: 5000 });
    const service = forwardTo(pool);
    // The engine's listener in front, with the forwarder as its whole stack (no rescue layer: failures are collected).
    proxy = new HttpListener((ctx: Ctx) => service(ctx).catch((e: unknown) => {
      failures.push(e);
      if (!ctx.res.headersSent) {
        ctx.res.writeHead(502, {});
        ctx.res.end();
      } else ctx.res.destroy();
    }));
    await proxy.listen(0, '127.0.0.1');
  });
  after(async () => {
    pool.close();
    await proxy.drain(0);
    upstream.close();
  });
  const port = () => proxy.port;

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
    await waitFor('a failure', () => failures.length > 0, 5000, 10);
    assert.equal((failures[0] as { code?: string })?.code, 'upstream-reset');
  });

  it('relays a response that comes before the request body is sent, and keeps the client connection usable', { timeout: 20000 }, async () => {
    // The body is larger than the socket buffers between the three processes' sockets, so the endpoint
    // answers while the proxy is still sending it. The proxy must still answer the client, read (and drop)
    // the rest of the body, and serve the next request on the same keep-alive connection.
    const body = Buffer.alloc(4 * 1024 * 1024, 2);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const post = (path: string) => new Promise<{ text: string; localPort: number }>((resolve, reject) => {
      const q = http.request({ host: '127.0.0.1', port: port(), path, method: 'POST', agent, headers: { 'content-length': body.length } }, (r) => {
        let s = '';
        const localPort = r.socket.localPort!;
        r.on('data', (c) => { s += c; });
        r.on('end', () => resolve({ text: s, localPort }));
        r.on('error', reject);
      });
      q.on('error', reject);
      q.end(body);
    });
    try {
      const seen: { text: string; localPort: number }[] = [];
      for (let i = 0; i < 3; i++) seen.push(await post('/early'));
      seen.push(await post('/echo'));
      assert.deepEqual(seen.map((x) => x.text), ['early', 'early', 'early', `got ${body.length}`]);
      assert.equal(new Set(seen.map((x) => x.localPort)).size, 1, 'one keep-alive connection for all four requests');
    } finally {
      agent.destroy();
    }
  });

  it('aborts the upstream request when the client breaks off mid-body', async () => {
    upstreamAborted = 0;
    upstreamSeen = 0;
    const q = http.request({ host: '127.0.0.1', port: port(), path: '/echo', method: 'POST', headers: { 'content-length': 1024 * 1024 } });
    q.on('error', () => {});
    q.write(Buffer.alloc(1000, 3));
    // Once the request has reached the endpoint, the client goes away.
    await waitFor('the request to reach the endpoint', () => upstreamSeen > 0, 5000, 10);
    assert.equal(upstreamSeen, 1);
    q.destroy();
    await waitFor('the upstream request to be aborted', () => upstreamAborted > 0, 5000, 10);
    assert.equal(upstreamAborted, 1);
  });
});
