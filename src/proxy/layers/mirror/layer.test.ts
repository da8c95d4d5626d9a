// RequestMirror through the real engine: copies reach the shadow with "-shadow" hosts and whole bodies,
// and a shadow that hangs or fails changes nothing about the primary's responses.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Ctx } from '../../context.js';
import { stack } from '../../stack/index.js';
import { rescue } from '../rescue/layer.js';
import { balance } from '../../balance/layer.js';
import { roundRobin } from '../../balance/index.js';
import { forward, mirrorStats } from '../../engine/forward.js';
import { Pools } from '../../engine/pools.js';
import { HttpListener } from '../../engine/listener.js';
import { mirror } from './layer.js';
import type { EndpointSnap } from '../../../api/snapshot.js';
import { waitFor } from '../../../util/wait.js';

interface Seen { host: string; method: string; body: string; te?: string }

async function server(handler: (req: http.IncomingMessage, res: http.ServerResponse, seen: Seen[]) => void) {
  const seen: Seen[] = [];
  const s = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ host: req.headers.host ?? '', method: req.method!, body, te: req.headers['transfer-encoding'] });
      handler(req, res, seen);
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { s, seen, port: (s.address() as AddressInfo).port };
}

const ep = (port: number): EndpointSnap => ({ proxy: `p${port}`, address: '127.0.0.1', port, ready: true, labels: {}, workload: 'w', tls: 'plaintext' });

describe('RequestMirror', () => {
  let primary: Awaited<ReturnType<typeof server>>;
  let shadow: Awaited<ReturnType<typeof server>>;
  let hanging: Awaited<ReturnType<typeof server>>;
  const held: http.ServerResponse[] = [];
  const pools = new Pools();
  const listeners: HttpListener[] = [];

  before(async () => {
    primary = await server((_q, res) => res.end('primary'));
    shadow = await server((_q, res) => { res.writeHead(500); res.end('the shadow fails: nobody must notice'); });
    hanging = await server((_q, res) => { held.push(res); });
  });
  after(async () => {
    for (const r of held) r.socket?.destroy();
    for (const l of listeners) await l.drain(0);
    pools.close();
    for (const x of [primary, shadow, hanging]) x.s.close();
  });

  async function proxy(mirrors: { port: number; percent: number }[], random = Math.random) {
    const balancers = new Map([['primary', roundRobin([ep(primary.port)])], ...mirrors.map((m, i) => [`m${i}`, roundRobin([ep(m.port)])] as const)]);
    const routeMirrors = mirrors.map((m, i) => ({ cluster: `m${i}`, percent: m.percent }));
    const service = stack<Ctx>([
      rescue({ log: () => {} }),
      (inner) => (ctx) => {
        ctx.route = { name: 'r', mirrors: routeMirrors };
        ctx.cluster = 'primary';
        return inner(ctx);
      },
      mirror(balancers, pools, random),
      balance(balancers),
    ], forward(pools));
    const l = new HttpListener(service);
    await l.listen(0, '127.0.0.1');
    listeners.push(l);
    return l.port;
  }

  const call = (port: number, o: { method?: string; body?: string; chunked?: boolean; host?: string } = {}) => new Promise<{ status: number; body: string }>((resolve, reject) => {
    const headers: Record<string, string> = { host: o.host ?? 'catalog:8080' };
    if (o.body !== undefined && !o.chunked) headers['content-length'] = String(Buffer.byteLength(o.body));
    const req = http.request({ host: '127.0.0.1', port, path: '/p?q=1', method: o.method ?? 'GET', headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    if (o.body !== undefined && o.chunked) { req.write(o.body); req.end(); }
    else req.end(o.body);
  });

  const until = (what: string, ok: () => boolean): Promise<true> => waitFor(what, ok, 5000, 5);

  it('sends a copy with the Host "-shadow" and the whole body (Content-Length and chunked); the shadow\'s 500 changes nothing', async () => {
    const port = await proxy([{ port: shadow.port, percent: 100 }]);
    const before = shadow.seen.length;
    const body = 'z'.repeat(100_000);
    assert.deepEqual(await call(port), { status: 200, body: 'primary' });
    assert.deepEqual(await call(port, { method: 'POST', body }), { status: 200, body: 'primary' });
    assert.deepEqual(await call(port, { method: 'PUT', body: 'chunky', chunked: true }), { status: 200, body: 'primary' });
    await until('three shadow copies', () => shadow.seen.length >= before + 3);
    const [get, post, put] = shadow.seen.slice(before);
    assert.deepEqual(get, { host: 'catalog-shadow:8080', method: 'GET', body: '', te: undefined });
    assert.equal(post.host, 'catalog-shadow:8080');
    assert.equal(post.body.length, body.length);
    assert.deepEqual([put.method, put.body, put.te], ['PUT', 'chunky', 'chunked']);
    // The primary saw the real host.
    assert.equal(primary.seen.at(-1)!.host, 'catalog:8080');
  });

  it('a shadow that never answers does not hold the primary: every response arrives while the shadow still holds every copy', async () => {
    const port = await proxy([{ port: hanging.port, percent: 100 }]);
    const before = hanging.seen.length;
    for (let i = 0; i < 20; i++) assert.deepEqual(await call(port, { method: 'POST', body: `n${i}` }), { status: 200, body: 'primary' });
    await until('the hanging shadow to have every copy', () => hanging.seen.length >= before + 20);
    assert.equal(held.length, hanging.seen.length, 'the shadow answered none of them');
  });

  it('percent: 0 sends no copies, a fraction sends that share', async () => {
    const none = await proxy([{ port: shadow.port, percent: 0 }]);
    const before = shadow.seen.length;
    for (let i = 0; i < 10; i++) await call(none);
    // A seeded sequence: 0.0, 0.1, ..., 0.9 -> with 30 %, three of ten are mirrored.
    let k = 0;
    const some = await proxy([{ port: shadow.port, percent: 30 }], () => (k++ % 10) / 10);
    for (let i = 0; i < 10; i++) await call(some);
    await until('three copies', () => shadow.seen.length >= before + 3);
    await new Promise((r) => setImmediate(r));
    assert.equal(shadow.seen.length - before, 3);
  });

  it('counts copies: sent when the shadow answered, failed when it could not be reached', async () => {
    const gone = http.createServer();
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
    const gonePort = (gone.address() as AddressInfo).port;
    await new Promise((r) => gone.close(r));
    const port = await proxy([{ port: gonePort, percent: 100 }]);
    const failed = mirrorStats.failed;
    assert.deepEqual(await call(port), { status: 200, body: 'primary' });
    await until('the failed copy to be counted', () => mirrorStats.failed > failed);
  });
});
