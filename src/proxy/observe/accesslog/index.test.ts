import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERRORS } from '../../errors.js';
import type { RequestRecord } from '../../observe/record.js';
import { AccessLog, type AccessLogOptions } from './index.js';

const START = Date.parse('2025-01-31T12:00:00.123Z');

/** A minimal record: only the fields every request has. */
const bare = (over: Partial<RequestRecord> = {}): RequestRecord => ({
  direction: 'outbound', start: START, durationMs: 1.5, method: 'GET', path: '/', protocol: 'HTTP/1.1', authority: 'web.shop',
  status: 200, flags: '-', bytesIn: 0, bytesOut: 0, tls: false, ...over,
});

const full: RequestRecord = {
  direction: 'inbound', start: START, durationMs: 12.345678, method: 'POST', path: '/orders', protocol: 'HTTP/1.1', authority: 'orders.shop:80',
  status: 503, flags: 'UF', error: 'connect-failure', bytesIn: 321, bytesOut: 87, route: 'shop/orders', cluster: 'orders.shop:80',
  destService: 'orders', destNamespace: 'shop', destWorkload: 'orders-v1', upstreamHost: '127.0.0.1:41234', upstreamServiceTimeMs: 3.14159,
  requestId: 'req-1', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', sourcePrincipal: 'spiffe://shop.local/ns/shop/sa/web',
  sourceWorkload: 'web', sourceNamespace: 'shop', destPrincipal: 'spiffe://shop.local/ns/shop/sa/orders', tls: true,
};

function sink(o: Partial<AccessLogOptions> = {}): { log: AccessLog; lines: string[] } {
  const lines: string[] = [];
  const log = new AccessLog({ write: (buf, length) => lines.push(buf.toString('utf8', 0, length)), proxy: { name: 'sidecar-orders-v1-0' }, ...o });
  return { log, lines };
}
const parse = (line: string) => JSON.parse(line) as Record<string, unknown>;

