// The HTTP/2 relay between real peers: node's HTTP/2 client -> weft's listener -> weft's HTTP/2 forwarder
// -> node's HTTP/2 server (nghttp2 on both ends), and HTTP/2 -> HTTP/1.1 through the HTTP/1 forwarder.
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Ctx } from '../context.js';
import { forwardTo } from '../engine/forward.js';
import { HttpListener } from '../engine/listener.js';
import { UpstreamPool, plainConnect } from '../engine/client.js';
import { H2Pool } from './client.js';
import { sendH2 } from './forward.js';
import { waitFor } from '../../util/wait.js';
import { RawClient } from './raw-client.test-helper.js';
import { FRAME, FLAG, headersFrames, windowUpdateFrame } from './frames.js';
import { encode } from './hpack.js';

interface Answer { status: number; headers: http2.IncomingHttpHeaders; trailers: http2.IncomingHttpHeaders | undefined; body: Buffer; error?: Error }

function call(c: http2.ClientHttp2Session, h: http2.OutgoingHttpHeaders, body?: Buffer | string): Promise<Answer> {
  const r = c.request(h);
  r.end(body);
  return collect(r);
}

function collect(r: http2.ClientHttp2Stream): Promise<Answer> {
  return new Promise((resolve) => {
    let hs: http2.IncomingHttpHeaders = {};
    let tr: http2.IncomingHttpHeaders | undefined;
    const parts: Buffer[] = [];
    r.on('response', (x) => { hs = x; });
    r.on('trailers', (x) => { tr = x; });
    r.on('data', (c: Buffer) => parts.push(c));
    r.on('end', () => resolve({ status: Number(hs[':status']), headers: hs, trailers: tr, body: Buffer.concat(parts) }));
    r.on('error', (e: Error) => resolve({ status: Number(hs[':status'] ?? 0), headers: hs, trailers: tr, body: Buffer.concat(parts), error: e }));
  });
}

