import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RequestRecord } from '../../observe/record.js';
import { DURATION_BUCKETS_MS, LABEL_NAMES, MetricsError, ProxyMetrics, type MetricsOptions } from './index.js';

const OPTS: MetricsOptions = { proxy: { name: 'productpage-1', workload: 'productpage', namespace: 'shop', kind: 'sidecar' } };

function rec(over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    direction: 'outbound',
    start: 0,
    durationMs: 3,
    method: 'GET',
    path: '/items/1',
    protocol: 'HTTP/1.1',
    authority: 'reviews.shop',
    status: 200,
    flags: '-',
    bytesIn: 100,
    bytesOut: 1000,
    route: 'shop/reviews',
    cluster: 'reviews.shop:9080',
    destService: 'reviews',
    destNamespace: 'shop',
    destWorkload: 'reviews-v1',
    upstreamHost: '10.0.0.7:9080',
    requestId: 'req-1',
    traceId: 'trace-1',
    sourcePrincipal: 'spiffe://weft.local/ns/shop/sa/productpage',
    sourceWorkload: 'productpage',
    sourceNamespace: 'shop',
    tls: true,
    ...over,
  };
}

// A strict reader of the text format: the test's independent view of what render() must produce.
interface Sample { name: string; labels: Record<string, string>; value: number }
interface Parsed { help: Map<string, string>; type: Map<string, string>; samples: Sample[] }

function parseLabels(s: string, line: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < s.length) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(s.slice(i));
    assert.ok(m, `bad label at ${i} in: ${line}`);
    i += m[0].length;
    let v = '';
    for (;;) {
      assert.ok(i < s.length, `unterminated label value in: ${line}`);
      const c = s[i]!;
      if (c === '"') break;
      assert.notEqual(c, '\n');
      if (c === '\\') {
        const e = s[i + 1];
        assert.ok(e === '\\' || e === '"' || e === 'n', `bad escape \\${e} in: ${line}`);
        v += e === 'n' ? '\n' : e;
        i += 2;
      } else {
        v += c;
        i++;
      }
    }
    i++;
    assert.ok(!(m[1]! in out), `duplicate label ${m[1]} in: ${line}`);
    out[m[1]!] = v;
    if (i < s.length) {
      assert.equal(s[i], ',', `expected , in: ${line}`);
      i++;
    }
  }
  return out;
}

function familyOf(name: string, type: Map<string, string>): string {
  for (const suf of ['_bucket', '_sum', '_count']) {
    const base = name.slice(0, -suf.length);
    if (name.endsWith(suf) && type.get(base) === 'histogram') return base;
  }
  return name;
}

