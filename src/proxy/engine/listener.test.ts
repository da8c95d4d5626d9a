// The engine's listener on real sockets, driven with raw bytes: framing tricks RFC 9112 names, the head
// limits, the timeouts, the connection limit, pipelining and bounded memory under large bodies.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Ctx } from '../context.js';
import { HttpListener } from './listener.js';
import { forwardTo } from './forward.js';
import { UpstreamPool, plainConnect } from './client.js';
import { waitFor as waitForShared } from '../../util/wait.js';

/** Sends raw bytes and reads until the server closes, or until `until` matches what came back. */
function raw(port: number, bytes: string | Buffer, o: { until?: RegExp; timeoutMs?: number } = {}): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ text, closed: false });
    }, o.timeoutMs ?? 5000);
    s.on('data', (d) => {
      text += d.toString('latin1');
      if (o.until !== undefined && o.until.test(text)) {
        clearTimeout(timer);
        s.destroy();
        resolve({ text, closed: false });
      }
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    s.on('error', (e) => {
      if ((e as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(e);
    });
    s.write(bytes);
  });
}

const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);

describe('engine listener', () => {
  // The upstream: echoes method, path and body length (and the body's bytes' sum) as JSON.
  let upstream: http.Server;
  let pool: UpstreamPool;
  let l: HttpListener;
  const rejects: string[] = [];
  const svc = (ctx: Ctx) => forwardTo(pool)(ctx).catch(() => {
    if (!ctx.res.headersSent) {
      ctx.res.writeHead(502, {});
      ctx.res.end();
    } else ctx.res.destroy();
  });

  before(async () => {
    upstream = http.createServer({ maxHeaderSize: 128 * 1024 }, (req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => {
        const body = JSON.stringify({ method: req.method, url: req.url, n, te: req.headers['transfer-encoding'] ?? null, trailers: req.trailers });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(req.method === 'HEAD' ? undefined : body);
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    pool = new UpstreamPool('echo', plainConnect('127.0.0.1', (upstream.address() as AddressInfo).port), { maxConnections: 64, idleTimeoutMs: 30_000, connectTimeoutMs: 5000 });
    l = new HttpListener(svc, 'http', { headerTimeoutMs: 2000 });
    l.onRejected = (_c, status, code) => rejects.push(`${status} ${code}`);
    await l.listen(0, '127.0.0.1');
  });
  after(async () => {
    await l.drain(0);
    pool.close();
    upstream.closeAllConnections();
    upstream.close();
  });

  const H = 'Host: svc\r\n';
  // Each row: a raw request, and the status the proxy answers with. Every rejected one closes the connection.
  const rejected: [string, string, number][] = [
    ['Content-Length with Transfer-Encoding (request smuggling)', `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
    ['Transfer-Encoding before Content-Length', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n`, 400],
    ['two Content-Length headers, equal', `POST / HTTP/1.1\r\n${H}Content-Length: 1\r\nContent-Length: 1\r\n\r\na`, 400],
    ['two Content-Length headers, different', `POST / HTTP/1.1\r\n${H}Content-Length: 1\r\nContent-Length: 2\r\n\r\naa`, 400],
    ['a Content-Length list', `POST / HTTP/1.1\r\n${H}Content-Length: 1, 1\r\n\r\na`, 400],
    ['a signed Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: +1\r\n\r\na`, 400],
    ['a hex Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: 0x1\r\n\r\na`, 400],
    ['chunked not the final coding', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n`, 400],
    ['an unknown coding alone', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\n`, 400],
    ['chunked twice', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
    ['Transfer-Encoding in HTTP/1.0', `POST / HTTP/1.0\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
    ['a chunk size that is not hex', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`, 400],
    ['a chunk without its CRLF', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n`, 400],
    ['a chunk size with a bare LF', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n`, 400],
    ['a chunk size that overflows', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n`, 400],
    ['obs-fold', `GET / HTTP/1.1\r\n${H}X-A: 1\r\n  folded\r\n\r\n`, 400],
    ['whitespace before the colon', `GET / HTTP/1.1\r\n${H}X-A : 1\r\n\r\n`, 400],
    ['a header line without a colon', `GET / HTTP/1.1\r\n${H}X-A\r\n\r\n`, 400],
    ['a bare LF ending a header', `GET / HTTP/1.1\r\n${H}X-A: 1\n\r\n`, 400],
    ['a bare LF ending the request line', `GET / HTTP/1.1\n${H}\r\n`, 400],
    ['a bare CR inside a value', `GET / HTTP/1.1\r\n${H}X-A: 1\r2\r\n\r\n`, 400],
    ['NUL in a value', `GET / HTTP/1.1\r\n${H}X-A: 1\u00002\r\n\r\n`, 400],
    ['NUL in the target', `GET /a\u0000b HTTP/1.1\r\n${H}\r\n`, 400],
    ['a space in the target', `GET /a b HTTP/1.1\r\n${H}\r\n`, 400],
    ['a control byte in a name', `GET / HTTP/1.1\r\n${H}X\u0001A: 1\r\n\r\n`, 400],
    ['no Host', 'GET / HTTP/1.1\r\n\r\n', 400],
    ['two Hosts', `GET / HTTP/1.1\r\n${H}${H}\r\n`, 400],
    ['Host with userinfo', 'GET / HTTP/1.1\r\nHost: user@svc\r\n\r\n', 400],
    ['Host with a path', 'GET / HTTP/1.1\r\nHost: svc/x\r\n\r\n', 400],
    ['Host with a bad port', 'GET / HTTP/1.1\r\nHost: svc:http\r\n\r\n', 400],
    ['an empty Host', 'GET / HTTP/1.1\r\nHost: \r\n\r\n', 400],
    ['a lower-case version', `GET / http/1.1\r\n${H}\r\n`, 400],
    ['HTTP/2.0 as text', `GET / HTTP/2.0\r\n${H}\r\n`, 505],
    ['HTTP/1.2', `GET / HTTP/1.2\r\n${H}\r\n`, 505],
    ['101 header fields', `GET / HTTP/1.1\r\n${H}${'X-A: 1\r\n'.repeat(100)}\r\n`, 431],
    ['a 61 KiB header', `GET / HTTP/1.1\r\n${H}X-A: ${'a'.repeat(61 * 1024)}\r\n\r\n`, 431],
    ['a 9 KiB request line', `GET /${'a'.repeat(9 * 1024)} HTTP/1.1\r\n${H}\r\n`, 414],
    ['CONNECT', 'CONNECT svc:443 HTTP/1.1\r\nHost: svc:443\r\n\r\n', 400],
  ];
  for (const [name, req, status] of rejected) {
    it(`refuses ${name}: ${status}, connection closed`, async () => {
      const r = await raw(l.port, req);
      assert.equal(statusOf(r.text), status, r.text.slice(0, 200));
      assert.match(r.text, /\r\nx-weft-error: bad-request\r\n/i);
      assert.equal(r.closed, true, 'the connection is closed');
      // Refused before any layer ran, the request is still reported (the proxy turns it into a record).
      if (r.text.includes('bad-request: invalid chunked body')) return;
      assert.equal(rejects.at(-1), `${status} bad-request`);
    });
  }

  it('accepts what RFC 9112 allows: leading empty line, exactly 100 headers, 60 KiB head, OWS, empty values, obs-text', async () => {
    const ok = [
      `\r\nGET /a HTTP/1.1\r\n${H}\r\n`,
      `GET /a HTTP/1.1\r\n${H}${'X-A: 1\r\n'.repeat(99)}\r\n`,
      `GET /a HTTP/1.1\r\n${H}X-A: ${'a'.repeat(59 * 1024)}\r\n\r\n`,
      `GET /a HTTP/1.1\r\n${H}X-A:\t padded \t\r\nX-Empty:\r\nX-Latin: caf\u00e9\r\n\r\n`,
      `GET /a?q=1 HTTP/1.0\r\n${H}\r\n`,
    ];
    for (const req of ok) {
      const r = await raw(l.port, Buffer.from(req, 'latin1'), { until: /\}$/ });
      assert.equal(statusOf(r.text), 200, `${JSON.stringify(req.slice(0, 60))}: ${r.text.slice(0, 120)}`);
    }
  });

  it('relays a chunked body as chunks (extensions, trailers) and a Content-Length body', async () => {
    const chunked = await raw(l.port, `POST /c HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTrailer: x-sum\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nx-sum: 11\r\n\r\n`, { until: /\}$/ });
    const j = JSON.parse(chunked.text.slice(chunked.text.indexOf('\r\n\r\n') + 4));
    assert.deepEqual(j, { method: 'POST', url: '/c', n: 11, te: 'chunked', trailers: { 'x-sum': '11' } });
    const cl = await raw(l.port, `POST /l HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nabc`, { until: /\}$/ });
    assert.equal(JSON.parse(cl.text.slice(cl.text.indexOf('\r\n\r\n') + 4)).n, 3);
  });

  it('serves pipelined requests in order on one connection', async () => {
    const reqs = ['/1', '/2', '/3'].map((p) => `GET ${p} HTTP/1.1\r\n${H}\r\n`).join('') + `POST /4 HTTP/1.1\r\n${H}Content-Length: 2\r\n\r\nab` + `GET /5 HTTP/1.1\r\n${H}Connection: close\r\n\r\n`;
    const r = await raw(l.port, reqs);
    const urls = [...r.text.matchAll(/"url":"([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(urls, ['/1', '/2', '/3', '/4', '/5']);
    assert.equal(r.closed, true, 'Connection: close on the last one closes after its response');
  });

  it('answers Expect: 100-continue before the body, then the response', async () => {
    const s = net.connect(l.port, '127.0.0.1');
    let text = '';
    s.on('data', (d) => (text += d));
    s.write(`PUT /e HTTP/1.1\r\n${H}Content-Length: 4\r\nExpect: 100-continue\r\n\r\n`);
    await waitFor(() => text.includes('100 Continue'));
    s.write('body');
    await waitFor(() => text.includes('"n":4'));
    s.destroy();
    assert.match(text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
  });

  it('a HEAD response has no body and the connection stays usable', async () => {
    const r = await raw(l.port, `HEAD /h HTTP/1.1\r\n${H}\r\nGET /after HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
    assert.equal((r.text.match(/HTTP\/1\.1 200/g) ?? []).length, 2);
    assert.match(r.text, /"url":"\/after"/);
  });

  it('closes a connection whose head does not arrive in time (slowloris): 408', async () => {
    const slow = new HttpListener(svc, 'http', { headerTimeoutMs: 300 });
    await slow.listen(0, '127.0.0.1');
    try {
      const t0 = Date.now();
      const r = await raw(slow.port, `GET / HTTP/1.1\r\n${H}X-Slow: 1\r\n`, { timeoutMs: 5000 });
      assert.equal(statusOf(r.text), 408);
      assert.equal(r.closed, true);
      assert.ok(Date.now() - t0 < 3000, 'closed by the head timeout, not the test');
      // A connection that sends nothing at all is closed too.
      const silent = await raw(slow.port, '', { timeoutMs: 5000 });
      assert.equal(silent.closed, true);
      assert.equal(silent.text, '');
    } finally {
      await slow.drain(0);
    }
  });

  it('closes an idle keep-alive connection after the idle timeout', async () => {
    const idle = new HttpListener(svc, 'http', { idleTimeoutMs: 300 });
    await idle.listen(0, '127.0.0.1');
    try {
      const r = await raw(idle.port, `GET /i HTTP/1.1\r\n${H}\r\n`, { timeoutMs: 5000 });
      assert.equal(statusOf(r.text), 200);
      assert.equal(r.closed, true, 'closed while idle');
    } finally {
      await idle.drain(0);
    }
  });

  it('refuses connections beyond maxConnections and accepts again once one closes', async () => {
    const small = new HttpListener(svc, 'http', { maxConnections: 2 });
    await small.listen(0, '127.0.0.1');
    const socks: net.Socket[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const s = net.connect(small.port, '127.0.0.1');
        socks.push(s);
        await new Promise((r) => s.once('connect', r));
      }
      await waitFor(() => small.connections === 2);
      const third = await raw(small.port, `GET / HTTP/1.1\r\n${H}\r\n`, { timeoutMs: 5000 });
      assert.equal(third.closed, true);
      assert.equal(third.text, '');
      assert.equal(small.refused, 1);
      socks.pop()!.destroy();
      await waitFor(() => small.connections === 1);
      const again = await raw(small.port, `GET /ok HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
      assert.equal(statusOf(again.text), 200);
    } finally {
      for (const s of socks) s.destroy();
      await small.drain(0);
    }
  });
});

describe('engine listener: bounded memory', () => {
  it('a 50 MiB upload to a slow reader and a 50 MiB download to a slow client: the proxy buffers a bounded amount', { timeout: 60_000 }, async () => {
    const SIZE = 50 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 1);
    // The upstream reads uploads slowly, and answers downloads as fast as it can.
    const upstream = http.createServer((req, res) => {
      if (req.url === '/down') {
        res.writeHead(200, { 'content-length': SIZE });
        let sent = 0;
        const pump = () => {
          while (sent < SIZE) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        return pump();
      }
      let n = 0;
      req.on('data', (c: Buffer) => {
        n += c.length;
        req.pause();
        setTimeout(() => req.resume(), 1);
      });
      req.on('end', () => res.end(String(n)));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const pool = new UpstreamPool('slow', plainConnect('127.0.0.1', (upstream.address() as AddressInfo).port), { maxConnections: 4, idleTimeoutMs: 30_000, connectTimeoutMs: 5000 });
    const l = new HttpListener((ctx) => forwardTo(pool)(ctx));
    await l.listen(0, '127.0.0.1');
    // What the proxy holds in user space: its sockets' write queues and unread input, both sides.
    const down: net.Socket[] = [];
    l.server.on('connection', (s) => down.push(s));
    let peak = 0;
    const held = (s: net.Socket) => s.writableLength + s.readableLength;
    const probe = setInterval(() => {
      let n = 0;
      for (const s of [...down, ...pool.sockets()]) n += held(s);
      peak = Math.max(peak, n);
    }, 2);
    try {
      // Upload: the client writes as fast as the proxy lets it.
      const up = await new Promise<string>((resolve, reject) => {
        const q = http.request({ host: '127.0.0.1', port: l.port, path: '/up', method: 'POST', headers: { 'content-length': SIZE } }, (r) => {
          let s = '';
          r.on('data', (d) => (s += d));
          r.on('end', () => resolve(s));
        });
        q.on('error', reject);
        let sent = 0;
        const pump = () => {
          while (sent < SIZE) {
            sent += chunk.length;
            if (!q.write(chunk)) return void q.once('drain', pump);
          }
          q.end();
        };
        pump();
      });
      assert.equal(up, String(SIZE));
      // Download: the client reads slowly.
      const got = await new Promise<number>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: l.port, path: '/down' }, (r) => {
          let n = 0;
          r.on('data', (d: Buffer) => {
            n += d.length;
            r.pause();
            setTimeout(() => r.resume(), 1);
          });
          r.on('end', () => resolve(n));
        }).on('error', reject);
      });
      assert.equal(got, SIZE);
    } finally {
      clearInterval(probe);
      await l.drain(0);
      pool.close();
      upstream.closeAllConnections();
      upstream.close();
    }
    // Without backpressure a slow side would leave up to 50 MiB queued here; with it, a few socket chunks.
    assert.ok(peak < 2 * 1024 * 1024, `the proxy held ${(peak / 1048576).toFixed(1)} MiB at once while 100 MiB went through`);
  });
});

const waitFor = (cond: () => boolean, timeoutMs = 5000): Promise<true> => waitForShared('a condition', cond, timeoutMs, 10);
