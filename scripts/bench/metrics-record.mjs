#!/usr/bin/env node
// Micro-benchmark of ProxyMetrics.record() (src/proxy/observe/metrics/index.ts): figures, not assertions.
// `node scripts/bench/metrics-record.mjs [calls] [label sets]` builds first, then times 1e6 record() calls
// over 20 label sets (defaults). The unit test keeps only what record() must count.
import { runOnNode24 } from '../../bin/node24.mjs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

await runOnNode24('scripts/bench/metrics-record.mjs');
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', root], { stdio: 'inherit' });
const { ProxyMetrics } = await import(path.join(root, 'dist/src/proxy/observe/metrics/index.js'));

const SERVICES = ['reviews', 'ratings', 'details', 'productpage', 'payments'];
const CODES = [200, 201, 404, 503];

/** The i-th of `sets` label sets; path, ids and upstream host differ on every call, as in real traffic. */
function makeRecord(i, sets, n) {
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
    status: CODES[Math.floor(k / SERVICES.length) % CODES.length],
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


function time(f) {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0);
}

/** ns per record() over prebuilt records, ns per record() with fresh strings, and the series made. */
function benchRecord(n = 1_000_000, sets = 20) {
  const opts = { proxy: { name: 'p', workload: 'productpage', namespace: 'shop', kind: 'sidecar' } };
  const pool = Array.from({ length: 4096 }, (_, i) => makeRecord(i, sets, i));
  const warm = new ProxyMetrics(opts);
  for (let i = 0; i < 200_000; i++) warm.record(pool[i & 4095]);

  const m = new ProxyMetrics(opts);
  const ns = time(() => {
    for (let i = 0; i < n; i++) m.record(pool[i & 4095]);
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

const r = benchRecord(Number(process.argv[2] ?? 1_000_000), Number(process.argv[3] ?? 20));
console.log(`metrics record(): ${r.nsPerRecord.toFixed(0)} ns/record prebuilt, ${r.nsPerFreshRecord.toFixed(0)} ns/record with fresh strings, ${r.series} series`);