describe('HTTP/2 forwarding', () => {
  let h2up: http2.Http2Server;
  let h1up: http.Server;
  let proxy: HttpListener;
  let h2pool: H2Pool;
  const cancelled: string[] = [];
  const opened: string[] = [];
  const failures: unknown[] = [];
  let refuseNext = false;

  before(async () => {
    h2up = http2.createServer();
    h2up.on('stream', (st, h) => {
      const path = String(h[':path']);
      opened.push(path);
      st.on('close', () => { if (st.rstCode !== 0 && st.rstCode !== undefined) cancelled.push(`${path} ${st.rstCode}`); });
      st.on('error', () => {});
      if (path === '/hang') return;
      if (path === '/refuse' && refuseNext) {
        refuseNext = false;
        // Not processed: the proxy may send it again.
        st.close(http2.constants.NGHTTP2_REFUSED_STREAM);
        return;
      }
      if (path === '/cut') {
        st.respond({ ':status': 200 });
        st.write(Buffer.alloc(1000, 1));
        setImmediate(() => st.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
        return;
      }
      let n = 0;
      st.on('data', (c: Buffer) => { n += c.length; });
      st.on('end', () => {
        st.respond({ ':status': 200, 'content-type': 'application/grpc', 'x-up': path, 'x-te': String(h['te']) }, { waitForTrailers: true });
        st.on('wantTrailers', () => st.sendTrailers({ 'grpc-status': path === '/fail' ? '14' : '0', 'grpc-message': `got ${n}` }));
        st.end(Buffer.alloc(path === '/big' ? 3_000_000 : 16, 2));
      });
    });
    await new Promise<void>((r) => h2up.listen(0, '127.0.0.1', r));
    h1up = http.createServer((req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => { n += c.length; });
      req.on('end', () => {
        res.setHeader('x-seen', `${req.method} ${req.url} te=${req.headers['transfer-encoding'] ?? ''} cl=${req.headers['content-length'] ?? ''} trailer=${JSON.stringify(req.trailers)}`);
        res.end(`got ${n}`);
      });
    });
    await new Promise<void>((r) => h1up.listen(0, '127.0.0.1', r));
    const h2port = (h2up.address() as AddressInfo).port;
    h2pool = new H2Pool('h2 upstream', plainConnect('127.0.0.1', h2port), { maxConnections: 4, idleTimeoutMs: 30_000, connectTimeoutMs: 5000 });
    const viaH2 = forwardTo(new UpstreamPool('unused', plainConnect('127.0.0.1', h2port), { maxConnections: 4, idleTimeoutMs: 30_000, connectTimeoutMs: 5000 }), h2pool);
    const viaH1 = forwardTo(new UpstreamPool('h1 upstream', plainConnect('127.0.0.1', (h1up.address() as AddressInfo).port), { maxConnections: 4, idleTimeoutMs: 30_000, connectTimeoutMs: 5000 }));
    proxy = new HttpListener((ctx: Ctx) => {
      const run = ctx.path.startsWith('/h1') ? viaH1(ctx) : ctx.path.startsWith('/fromh1') ? sendH2(ctx, h2pool) : viaH2(ctx);
      return run.catch((e: unknown) => {
        failures.push(e);
        if (!ctx.res.headersSent) {
          ctx.res.writeHead(e instanceof Error && (e as { code?: string }).code === 'upstream-timeout' ? 504 : 502, { 'x-weft-error': (e as { code?: string }).code ?? 'x' });
          ctx.res.end('failed');
        } else ctx.res.destroy();
      });
    });
    await proxy.listen(0, '127.0.0.1');
  });
  after(async () => {
    await proxy.drain(0);
    h2pool.destroy();
    h2up.close();
    h1up.close();
  });

  const grpc = { ':method': 'POST', 'content-type': 'application/grpc', te: 'trailers' };

  it('relays a gRPC-shaped exchange: te: trailers on, response trailers back, many concurrent streams on one upstream connection', async () => {
    const c = http2.connect(`http://127.0.0.1:${proxy.port}`);
    try {
      const a = await call(c, { ...grpc, ':path': '/one' }, Buffer.alloc(10, 1));
      assert.equal(a.status, 200);
      assert.equal(a.headers['x-up'], '/one');
      assert.equal(a.headers['x-te'], 'trailers');
      assert.equal(a.trailers?.['grpc-status'], '0');
      assert.equal(a.trailers?.['grpc-message'], 'got 10');
      const many = await Promise.all(Array.from({ length: 100 }, (_, i) => call(c, { ...grpc, ':path': `/m${i}` }, 'x')));
      assert.deepEqual(many.map((m) => m.trailers?.['grpc-message']), many.map(() => 'got 1'));
      assert.equal(h2pool.stats.connected, 1);
    } finally {
      c.close();
    }
  });

  it('flow control end to end: 3 MB up and 3 MB down through 256 KiB windows', async () => {
    const c = http2.connect(`http://127.0.0.1:${proxy.port}`);
    try {
      const a = await call(c, { ...grpc, ':path': '/big' }, Buffer.alloc(3_000_000, 1));
      assert.equal(a.body.length, 3_000_000);
      assert.equal(a.trailers?.['grpc-message'], 'got 3000000');
    } finally {
      c.close();
    }
  });

  it('a client that stops reading holds back the endpoint (no unbounded buffering in the proxy)', async () => {
    // A raw client never credits its 64 KiB windows: the proxy must stop crediting the endpoint in turn.
    const c = new RawClient(proxy.port);
    const before = new Map(h2pool.sockets().map((x) => [x, x.bytesRead]));
    try {
      c.send(Buffer.concat(headersFrames(1, encode([[':method', 'POST'], [':scheme', 'http'], [':authority', 'a'], [':path', '/big'], ['content-type', 'application/grpc']]), true)));
      await waitFor('the response head', () => c.frames.some((f) => f.type === FRAME.HEADERS && f.stream === 1), 5000);
      const read = (): number => h2pool.sockets().reduce((n, x) => n + x.bytesRead - (before.get(x) ?? 0), 0);
      await waitFor('the upstream stalls', async () => {
        const a = read();
        await new Promise((x) => setTimeout(x, 100));
        return read() === a;
      }, 5000, 10);
      // The proxy took what its stream window allows (256 KiB) plus socket buffers, far below the 3 MB on offer.
      assert.ok(read() < 1_000_000, `read ${read()} bytes from the endpoint while the client read nothing`);
      const got = c.frames.filter((f) => f.type === FRAME.DATA).reduce((n, f) => n + f.payload.length, 0);
      assert.equal(got, 65_535);
      // Credit the client's windows: the rest flows.
      c.send(windowUpdateFrame(0, 4_000_000), windowUpdateFrame(1, 4_000_000));
      await waitFor('the whole body', () => c.frames.some((f) => f.type === FRAME.HEADERS && f.stream === 1 && (f.flags & FLAG.END_STREAM) !== 0), 5000);
      assert.equal(c.frames.filter((f) => f.type === FRAME.DATA).reduce((n, f) => n + f.payload.length, 0), 3_000_000);
    } finally {
      c.sock.destroy();
    }
  });

  it('a client cancel reaches the endpoint as a reset stream', async () => {
    const c = http2.connect(`http://127.0.0.1:${proxy.port}`);
    try {
      const r = c.request({ ...grpc, ':path': '/hang' });
      const n = opened.length;
      r.write('x');
      await waitFor('the endpoint has the stream', () => opened.slice(n).includes('/hang'), 5000);
      r.close(http2.constants.NGHTTP2_CANCEL);
      await waitFor('the endpoint saw the cancel', () => cancelled.some((x) => x.startsWith('/hang')), 5000);
    } finally {
      c.close();
    }
  });

  it('an endpoint reset mid-response cuts the client stream; one before any answer is 502', async () => {
    const c = http2.connect(`http://127.0.0.1:${proxy.port}`);
    try {
      const a = await call(c, { ...grpc, ':path': '/cut' }, 'x');
      assert.ok(a.error !== undefined || a.body.length < 2000, 'the cut stream must not look complete');
      assert.ok(a.body.length <= 1000);
    } finally {
      c.close();
    }
  });

  it('a stream the endpoint refuses (REFUSED_STREAM: not processed) is sent again', async () => {
    const c = http2.connect(`http://127.0.0.1:${proxy.port}`);
    try {
      refuseNext = true;
      const n = opened.length;
      const a = await call(c, { ...grpc, ':path': '/refuse' });
      assert.deepEqual(opened.slice(n), ['/refuse', '/refuse']);
      assert.equal(a.status, 200);
      assert.equal(a.trailers?.['grpc-status'], '0');
    } finally {
      c.close();
    }
  });

  it('grpc-timeout bounds the call: a trailers-only DEADLINE_EXCEEDED comes back and the endpoint stream is cancelled', async () => {
    const c = http2.connect(`http://127.0.0.1:${proxy.port}`);
    try {
      const t0 = performance.now();
      const n = cancelled.length;
      const a = await call(c, { ...grpc, ':path': '/hang', 'grpc-timeout': '200m' }, 'x');
      const took = performance.now() - t0;
      // A gRPC client reads grpc-status: the proxy's own answer is trailers-only, DEADLINE_EXCEEDED for a timeout.
      assert.equal(a.status, 200);
      assert.equal(a.headers['grpc-status'], '4');
      assert.equal(a.headers['x-weft-error'], 'upstream-timeout');
      assert.ok(took >= 190 && took < 3000, `took ${took} ms`);
      await waitFor('the endpoint saw the cancel', () => cancelled.length > n, 5000);
      assert.equal((failures.at(-1) as { code?: string }).code, 'upstream-timeout');
    } finally {
      c.close();
    }
  });

  it('HTTP/2 to an HTTP/1.1 endpoint: known lengths stay Content-Length, unknown ones are chunked with the trailers in the last chunk', async () => {
    const c = http2.connect(`http://127.0.0.1:${proxy.port}`);
    try {
      const a = await call(c, { ':method': 'POST', ':path': '/h1/a' }, 'hello');
      assert.equal(a.status, 200);
      assert.equal(a.body.toString(), 'got 5');
      assert.match(String(a.headers['x-seen']), /^POST \/h1\/a te= cl=5 /);
      const r = c.request({ ':method': 'POST', ':path': '/h1/b' }, { waitForTrailers: true });
      r.on('wantTrailers', () => r.sendTrailers({ 'x-sum': '42' }));
      r.write(Buffer.alloc(100_000, 1));
      r.end(Buffer.alloc(100_000, 1));
      const b = await collect(r);
      assert.equal(b.body.toString(), 'got 200000');
      assert.match(String(b.headers['x-seen']), /te=chunked cl= trailer=\{"x-sum":"42"\}/);
    } finally {
      c.close();
    }
  });

  it('HTTP/1.1 to an HTTP/2 endpoint: a chunked body is de-chunked into DATA, the response comes back chunked with its trailers', async () => {
    const res = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; trailers: NodeJS.Dict<string>; body: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: proxy.port, method: 'POST', path: '/fromh1/x', headers: { 'content-type': 'application/grpc' } }, (r) => {
        let d = '';
        r.setEncoding('latin1');
        r.on('data', (c: string) => { d += c; });
        r.on('end', () => resolve({ status: r.statusCode!, headers: r.headers, trailers: r.trailers, body: d }));
      });
      req.on('error', reject);
      req.write(Buffer.alloc(50_000, 1));
      req.end(Buffer.alloc(50_000, 1));
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers['transfer-encoding'], 'chunked');
    assert.equal(res.headers['x-up'], '/fromh1/x');
    assert.equal(res.body.length, 16);
    assert.equal(res.trailers['grpc-message'], 'got 100000');
  });
});
