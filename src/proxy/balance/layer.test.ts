// The balance layer through the real engine: EWMA steers away from a slow replica; hashing keeps a key on one
// replica (header, and a cookie the proxy sets when the client has none).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Ctx } from '../context.js';
import { stack } from '../stack/index.js';
import { rescue } from '../layers/rescue/layer.js';
import { forward } from '../engine/forward.js';
import { Pools } from '../engine/pools.js';
import { HttpListener } from '../engine/listener.js';
import { balance } from './layer.js';
import { balancerFor, type Balancer } from './index.js';
import { LoadTracker } from './load.js';
import type { EndpointSnap } from '../../api/snapshot.js';
import type { LoadBalancerSnap } from '../../api/traffic.js';

describe('balance layer', () => {
  const servers: { s: http.Server; port: number; hits: number }[] = [];
  const pools = new Pools();
  const listeners: HttpListener[] = [];
  before(async () => {
    for (const delay of [0, 0, 50]) {
      const x = { s: http.createServer((_q, res) => { x.hits++; setTimeout(() => res.end(String(x.port)), delay); }), port: 0, hits: 0 };
      await new Promise<void>((r) => x.s.listen(0, '127.0.0.1', r));
      x.port = (x.s.address() as AddressInfo).port;
      servers.push(x);
    }
  });
  after(async () => {
    for (const l of listeners) await l.drain(0);
    pools.close();
    for (const x of servers) x.s.close();
  });

  async function proxy(lb: LoadBalancerSnap | undefined): Promise<number> {
    const eps: EndpointSnap[] = servers.map((x, i) => ({ proxy: `r${i}`, address: '127.0.0.1', port: x.port, ready: true, labels: {}, workload: 'w', tls: 'plaintext' }));
    const balancers = new Map<string, Balancer>([['c', balancerFor(lb, new LoadTracker())(eps)]]);
    const svc = stack<Ctx>([
      rescue({ log: () => {} }),
      (inner) => (ctx) => { ctx.cluster = 'c'; return inner(ctx); },
      balance(balancers),
    ], forward(pools));
    const l = new HttpListener(svc);
    await l.listen(0, '127.0.0.1');
    listeners.push(l);
    return l.port;
  }

  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const get = (port: number, headers: Record<string, string> = {}) => new Promise<{ body: string; setCookie?: string[] }>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/', headers, agent }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ body, setCookie: res.headers['set-cookie'] }));
    }).on('error', reject);
  });

  it('EWMA (the default): of three replicas where one answers 50 ms slower, it gets under 20 % of requests', async () => {
    const port = await proxy(undefined);
    for (const x of servers) x.hits = 0;
    const N = 300;
    let next = 0;
    // Four callers at once, each sending its next request when the last is answered.
    await Promise.all(Array.from({ length: 4 }, async () => { while (next++ < N) await get(port); }));
    const slow = servers[2]!.hits / N;
    assert.ok(slow < 0.2, `the slow replica got ${(slow * 100).toFixed(1)} % (${servers.map((x) => x.hits).join('/')})`);
  });

  it('RING_HASH on a header: the same value always reaches the same replica; different values spread', async () => {
    const port = await proxy({ type: 'RING_HASH', hashOn: { header: 'x-user' } });
    const where = new Map<string, Set<string>>();
    for (let round = 0; round < 3; round++) {
      for (let u = 0; u < 30; u++) {
        const r = await get(port, { 'x-user': `u${u}` });
        const s = where.get(`u${u}`) ?? new Set();
        s.add(r.body);
        where.set(`u${u}`, s);
      }
    }
    for (const [u, s] of where) assert.equal(s.size, 1, `${u} went to ${[...s].join(', ')}`);
    assert.ok(new Set([...where.values()].map((s) => [...s][0])).size >= 2, 'keys spread over replicas');
  });

  it('MAGLEV on a cookie: a client without one gets it set, and with it stays on one replica', async () => {
    const port = await proxy({ type: 'MAGLEV', hashOn: { cookie: { name: 'weft-affinity', path: '/', ttlSeconds: 3600 } } });
    const first = await get(port);
    assert.equal(first.setCookie?.length, 1);
    assert.match(first.setCookie![0]!, /^weft-affinity=[0-9a-f]{24}; Path=\/; Max-Age=3600; HttpOnly$/);
    const cookie = first.setCookie![0]!.split(';')[0]!;
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const r = await get(port, { cookie: `other=1; ${cookie}` });
      assert.equal(r.setCookie, undefined, 'a client that has the cookie is not given another');
      seen.add(r.body);
    }
    assert.deepEqual([...seen], [first.body]);
  });
});
