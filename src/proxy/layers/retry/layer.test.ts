// The retry layer through the real engine: a listener, rescue and observe above, the balancer and the
// forwarder below, and real endpoints that fail on purpose.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Ctx } from '../../context.js';
import { stack } from '../../stack/index.js';
import { rescue } from '../rescue/layer.js';
import { observe } from '../../observe/layer.js';
import type { RequestRecord } from '../../observe/record.js';
import { balance } from '../../balance/layer.js';
import { roundRobin } from '../../balance/index.js';
import { forward } from '../../engine/forward.js';
import { Pools } from '../../engine/pools.js';
import { HttpListener } from '../../engine/listener.js';
import { retry } from './layer.js';
import { RetryBudgets } from './budget.js';
import { resolveRetry, type RetryBudgetSnap, type RetrySnap } from '../../../api/traffic.js';
import type { EndpointSnap } from '../../../api/snapshot.js';
import { waitFor } from '../../../util/wait.js';

interface Upstream { server: http.Server; port: number; hits: number; bodies: string[] }

async function upstream(status: number): Promise<Upstream> {
  const u: Upstream = { server: undefined as unknown as http.Server, port: 0, hits: 0, bodies: [] };
  u.server = http.createServer((req, res) => {
    u.hits++;
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      u.bodies.push(body);
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(`${status} ${body.length}`);
    });
  });
  await new Promise<void>((r) => u.server.listen(0, '127.0.0.1', r));
  u.port = (u.server.address() as AddressInfo).port;
  return u;
}

const ep = (port: number, name: string): EndpointSnap => ({ proxy: name, address: '127.0.0.1', port, ready: true, labels: {}, workload: name, tls: 'plaintext' });

