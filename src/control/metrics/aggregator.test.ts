import { after, before, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MetricsAggregator, quantile, type ScrapeTarget } from './aggregator.js';

/** A proxy's admin endpoint as the aggregator sees it: /metrics serves whatever text the test sets. */
interface FakeAdmin { admin: string; text: string; status: number; scrapes: number; close(): Promise<void> }

async function fakeAdmin(): Promise<FakeAdmin> {
  const a = { admin: '', text: '', status: 200, scrapes: 0 } as FakeAdmin;
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    a.scrapes++;
    res.writeHead(a.status, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(a.text);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  a.admin = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  a.close = () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
  return a;
}

const IN = 'direction="inbound",destination_workload="api",destination_namespace="shop",destination_service="api"';
const OUT = 'direction="outbound",destination_workload="api",destination_namespace="shop",destination_service="api",route="shop/api"';

/** Exposition text for `ok` 200s and `failed` 503s received by api, and `ok` of them sent by web (outbound). */
function text(ok: number, failed: number, opts: { source?: string; buckets?: [string, number][] } = {}): string {
  const src = `source_principal="${opts.source ?? 'spiffe://t/ns/shop/sa/web'}",tls="true"`;
  const lines = [
    '# TYPE weft_requests_total counter',
    `weft_requests_total{${IN},${src},response_code="200"} ${ok} 1700000000000`,
    `weft_requests_total{${IN},${src},response_code="503"} ${failed}`,
    `weft_requests_total{${OUT},response_code="200"} ${ok}`,
    '# TYPE weft_request_duration_ms histogram',
  ];
  for (const [le, n] of opts.buckets ?? []) lines.push(`weft_request_duration_ms_bucket{${IN},le="${le}"} ${n}`);
  lines.push('weft_unrelated_total 99');
  return lines.join('\n') + '\n';
}

describe('MetricsAggregator', () => {
  let a: FakeAdmin, b: FakeAdmin;
  before(async () => {
    a = await fakeAdmin();
    b = await fakeAdmin();
  });
  after(async () => {
    await a.close();
    await b.close();
  });
  const targets = (...admins: FakeAdmin[]): (() => ScrapeTarget[]) => () => admins.map((x, i) => ({ proxy: `p${i}`, admin: x.admin }));

  it('stat by workload: requests and success rate are increases since the window began', async () => {
    const agg = new MetricsAggregator(targets(a), { intervalMs: 10_000, retainMs: 3_600_000 });
    a.text = text(100, 10);
    await agg.scrape();
    a.text = text(130, 20);
    const [row] = await agg.stat('workload', 60_000);
    assert.equal(row.name, 'api');
    assert.equal(row.namespace, 'shop');
    assert.equal(row.requests, 40, '30 more 200s and 10 more 503s, not the totals');
    assert.equal(row.successRate, 0.75);
    assert.ok(row.rps > 0);
  });

  it('stat by service counts what callers sent (outbound), not what workloads received', async () => {
    const agg = new MetricsAggregator(targets(a), { intervalMs: 10_000, retainMs: 3_600_000 });
    a.text = text(5, 5);
    await agg.scrape();
    a.text = text(12, 100);
    const rows = await agg.stat('service', 60_000);
    assert.deepEqual(rows.map((r) => [r.name, r.requests, r.successRate]), [['api', 7, 1]]);
  });

  it('a counter that went down (the proxy restarted) counts what the proxy has now', async () => {
    const agg = new MetricsAggregator(targets(a), { intervalMs: 10_000, retainMs: 3_600_000 });
    a.text = text(1000, 0);
    await agg.scrape();
    a.text = text(7, 1);
    const [row] = await agg.stat('workload', 60_000);
    assert.equal(row.requests, 8);
  });

  it('sums proxies; one that misses a scrape counts with its latest samples, not as silence', async () => {
    const agg = new MetricsAggregator(targets(a, b), { intervalMs: 10_000, retainMs: 3_600_000 });
    a.status = 200;
    b.status = 200;
    a.text = text(10, 0);
    b.text = text(10, 0);
    await agg.scrape();
    a.text = text(15, 0);
    b.text = text(30, 0);
    await agg.scrape();
    b.status = 500; // b answers an error now: missing from the fresh tick
    const before = b.scrapes;
    try {
      const [row] = await agg.stat('workload', 0);
      assert.ok(b.scrapes > before, 'b was asked');
      // Base = the newest tick at least 0 ms old = the second scrape: a grew 0, b's latest (30) vs itself.
      assert.equal(row.requests, 0);
      const [all] = await agg.stat('workload', 3_600_000);
      // Base = the oldest tick: a 10 -> 15, b 10 -> 30 (its latest samples).
      assert.equal(all.requests, 25);
    } finally {
      b.status = 200;
    }
  });

  it('edges: who called whom as the receiver saw it, only pairs with traffic in the window', async () => {
    const agg = new MetricsAggregator(targets(a, b), { intervalMs: 10_000, retainMs: 3_600_000 });
    a.text = text(10, 0);
    b.text = text(3, 0, { source: 'spiffe://t/ns/shop/sa/batch' });
    await agg.scrape();
    a.text = text(14, 1);
    const edges = await agg.edges(60_000);
    assert.deepEqual(edges, [{ source: 'spiffe://t/ns/shop/sa/web', destination: 'api', destinationNamespace: 'shop', tls: true, requests: 5 }]);
  });

  it('histogram buckets become p50/p95/p99 of the increase in the window', async () => {
    const agg = new MetricsAggregator(targets(a), { intervalMs: 10_000, retainMs: 3_600_000 });
    a.text = text(0, 0, { buckets: [['10', 0], ['100', 0], ['+Inf', 0]] });
    await agg.scrape();
    a.text = text(0, 0, { buckets: [['10', 50], ['100', 100], ['+Inf', 100]] });
    const [row] = await agg.stat('workload', 60_000);
    assert.equal(row.p50, 10);
    assert.equal(row.p95, 10 + 90 * (45 / 50));
    assert.equal(row.p99, 10 + 90 * (49 / 50));
  });

  describe('the window and the retention, on a mocked clock', () => {
    before(() => mock.timers.enable({ apis: ['Date'], now: 1_700_000_000_000 }));
    after(() => mock.timers.reset());

    it('the base is the newest tick at least the window old, else the oldest; ticks older than retention go', async () => {
      const agg = new MetricsAggregator(targets(a), { intervalMs: 10_000, retainMs: 120_000 });
      for (const [n, step] of [[100, 0], [110, 30_000], [150, 30_000], [160, 30_000]] as const) {
        mock.timers.tick(step);
        a.text = text(n, 0);
        await agg.scrape();
      }
      // Ticks at t=0 (100), 30 s (110), 60 s (150), 90 s (160); now: 100 s (200).
      mock.timers.tick(10_000);
      a.text = text(200, 0);
      const w40 = await agg.stat('workload', 40_000);
      assert.equal(w40[0].requests, 200 - 150, 'base: the 60 s tick (40 s before now)');
      assert.equal(w40[0].rps, 50 / 40);
      mock.timers.tick(5_000); // now 105 s; the 100 s tick joined the history
      const w1h = await agg.stat('workload', 3_600_000);
      assert.equal(w1h[0].requests, 200 - 100, 'no tick is an hour old: base is the oldest, t=0');
      mock.timers.tick(20_000); // now 125 s: the t=0 tick is past the 120 s retention, dropped by the next scrape
      await agg.scrape();
      const again = await agg.stat('workload', 3_600_000);
      assert.equal(again[0].requests, 200 - 110, 'the oldest kept tick is now t=30 s');
    });
  });
});

describe('quantile', () => {
  it('interpolates inside the bucket the rank falls in, from 0 for the first bucket', () => {
    const b: [number, number][] = [[1, 10], [5, 30], [10, 40], [Infinity, 40]];
    assert.equal(quantile(b, 0.25), 1 * (10 / 10));
    assert.equal(quantile(b, 0.1), 0.4);
    assert.equal(quantile(b, 0.5), 1 + 4 * (10 / 20));
    assert.equal(quantile(b, 0.9), 5 + 5 * (6 / 10));
  });

  it('a rank in the +Inf bucket gives the highest finite bound; no observations give null', () => {
    assert.equal(quantile([[1, 1], [2, 2], [Infinity, 10]], 0.99), 2);
    assert.equal(quantile([[1, 0], [Infinity, 0]], 0.5), null);
    assert.equal(quantile([], 0.5), null);
  });
});
