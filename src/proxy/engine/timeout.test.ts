// Route timeouts in the forwarder: Gateway API request/backendRequest (to the end of the response) and the
// mesh default (to the response head), through a real listener, the rescue layer and a real endpoint.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Ctx } from '../context.js';
import { forwardTo } from './forward.js';
import { HttpListener } from './listener.js';
import { UpstreamPool, plainConnect } from './client.js';
import { rescue } from '../layers/rescue/layer.js';
import type { RouteTimeoutsSnap } from '../../api/traffic.js';
import { waitFor } from '../../util/wait.js';

interface Reply { status: number; headers: http.IncomingHttpHeaders; body: string; complete: boolean; ms: number }

describe('route timeouts in forward', () => {
  let upstream: http.Server;
  let proxy: HttpListener;
  let pool: UpstreamPool;
  const errors: string[] = [];
  let upstreamClosed = 0;
  const held: http.ServerResponse[] = [];
  before(async () => {
    upstream = http.createServer((req, res) => {
      const u = new URL(req.url!, 'http://x');
      req.socket.once('close', () => upstreamClosed++);
      if (u.pathname === '/hang') {
        held.push(res); // never answered
      } else if (u.pathname === '/slowhead') {
        setTimeout(() => res.end('late head'), Number(u.searchParams.get('ms')));
      } else if (u.pathname === '/slowbody') {
        // The head at once, then five pieces of body over ~5 x `every` ms.
        res.writeHead(200, { 'content-type': 'text/plain' });
        const every = Number(u.searchParams.get('every'));
        let n = 0;
        const t = setInterval(() => {
          res.write(`piece${n}\n`);
          if (++n === 5) {
            clearInterval(t);
            res.end();
          }
        }, every);
      } else res.end('ok');
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    pool = new UpstreamPool('test-upstream', plainConnect('127.0.0.1', (upstream.address() as AddressInfo).port), { maxConnections: 16, idleTimeoutMs: 30_000, connectTimeoutMs: 5000 });
    const service = forwardTo(pool);
    // The test says which timeouts apply (as the route layer would from the matched rule) in x-timeouts:
    // "request,backendRequest,responseHeaders" in ms; x-work makes a layer above spend that long first.
    const handle = rescue({ log: () => {} })(async (ctx: Ctx) => {
      const t = ctx.reqHeaders['x-timeouts'];
      if (typeof t === 'string') {
        const [requestMs, backendRequestMs, responseHeadersMs] = t.split(',').map(Number);
        ctx.timeouts = { requestMs, backendRequestMs, responseHeadersMs } satisfies RouteTimeoutsSnap;
      }
      const work = Number(ctx.reqHeaders['x-work'] ?? 0);
      if (work > 0) await new Promise((r) => setTimeout(r, work));
      try {
        await service(ctx);
      } catch (e) {
        errors.push((e as Error).message);
        throw e;
      }
    });
    proxy = new HttpListener(handle);
    await proxy.listen(0, '127.0.0.1');
  });
  after(async () => {
    for (const r of held) r.socket?.destroy();
    pool.close();
    await proxy.drain(0);
    upstream.close();
  });

  const get = (path: string, headers: Record<string, string>, agent?: http.Agent) => new Promise<Reply>((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get({ host: '127.0.0.1', port: proxy.port, path, headers, agent: agent ?? false }, (r) => {
      let body = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => (body += c));
      r.on('end', () => resolve({ status: r.statusCode!, headers: r.headers, body, complete: r.complete, ms: performance.now() - t0 }));
      r.on('error', () => resolve({ status: r.statusCode!, headers: r.headers, body, complete: false, ms: performance.now() - t0 }));
    });
    req.on('error', reject);
  });

  it('backendRequest: an endpoint that never answers gets 504 upstream-timeout, and its connection is closed', async () => {
    const closedBefore = upstreamClosed;
    const r = await get('/hang', { 'x-timeouts': '0,150,0' });
    assert.equal(r.status, 504);
    assert.equal(r.headers['x-weft-error'], 'upstream-timeout');
    assert.ok(r.ms >= 140, `answered after ${r.ms} ms, before the timeout`);
    assert.match(errors.at(-1)!, /no response head within 150 ms/);
    // The endpoint's connection carried an unanswered request: it is not reused but closed.
    await waitFor('the endpoint connection to close', () => upstreamClosed !== closedBefore, 5000, 0);
    assert.ok(upstreamClosed > closedBefore, 'the timed-out endpoint connection was not closed');
  });

  it('the client connection stays usable after a 504 from a timeout', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const a = await get('/hang', { 'x-timeouts': '0,100,0' }, agent);
      const b = await get('/', {}, agent);
      assert.equal(a.status, 504);
      assert.equal(b.status, 200);
      assert.equal(b.body, 'ok');
    } finally {
      agent.destroy();
    }
  });

  it('the mesh default limits the wait for the head only: a slow body after a prompt head is never cut', async () => {
    const r = await get('/slowbody?every=60', { 'x-timeouts': '0,0,100' });
    assert.equal(r.status, 200);
    assert.ok(r.complete);
    assert.equal(r.body.split('\n').filter(Boolean).length, 5);
    assert.ok(r.ms > 250, `the body took ${r.ms} ms: the endpoint was not slow enough to test this`);
  });

  it('the mesh default answers 504 when the head is late', async () => {
    const r = await get('/slowhead?ms=1000', { 'x-timeouts': '0,0,100' });
    assert.equal(r.status, 504);
    assert.equal(r.headers['x-weft-error'], 'upstream-timeout');
  });

  it('request (Gateway API) lasts to the end of the response: a body still streaming is cut', async () => {
    const r = await get('/slowbody?every=100', { 'x-timeouts': '200,0,0' });
    assert.equal(r.status, 200, 'the head came in time and was relayed');
    assert.equal(r.complete, false, 'a response that outlives the request timeout must not look complete');
    assert.match(errors.at(-1)!, /did not finish within/);
  });

  it('request counts from the request\'s arrival, time spent above the forwarder included', async () => {
    // 120 ms of work in a layer above, then an endpoint that needs 100 ms: 220 ms > 180 ms.
    const late = await get('/slowhead?ms=100', { 'x-timeouts': '180,0,0', 'x-work': '120' });
    assert.equal(late.status, 504);
    // The same endpoint with only backendRequest (which starts at the forwarder) is in time.
    const ok = await get('/slowhead?ms=100', { 'x-timeouts': '0,180,0', 'x-work': '120' });
    assert.equal(ok.status, 200);
  });

  it('a timeout longer than a Node timer can hold (99999h, allowed by the Gateway API) does not fire at once', async () => {
    const r = await get('/slowhead?ms=100', { 'x-timeouts': `0,${99_999 * 3_600_000},0` });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'late head');
  });

  it('0 everywhere means no timeout', async () => {
    const r = await get('/slowhead?ms=300', { 'x-timeouts': '0,0,0' });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'late head');
  });

  it('a connect that times out is a connect-failure (503 UF), not a reset', async () => {
    // TEST-NET-1 (192.0.2.0/24) is never routed: the connect hangs until the pool's 100 ms timeout.
    const p = new UpstreamPool('blackhole', plainConnect('192.0.2.1', 9), { maxConnections: 1, idleTimeoutMs: 1000, connectTimeoutMs: 100 });
    const fwd = forwardTo(p);
    const l = new HttpListener(rescue({ log: () => {} })(fwd));
    await l.listen(0, '127.0.0.1');
    try {
      const r = await new Promise<Reply>((resolve, reject) => {
        const t0 = performance.now();
        http.get({ host: '127.0.0.1', port: l.port, path: '/', agent: false }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body, complete: true, ms: performance.now() - t0 }));
        }).on('error', reject);
      });
      // Where the machine has no route at all, connect fails at once (also a connect-failure).
      assert.equal(r.status, 503);
      assert.equal(r.headers['x-weft-error'], 'connect-failure');
    } finally {
      p.close();
      await l.drain(0);
    }
  });
});