describe('retry layer', () => {
  let good: Upstream, bad: Upstream, worse: Upstream;
  let closedPort: number;
  const pools = new Pools();
  const records: RequestRecord[] = [];
  const counts: string[] = [];
  const listeners: HttpListener[] = [];

  before(async () => {
    good = await upstream(200);
    bad = await upstream(503);
    worse = await upstream(500);
    // A port nothing listens on: connecting fails at once (ECONNREFUSED).
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    closedPort = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
  });
  after(async () => {
    for (const l of listeners) await l.drain(0);
    pools.close();
    for (const u of [good, bad, worse]) u.server.close();
  });

  /** A proxy whose only route has `retry`, balancing round robin over `endpoints`. */
  async function proxy(r: RetrySnap | undefined, endpoints: EndpointSnap[], budget: RetryBudgetSnap = { retryRatio: 0.2, minRetriesPerSecond: 1000, maxRetries: 1000 }) {
    const budgets = new RetryBudgets();
    const balancers = new Map([['api.default:80', roundRobin(endpoints)]]);
    const service = stack<Ctx>([
      observe({ direction: 'outbound', sinks: [{ record: (rec) => records.push(rec) }], self: { workload: 'client', namespace: 'default', principal: 'p' }, tls: () => false }),
      rescue({ log: () => {} }),
      (inner) => (ctx) => {
        ctx.route = { name: 'default/api', ...(r !== undefined ? { retry: r } : {}) };
        ctx.cluster = 'api.default:80';
        return inner(ctx);
      },
      retry({ budgets, budgetOf: () => budget, count: (_c, outcome) => counts.push(outcome), random: () => 0 }),
      balance(balancers),
    ], forward(pools));
    const l = new HttpListener(service);
    await l.listen(0, '127.0.0.1');
    listeners.push(l);
    return { port: l.port, budgets };
  }

  const call = (port: number, o: { method?: string; body?: string; chunked?: boolean; path?: string } = {}) => new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    const headers: Record<string, string> = o.body !== undefined && !o.chunked ? { 'content-length': String(Buffer.byteLength(o.body)) } : {};
    const req = http.request({ host: '127.0.0.1', port, path: o.path ?? '/', method: o.method ?? 'GET', headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    // Written before end(): Node then sends it chunked (end(body) alone would set Content-Length).
    if (o.body !== undefined && o.chunked) { req.write(o.body); req.end(); }
    else if (o.body !== undefined) req.end(o.body);
    else req.end();
  });

  it('one of two endpoints failing with 503: every GET succeeds with retries on gateway errors', async () => {
    const { port } = await proxy(resolveRetry({ attempts: 2 }), [ep(bad.port, 'bad'), ep(good.port, 'good')]);
    const before = { bad: bad.hits, good: good.hits };
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await call(port)).status);
    assert.deepEqual([...new Set(statuses)], [200]);
    assert.ok(bad.hits - before.bad >= 10, 'the failing endpoint was tried (and retried away from)');
    assert.ok(counts.includes('attempted') && counts.includes('success'));
  });

  it('a POST body is held and sent whole on the retry; POST is retried only when nonIdempotent is set', async () => {
    const body = 'x'.repeat(20_000);
    const off = await proxy(resolveRetry({ attempts: 2 }), [ep(bad.port, 'bad'), ep(good.port, 'good')]);
    const noRetry: number[] = [];
    for (let i = 0; i < 10; i++) noRetry.push((await call(off.port, { method: 'POST', body })).status);
    assert.ok(noRetry.includes(503), 'POST must not be retried by default');

    const on = await proxy(resolveRetry({ attempts: 2, nonIdempotent: true }), [ep(bad.port, 'bad'), ep(good.port, 'good')]);
    good.bodies.length = 0;
    bad.bodies.length = 0;
    for (let i = 0; i < 10; i++) {
      const r = await call(on.port, { method: 'POST', body });
      assert.equal(r.status, 200);
      assert.equal(r.body, `200 ${body.length}`);
    }
    assert.ok(bad.bodies.length > 0 && bad.bodies.every((b) => b === body), 'the failed attempt had the whole body');
    assert.ok(good.bodies.every((b) => b === body), 'the retry sent the same body again');
  });

  it('a chunked body or one over 64 KiB streams and is never retried', async () => {
    const { port } = await proxy(resolveRetry({ attempts: 2, nonIdempotent: true }), [ep(bad.port, 'bad'), ep(good.port, 'good')]);
    const chunked: number[] = [];
    for (let i = 0; i < 6; i++) chunked.push((await call(port, { method: 'PUT', body: 'abc', chunked: true })).status);
    assert.ok(chunked.includes(503), 'chunked bodies are not held');
    const big: number[] = [];
    for (let i = 0; i < 6; i++) big.push((await call(port, { method: 'PUT', body: 'y'.repeat(70 * 1024) })).status);
    assert.ok(big.includes(503), 'bodies over the limit are not held');
  });

  it('a connect failure is retried for any method, even POST without nonIdempotent', async () => {
    const { port } = await proxy(resolveRetry({ attempts: 1 }), [ep(closedPort, 'gone'), ep(good.port, 'good')]);
    for (let i = 0; i < 6; i++) assert.equal((await call(port, { method: 'POST', body: 'hi' })).status, 200);
  });

  it('a rule without retry still retries a connect failure (a POST with its body too), and nothing else', async () => {
    const { port } = await proxy(undefined, [ep(closedPort, 'gone'), ep(good.port, 'good'), ep(bad.port, 'bad')]);
    good.bodies.length = 0;
    const answers: string[] = [];
    for (let i = 0; i < 12; i++) {
      const a = await call(port, { method: 'POST', body: `body-${i}` });
      answers.push(`${a.status}${a.headers['x-weft-error'] ? ` ${a.headers['x-weft-error']}` : ''}`);
    }
    // Round robin: each request that drew the closed port went on to the next endpoint instead of failing;
    // the endpoint's own 503s are not retried.
    assert.ok(!answers.some((a) => a.includes('connect-failure')), `no connect failure reached the client: ${answers}`);
    assert.ok(answers.filter((a) => a === '503').length >= 4 && answers.filter((a) => a === '200').length >= 4, `${answers}`);
    assert.ok(good.bodies.every((b) => /^body-\d+$/.test(b)), 'the retried request carried its body');
    records.length = 0;
    const gone = await proxy(undefined, [ep(closedPort, 'gone')]);
    const r = await call(gone.port);
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-weft-error'], 'connect-failure');
    await waitRecords(1);
    assert.equal(records.at(-1)!.flags, 'UF,URX', 'the default retries ran out');
  });

  it('listed codes: 500 is retried only when listed (gateway-error covers 502/503/504)', async () => {
    const gw = await proxy(resolveRetry({ attempts: 2 }), [ep(worse.port, 'worse'), ep(good.port, 'good')]);
    const s1: number[] = [];
    for (let i = 0; i < 6; i++) s1.push((await call(gw.port)).status);
    assert.ok(s1.includes(500));
    const listed = await proxy(resolveRetry({ attempts: 2, codes: [500] }), [ep(worse.port, 'worse'), ep(good.port, 'good')]);
    for (let i = 0; i < 6; i++) assert.equal((await call(listed.port)).status, 200);
  });

  it('retries exhausted: the last failure goes to the client with flag URX, after attempts + 1 tries', async () => {
    const { port } = await proxy(resolveRetry({ attempts: 3 }), [ep(bad.port, 'bad')]);
    const before = bad.hits;
    records.length = 0;
    const r = await call(port);
    assert.equal(r.status, 503);
    assert.equal(bad.hits - before, 4);
    await waitRecords(1);
    assert.equal(records.at(-1)!.flags, 'URX');
  });

  it('the budget bounds a storm: with every endpoint failing, tries stay within (1 + retryRatio) x requests + reserve', async () => {
    const { port, budgets } = await proxy(resolveRetry({ attempts: 3 }), [ep(bad.port, 'bad')], { retryRatio: 0.2, minRetriesPerSecond: 0, maxRetries: 1000 });
    const before = bad.hits;
    const N = 100;
    for (let i = 0; i < N; i++) await call(port);
    const tries = bad.hits - before;
    // Without a budget: 4 x 100 = 400 tries. With it: 100 + at most 0.2 x 100.
    assert.ok(tries <= N * 1.2 + 1, `${tries} tries for ${N} requests`);
    assert.ok(tries > N, 'some retries were allowed');
    assert.ok([...budgets.entries()][0][1].exhausted > 0);
  });

  async function waitRecords(n: number): Promise<void> {
    await waitFor(`${n} records`, () => records.length >= n, 5000, 0);
  }
});