function parse(text: string): Parsed {
  assert.ok(text.endsWith('\n'), 'output ends with a newline');
  const p: Parsed = { help: new Map(), type: new Map(), samples: [] };
  const seen = new Set<string>();
  const done = new Set<string>(); // families whose samples ended: a family's lines must be contiguous
  let current = '';
  for (const line of text.slice(0, -1).split('\n')) {
    const c = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (c) {
      const [, kind, name, rest] = c;
      const map = kind === 'HELP' ? p.help : p.type;
      assert.ok(!map.has(name!), `${kind} for ${name} twice`);
      if (kind === 'TYPE') {
        assert.ok(['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest!), line);
        assert.ok(p.help.has(name!), `HELP before TYPE for ${name}`);
      }
      map.set(name!, rest!);
      if (current !== '' && current !== name) done.add(current);
      current = name!;
      continue;
    }
    assert.ok(!line.startsWith('#'), `unexpected comment: ${line}`);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${JSON.stringify(line)}`);
    const [, name, labels, value] = m;
    assert.ok(/^(?:[+-]Inf|NaN|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/.test(value!), `bad value in: ${line}`);
    const fam = familyOf(name!, p.type);
    assert.ok(p.help.has(fam) && p.type.has(fam), `sample before HELP and TYPE of ${fam}: ${line}`);
    assert.equal(fam, current, `sample of ${fam} outside its family block`);
    assert.ok(!done.has(fam));
    const key = `${name}{${labels ?? ''}}`;
    assert.ok(!seen.has(key), `duplicate series ${key}`);
    seen.add(key);
    p.samples.push({ name: name!, labels: labels === undefined ? {} : parseLabels(labels, line), value: Number(value === '+Inf' ? Infinity : value) });
  }
  return p;
}

function find(p: Parsed, name: string, labels: Record<string, string>): Sample[] {
  return p.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

function one(p: Parsed, name: string, labels: Record<string, string> = {}): number {
  const f = find(p, name, labels);
  assert.equal(f.length, 1, `${name} ${JSON.stringify(labels)}: ${f.length} samples`);
  return f[0]!.value;
}

describe('ProxyMetrics', () => {
  it('counts requests, bytes and a cumulative duration histogram', () => {
    const m = new ProxyMetrics(OPTS);
    for (const d of [0.3, 1, 7, 20000]) m.record(rec({ durationMs: d }));
    const p = parse(m.render());
    assert.equal(one(p, 'weft_requests_total'), 4);
    assert.equal(one(p, 'weft_request_bytes_total'), 400);
    assert.equal(one(p, 'weft_response_bytes_total'), 4000);
    assert.equal(one(p, 'weft_request_duration_ms_count'), 4);
    assert.equal(one(p, 'weft_request_duration_ms_sum'), 0.3 + 1 + 7 + 20000);
    const buckets = find(p, 'weft_request_duration_ms_bucket', {});
    assert.deepEqual(buckets.map((b) => b.labels.le), [...DURATION_BUCKETS_MS.map(String), '+Inf']);
    // le is "less than or equal": 1 ms lands in le="1".
    const want = { '0.5': 1, '1': 2, '2.5': 2, '5': 2, '10': 3, '25': 3, '5000': 3, '10000': 3, '+Inf': 4 };
    for (const [le, n] of Object.entries(want)) assert.equal(one(p, 'weft_request_duration_ms_bucket', { le }), n, `le=${le}`);
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, 'cumulative');
    assert.equal(buckets.at(-1)!.value, one(p, 'weft_request_duration_ms_count'));
  });

  it('labels every series with exactly the documented names and values', () => {
    const m = new ProxyMetrics(OPTS);
    m.record(rec({ status: 503, flags: 'UH', tls: false, grpcStatus: '14' }));
    const [s] = find(parse(m.render()), 'weft_requests_total', {});
    assert.deepEqual(Object.keys(s!.labels), [...LABEL_NAMES]);
    assert.deepEqual(s!.labels, {
      direction: 'outbound',
      source_workload: 'productpage',
      source_namespace: 'shop',
      source_principal: 'spiffe://weft.local/ns/shop/sa/productpage',
      destination_service: 'reviews',
      destination_workload: 'reviews-v1',
      destination_namespace: 'shop',
      route: 'shop/reviews',
      response_code: '503',
      grpc_status: '14',
      response_flags: 'UH',
      tls: 'false',
    });
  });

  it('writes "unknown" for missing values, "" for a missing grpc_status, and merges raw forms of the same labels', () => {
    const m = new ProxyMetrics(OPTS);
    const bare = { route: undefined, destService: undefined, destNamespace: undefined, destWorkload: undefined, sourcePrincipal: undefined, sourceWorkload: undefined, sourceNamespace: undefined };
    m.record(rec({ direction: 'inbound', ...bare }));
    m.record(rec({ direction: 'inbound', ...bare, route: '', sourceWorkload: '', grpcStatus: '' }));
    m.record(rec({ direction: 'inbound', ...bare, route: 'unknown' }));
    const p = parse(m.render());
    const s = find(p, 'weft_requests_total', {});
    assert.equal(s.length, 1);
    assert.equal(s[0]!.value, 3);
    for (const k of ['source_workload', 'source_namespace', 'source_principal', 'destination_service', 'destination_workload', 'destination_namespace', 'route']) assert.equal(s[0]!.labels[k], 'unknown', k);
    assert.equal(s[0]!.labels.grpc_status, '');
  });

  it('keeps grpc_status bounded to the gRPC codes', () => {
    const m = new ProxyMetrics(OPTS);
    for (const g of ['0', '16', '17', 'x'.repeat(100), '-1']) m.record(rec({ grpcStatus: g }));
    const p = parse(m.render());
    assert.deepEqual(find(p, 'weft_requests_total', {}).map((s) => [s.labels.grpc_status, s.value]).sort(), [['0', 1], ['16', 1], ['unknown', 3]]);
  });

  it('escapes backslash, double quote and newline in label values', () => {
    const m = new ProxyMetrics(OPTS);
    const route = 'ns/a"b\\c\nd';
    m.record(rec({ route }));
    m.setGauge('weft_test_gauge', 'A help with \\ and\nnewline.', { v: 'x"y\\z\n' }, 1);
    const text = m.render();
    assert.ok(text.includes('route="ns/a\\"b\\\\c\\nd"'), text);
    assert.ok(text.includes('# HELP weft_test_gauge A help with \\\\ and\\nnewline.\n'));
    const p = parse(text);
    assert.equal(find(p, 'weft_requests_total', {})[0]!.labels.route, route);
    assert.equal(one(p, 'weft_test_gauge', { v: 'x"y\\z\n' }), 1);
  });

  it('never makes series from paths, ids, authorities or upstream hosts', () => {
    const m = new ProxyMetrics(OPTS);
    for (let i = 0; i < 5000; i++) {
      m.record(rec({ path: `/p/${i}`, requestId: `rid-${i}`, traceId: `tid-${i}`, authority: `host-${i}:80`, upstreamHost: `10.1.${i >> 8}.${i & 255}:80`, method: i % 2 ? 'GET' : 'POST', start: i, durationMs: i % 50 }));
    }
    const text = m.render();
    const p = parse(text);
    assert.equal(find(p, 'weft_requests_total', {}).length, 1);
    assert.equal(one(p, 'weft_requests_total'), 5000);
    for (const leak of ['/p/', 'rid-', 'tid-', 'host-', '10.1.', 'GET', 'POST']) assert.ok(!text.includes(leak), leak);
  });

  it('caps label sets: beyond maxSeries, requests go to one overflow series per direction', () => {
    const m = new ProxyMetrics({ ...OPTS, maxSeries: 3 });
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 50; i++) m.record(rec({ route: `r${i}`, direction: i % 2 ? 'inbound' : 'outbound' }));
    }
    const p = parse(m.render());
    const s = find(p, 'weft_requests_total', {});
    assert.equal(s.reduce((a, x) => a + x.value, 0), 150);
    assert.deepEqual(s.map((x) => x.labels.route).sort(), ['overflow', 'overflow', 'r0', 'r1', 'r2']);
    assert.equal(one(p, 'weft_requests_total', { route: 'overflow', direction: 'outbound' }), 23 * 3); // even routes but r0, r2
    assert.equal(one(p, 'weft_requests_total', { route: 'overflow', direction: 'inbound' }), 24 * 3); // odd routes but r1
  });

  it('renders the same text whatever order series were created in', () => {
    const a = new ProxyMetrics(OPTS);
    const b = new ProxyMetrics(OPTS);
    const rs = ['x', 'b', 'a', 'c'].map((route) => rec({ route }));
    for (const r of rs) a.record(r);
    for (const r of [...rs].reverse()) b.record(r);
    a.incCounter('weft_z_total', 'z', { a: '1', b: '2' });
    a.setGauge('weft_a', 'a', {}, 1);
    b.setGauge('weft_a', 'a', {}, 1);
    b.incCounter('weft_z_total', 'z', { b: '2', a: '1' });
    assert.equal(a.render(), b.render());
    assert.equal(a.render(), a.render());
  });

  it('tracks requests in flight by direction, starting at 0 for the directions the proxy serves', () => {
    const m = new ProxyMetrics(OPTS);
    let p = parse(m.render());
    assert.equal(one(p, 'weft_requests_in_flight', { direction: 'inbound' }), 0);
    assert.equal(one(p, 'weft_requests_in_flight', { direction: 'outbound' }), 0);
    m.inflight.inc('inbound');
    m.inflight.inc('inbound');
    m.inflight.inc('outbound');
    m.inflight.dec('inbound');
    p = parse(m.render());
    assert.equal(one(p, 'weft_requests_in_flight', { direction: 'inbound' }), 1);
    assert.equal(one(p, 'weft_requests_in_flight', { direction: 'outbound' }), 1);
    assert.equal(p.type.get('weft_requests_in_flight'), 'gauge');

    const g = parse(new ProxyMetrics({ proxy: { ...OPTS.proxy, kind: 'gateway' } }).render());
    assert.deepEqual(find(g, 'weft_requests_in_flight', {}).map((s) => s.labels.direction), ['gateway']);
    assert.deepEqual(find(g, 'weft_proxy_info', {})[0]!.labels, { kind: 'gateway', name: 'productpage-1', namespace: 'shop', workload: 'productpage' });
  });

  it('sets gauges and increments counters from outside the request path', () => {
    const m = new ProxyMetrics(OPTS);
    m.setGauge('weft_certificate_expiry_seconds', 'Seconds until the workload certificate expires.', { kind: 'workload' }, 3600);
    m.setGauge('weft_certificate_expiry_seconds', 'ignored: the first help wins', { kind: 'workload' }, 1800);
    m.setGauge('weft_pool_connections', 'Open upstream connections.', {}, Infinity);
    m.incCounter('weft_retries_total', 'Retries sent.', { destination_service: 'reviews' });
    m.incCounter('weft_retries_total', 'Retries sent.', { destination_service: 'reviews' }, 2);
    m.incCounter('weft_retries_total', 'Retries sent.', { destination_service: 'ratings' }, 0.5);
    const p = parse(m.render());
    assert.equal(one(p, 'weft_certificate_expiry_seconds', { kind: 'workload' }), 1800);
    assert.equal(p.help.get('weft_certificate_expiry_seconds'), 'Seconds until the workload certificate expires.');
    assert.equal(p.type.get('weft_certificate_expiry_seconds'), 'gauge');
    assert.equal(one(p, 'weft_pool_connections'), Infinity);
    assert.equal(one(p, 'weft_retries_total', { destination_service: 'reviews' }), 3);
    assert.equal(one(p, 'weft_retries_total', { destination_service: 'ratings' }), 0.5);
    assert.equal(p.type.get('weft_retries_total'), 'counter');
  });

  it('rejects misuse with a clear error and keeps what it had', () => {
    const m = new ProxyMetrics(OPTS);
    m.incCounter('weft_retries_total', 'Retries.', {});
    const before = m.render();
    const bad: [string, () => void, RegExp][] = [
      ['type clash', () => m.setGauge('weft_retries_total', 'x', {}, 1), /already registered as a counter/],
      ['reserved', () => m.incCounter('weft_requests_total', 'x', {}), /reserved/],
      ['reserved histogram part', () => m.setGauge('weft_request_duration_ms_bucket', 'x', {}, 1), /reserved/],
      ['metric name', () => m.setGauge('weft-bad', 'x', {}, 1), /not a valid Prometheus metric name/],
      ['label name', () => m.setGauge('weft_ok', 'x', { 'bad-label': 'v' }, 1), /not a valid label name/],
      ['reserved label name', () => m.setGauge('weft_ok', 'x', { __name__: 'v' }, 1), /not a valid label name/],
      ['negative increment', () => m.incCounter('weft_retries_total', 'x', {}, -1), /finite number >= 0/],
      ['NaN increment', () => m.incCounter('weft_retries_total', 'x', {}, NaN), /finite number >= 0/],
    ];
    for (const [what, f, re] of bad) assert.throws(f, (e: unknown) => e instanceof MetricsError && re.test((e as Error).message), what);
    // A rejected call stores nothing, not even an empty family.
    assert.equal(m.render(), before);
  });

  it('guards the histogram against NaN and negative durations and counters against negative bytes', () => {
    const m = new ProxyMetrics(OPTS);
    m.record(rec({ durationMs: NaN, bytesIn: -5, bytesOut: NaN }));
    m.record(rec({ durationMs: -1 }));
    const p = parse(m.render());
    assert.equal(one(p, 'weft_request_duration_ms_sum'), 0);
    assert.equal(one(p, 'weft_request_duration_ms_bucket', { le: '0.5' }), 2);
    assert.equal(one(p, 'weft_request_bytes_total'), 100);
    assert.equal(one(p, 'weft_response_bytes_total'), 1000);
  });

  it('requests that differ in path, ids and upstream host make one series per label set (20 sets, 20 series)', () => {
    // The request mix of scripts/bench/metrics-record.mjs, which times record(); here only what it must count.
    const services = ['reviews', 'ratings', 'details', 'productpage', 'payments'];
    const codes = [200, 201, 404, 503];
    const m = new ProxyMetrics(OPTS);
    for (let i = 0; i < 2000; i++) {
      const k = i % 20;
      const cluster = `${services[k % services.length]}.shop:9080`;
      m.record(rec({
        direction: k % 2 === 0 ? 'outbound' : 'inbound', status: codes[Math.floor(k / services.length) % codes.length], cluster,
        destService: cluster.slice(0, cluster.indexOf('.')), path: `/items/${i}`, upstreamHost: `10.0.0.${i % 250}:9080`, requestId: `req-${i}`, traceId: `trace-${i}`,
      }));
    }
    const series = parse(m.render()).samples.filter((x) => x.name === 'weft_requests_total');
    assert.equal(series.length, 20);
    assert.equal(series.reduce((a, x) => a + x.value, 0), 2000);
  });
});
