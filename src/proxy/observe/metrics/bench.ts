// Micro-benchmark of ProxyMetrics.record(): figures, not assertions (run from the test, or `npm run bench`).
import type { RequestRecord } from '../../observe/record.js';
import { ProxyMetrics } from './index.js';

const SERVICES = ['reviews', 'ratings', 'details', 'productpage', 'payments'];
const CODES = [200, 201, 404, 503];

/** The i-th of `sets` label sets; path, ids and upstream host differ on every call, as in real traffic. */
function makeRecord(i: number, sets: number, n: number): RequestRecord {
  const k = i % sets;
  // The observe layer slices destService/destNamespace out of the cluster name for every request, so
  // fresh strings (whose hash V8 has not cached yet) are the realistic input.
  const cluster = `${SERVICES[k % SERVICES.length]}.shop:9080`;
  const dot = cluster.indexOf('.');
  return {
    direction: k % 2 === 0 ? 'outbound' : 'inbound',
    start: 0,
    durationMs: (n % 2000) / 7,
    method: 'GET',
    path: `/items/${n}`,
    protocol: 'HTTP/1.1',
    authority: 'reviews.shop',
    status: CODES[Math.floor(k / SERVICES.length) % CODES.length]!,
    flags: '-',
    bytesIn: 300,
    bytesOut: 1200,
    route: 'shop/reviews',
    cluster,
    destService: cluster.slice(0, dot),
    destNamespace: cluster.slice(dot + 1, cluster.lastIndexOf(':')),
    destWorkload: 'reviews-v1',
    upstreamHost: `10.0.0.${n % 250}:9080`,
    requestId: `req-${n}`,
    traceId: `trace-${n}`,
    sourcePrincipal: 'spiffe://weft.local/ns/shop/sa/productpage',
    sourceWorkload: 'productpage',
    sourceNamespace: 'shop',
    tls: true,
  };
}

export interface BenchResult {
  /** record() alone, over a pool of prebuilt records. */
  nsPerRecord: number;
  /** Building a fresh record (new strings) and recording it, minus building it alone. */
  nsPerFreshRecord: number;
  series: number;
}

function time(f: () => void): number {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0);
}

export function benchRecord(n = 1_000_000, sets = 20): BenchResult {
  const opts = { proxy: { name: 'p', workload: 'productpage', namespace: 'shop', kind: 'sidecar' as const } };
  const pool = Array.from({ length: 4096 }, (_, i) => makeRecord(i, sets, i));
  const warm = new ProxyMetrics(opts);
  for (let i = 0; i < 200_000; i++) warm.record(pool[i & 4095]!);

  const m = new ProxyMetrics(opts);
  const ns = time(() => {
    for (let i = 0; i < n; i++) m.record(pool[i & 4095]!);
  });

  const m2 = new ProxyMetrics(opts);
  let sink = 0;
  const build = time(() => {
    for (let i = 0; i < n; i++) sink += makeRecord(i, sets, i).bytesIn;
  });
  const both = time(() => {
    for (let i = 0; i < n; i++) m2.record(makeRecord(i, sets, i));
  });
  if (sink < 0) throw new Error('unreachable');
  return { nsPerRecord: ns / n, nsPerFreshRecord: Math.max(0, both - build) / n, series: m.render().split('\n').filter((l) => l.startsWith('weft_requests_total{')).length };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = benchRecord();
  console.log(`metrics record(): ${r.nsPerRecord.toFixed(0)} ns/record prebuilt, ${r.nsPerFreshRecord.toFixed(0)} ns/record with fresh strings, ${r.series} series`);
}