describe('AccessLog', () => {
  it('writes one JSON line per request with every field, in a fixed order', () => {
    const { log, lines } = sink();
    log.record(full);
    assert.equal(lines.length, 1);
    assert.ok(lines[0].endsWith('}\n'));
    assert.equal(lines[0].indexOf('\n'), lines[0].length - 1);
    const entries = Object.entries(parse(lines[0]));
    assert.deepEqual(entries, Object.entries({
      start_time: '2025-01-31T12:00:00.123Z',
      method: 'POST',
      path: '/orders',
      protocol: 'HTTP/1.1',
      response_code: 503,
      response_flags: 'UF',
      error: 'connect-failure',
      bytes_received: 321,
      bytes_sent: 87,
      duration_ms: 12.346,
      upstream_host: '127.0.0.1:41234',
      upstream_service_time_ms: 3.142,
      upstream_cluster: 'orders.shop:80',
      route: 'shop/orders',
      authority: 'orders.shop:80',
      x_request_id: 'req-1',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      source_principal: 'spiffe://shop.local/ns/shop/sa/web',
      destination_principal: 'spiffe://shop.local/ns/shop/sa/orders',
      source_workload: 'web',
      source_namespace: 'shop',
      destination_service: 'orders',
      destination_workload: 'orders-v1',
      destination_namespace: 'shop',
      direction: 'inbound',
      tls: true,
      proxy: 'sidecar-orders-v1-0',
    }));
  });

  it('writes null for what the record does not have', () => {
    const { log, lines } = sink();
    log.record(bare({ authority: '' }));
    assert.deepEqual(parse(lines[0]), {
      start_time: '2025-01-31T12:00:00.123Z', method: 'GET', path: '/', protocol: 'HTTP/1.1', response_code: 200, response_flags: '-',
      error: null, bytes_received: 0, bytes_sent: 0, duration_ms: 1.5, upstream_host: null, upstream_service_time_ms: null,
      upstream_cluster: null, route: null, authority: null, x_request_id: null, trace_id: null, source_principal: null,
      destination_principal: null, source_workload: null, source_namespace: null, destination_service: null,
      destination_workload: null, destination_namespace: null, direction: 'outbound', tls: false, proxy: 'sidecar-orders-v1-0',
    });
  });

  it('keeps each line valid JSON whatever the path, authority or request id hold', () => {
    const { log, lines } = sink();
    const nasty = '/a"b\\c\nd\re\tf\u0000g\u001b[31mh\u2028i\u2029j}\n{"response_code":200';
    const authority = 'evil"\r\nhost:1';
    log.record(bare({ path: nasty, authority, requestId: '"}\n{' }));
    assert.equal(lines.length, 1);
    const line = lines[0];
    // Exactly one line: no raw newline or control character before the terminating one.
    assert.doesNotMatch(line.slice(0, -1), /[\u0000-\u001f]/);
    const got = parse(line);
    assert.equal(got.path, nasty);
    assert.equal(got.authority, authority);
    assert.equal(got.x_request_id, '"}\n{');
    assert.equal(got.response_code, 200);
  });

  it('round-trips random strings of every kind through JSON.parse, each on one line', () => {
    const { log, lines } = sink();
    // A fixed-seed generator: plain ASCII, quotes, backslashes, controls, DEL, Latin-1, BMP and astral characters.
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const alphabet = ['a', 'Z', '/', ' ', '"', '\\', '\n', '\u0000', '\u001f', '\u007f', '\u00e9', '\u2028', '\ud83d\ude00', '{', '}'];
    const text = () => Array.from({ length: rnd(12) }, () => alphabet[rnd(alphabet.length)]).join('');
    for (let i = 0; i < 500; i++) {
      const want = { path: text(), method: text(), requestId: text(), sourcePrincipal: text() };
      log.record(bare(want));
      const line = lines[lines.length - 1];
      assert.doesNotMatch(line.slice(0, -1), /[\u0000-\u001f]/);
      const got = parse(line);
      assert.deepEqual([got.path, got.method, got.x_request_id, got.source_principal], [want.path, want.method, want.requestId, want.sourcePrincipal]);
    }
  });

  it('writes values longer than its reused buffer whole, plain or escaped, and stays right for the lines after', () => {
    const { log, lines } = sink();
    const path = '/' + 'p'.repeat(100_000);
    const requestId = '\u0001"\\'.repeat(7000); // escapes to 6 + 2 + 2 characters per 3
    log.record(bare({ path, requestId }));
    log.record(bare({ path: '/after' }));
    assert.equal(lines.length, 2);
    const [big, after] = lines.map(parse);
    assert.equal(big.path, path);
    assert.equal(big.x_request_id, requestId);
    assert.equal(after.path, '/after');
    assert.equal(after.x_request_id, null);
  });

  it('writes who called whom right for every combination, past the size of its cache of rendered parts', () => {
    const { log, lines } = sink();
    const pick = <T,>(xs: T[], i: number) => xs[i % xs.length]!;
    const want: Record<string, unknown>[] = [];
    for (let i = 0; i < 3000; i++) {
      const r = bare({
        sourcePrincipal: `spiffe://shop.local/ns/n${i % 37}/sa/s${i % 11}`,
        destPrincipal: pick([undefined, 'spiffe://shop.local/ns/shop/sa/orders'], i),
        sourceWorkload: pick(['web', undefined, 'we"b'], i),
        sourceNamespace: pick(['shop', 'n\u00e9'], i),
        destService: pick(['orders', undefined], i >> 1),
        destWorkload: pick(['orders-v1', 'orders-v2'], i >> 2),
        destNamespace: pick(['shop', undefined], i >> 3),
        direction: pick(['inbound', 'outbound', 'gateway'] as const, i),
        tls: i % 5 === 0,
      });
      log.record(r);
      want.push({
        source_principal: r.sourcePrincipal ?? null, destination_principal: r.destPrincipal ?? null, source_workload: r.sourceWorkload ?? null,
        source_namespace: r.sourceNamespace ?? null, destination_service: r.destService ?? null, destination_workload: r.destWorkload ?? null,
        destination_namespace: r.destNamespace ?? null, direction: r.direction, tls: r.tls, proxy: 'sidecar-orders-v1-0',
      });
    }
    const got = lines.map((l) => {
      const o = parse(l);
      return Object.fromEntries(Object.keys(want[0]!).map((k) => [k, o[k]]));
    });
    assert.deepEqual(got, want);
  });

  it('formats start times exactly as Date.toISOString does, across second boundaries', () => {
    const { log, lines } = sink();
    const starts = [START, START + 877, START + 878, START + 1000, START - 1, 0, 999, 1000, Date.parse('2024-02-29T23:59:59.999Z'), Date.parse('2024-03-01T00:00:00.000Z'), START + 0.9];
    for (const start of starts) log.record(bare({ start }));
    assert.deepEqual(lines.map((l) => parse(l).start_time), starts.map((t) => new Date(Math.floor(t)).toISOString()));
  });

  it('writes durations rounded to the microsecond, as numbers equal to Math.round(ms * 1000) / 1000', () => {
    const { log, lines } = sink();
    const ds = [0, 0.0004, 0.0005, 0.001, 0.01, 0.1, 1, 1.5, 1.0004, 2.0996, 9.999, 10.05, 12.3456, 999.9999, 65000.1234, 2147483.647, 2147483.648, 1e7 + 0.25];
    for (let i = 0; i < 200; i++) ds.push(Math.random() * (i % 2 ? 50 : 60000));
    for (const d of ds) log.record(bare({ durationMs: d, upstreamServiceTimeMs: d / 3 }));
    assert.deepEqual(lines.map((l) => parse(l).duration_ms), ds.map((d) => Math.round(d * 1000) / 1000));
    assert.deepEqual(lines.map((l) => parse(l).upstream_service_time_ms), ds.map((d) => Math.round((d / 3) * 1000) / 1000));
  });

  it('writes null for numbers JSON cannot hold', () => {
    const { log, lines } = sink();
    log.record(bare({ start: Number.NaN, durationMs: Number.POSITIVE_INFINITY, upstreamServiceTimeMs: Number.NaN, bytesIn: Number.NaN }));
    const got = parse(lines[0]);
    assert.deepEqual([got.start_time, got.duration_ms, got.upstream_service_time_ms, got.bytes_received], [null, null, null, null]);
  });

  it('errorsOnly keeps failed requests: status >= 400 or a response flag', () => {
    const { log, lines } = sink({ filter: { errorsOnly: true } });
    log.record(bare({ status: 200 }));
    log.record(bare({ status: 302 }));
    log.record(bare({ status: 404, path: '/404' }));
    log.record(bare({ status: 503, flags: 'UH', error: 'no-healthy-endpoint', path: '/503' }));
    log.record(bare({ status: 200, flags: 'DC', path: '/dc' }));
    assert.deepEqual(lines.map((l) => parse(l).path), ['/404', '/503', '/dc']);
  });

  it('minStatus keeps requests at or above the status', () => {
    const { log, lines } = sink({ filter: { minStatus: 500 } });
    for (const status of [200, 404, 499, 500, 503]) log.record(bare({ status }));
    assert.deepEqual(lines.map((l) => parse(l).response_code), [500, 503]);
  });

  it('applies both filters together', () => {
    const { log, lines } = sink({ filter: { minStatus: 200, errorsOnly: true } });
    log.record(bare({ status: 200 }));
    log.record(bare({ status: 200, flags: 'DC' }));
    log.record(bare({ status: 101, flags: 'DC' }));
    assert.deepEqual(lines.map((l) => [parse(l).response_code, parse(l).response_flags]), [[200, 'DC']]);
  });

  it('writes nothing when disabled, and follows configure() from a config push', () => {
    const { log, lines } = sink({ enabled: false });
    log.record(full);
    assert.deepEqual(lines, []);
    log.configure({ enabled: true, errorsOnly: false, minStatus: 0 });
    log.record(full);
    assert.equal(lines.length, 1);
    log.configure({ minStatus: 600 });
    log.record(full);
    log.configure({ enabled: false, minStatus: 0 });
    log.record(full);
    assert.equal(lines.length, 1);
  });

  it('rejects formats it does not know', () => {
    assert.throws(() => sink({ format: 'text' as 'json' }), /only "json" is supported/);
  });
});

describe('docs/errors.md', () => {
  it('documents every error code with the status and response flag the proxy uses', () => {
    const md = readFileSync(new URL('../../../../../docs/errors.md', import.meta.url), 'utf8');
    for (const [code, e] of Object.entries(ERRORS)) {
      const row = md.split('\n').find((l) => l.startsWith(`| \`${code}\` |`));
      assert.ok(row !== undefined, `no row for ${code}`);
      const [, , status, flag] = row.split('|').map((c) => c.trim());
      assert.ok(status.startsWith(String(e.status)) || status.includes(`${e.status} if`), `${code}: status ${status}, table says ${e.status}`);
      assert.ok(flag.startsWith(`\`${e.flag}\``), `${code}: flag ${flag}, table says ${e.flag}`);
    }
    // Flags the request lifecycle sets without a code.
    for (const flag of ['DC', 'DI']) assert.match(md, new RegExp(`\\| \\(none\\) \\| [^|]+ \\| \`${flag}\``));
  });
});
