// RED metrics (rate, errors, duration) for every proxy, from the one RequestRecord each request produces,
// exposed in Prometheus text format. Hand-written rather than prom-client because record() runs once per
// request on every proxy: it must cost a few map lookups and increments, nothing more (see scripts/bench/metrics-record.mjs).
//
// Labels are a fixed, bounded set. The path, request id, trace id, authority and upstream host are never
// labels: any of them would make one series per request. The proxy's own identity is not a label either;
// the scraper's service discovery already attaches it to every series (weft_proxy_info states it once).
// Missing values are "unknown", except grpc_status which is "" (absent) for requests that are not gRPC,
// as in Istio, so `grpc_status!=""` selects gRPC calls.
import type { RecordSink, RequestRecord } from '../../observe/record.js';
import { header, labelString, sample } from './expo.js';
import { MetricFamilies } from './registry.js';
import { child, type KeyTree } from '../../../util/keytree.js';

export { CONTENT_TYPE } from './expo.js';
export { MetricsError } from './registry.js';

export interface MetricsOptions {
  proxy: { name: string; workload: string; namespace: string; kind: 'sidecar' | 'gateway' };
  /**
   * Most request label sets kept (default 5000). Beyond it, a new label set's requests are counted in one
   * series per direction whose other labels are "overflow", so totals stay right and memory stays bounded.
   */
  maxSeries?: number;
}

/** Upper bounds in ms; +Inf is implicit. */
export const DURATION_BUCKETS_MS: readonly number[] = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

export const LABEL_NAMES = [
  'direction',
  'source_workload',
  'source_namespace',
  'source_principal',
  'destination_service',
  'destination_workload',
  'destination_namespace',
  'route',
  'response_code',
  'grpc_status',
  'response_flags',
  'tls',
] as const;

const REQUESTS = 'weft_requests_total';
const DURATION = 'weft_request_duration_ms';
const REQ_BYTES = 'weft_request_bytes_total';
const RESP_BYTES = 'weft_response_bytes_total';
const IN_FLIGHT = 'weft_requests_in_flight';
const INFO = 'weft_proxy_info';
const RESERVED = new Set([REQUESTS, DURATION, `${DURATION}_bucket`, `${DURATION}_sum`, `${DURATION}_count`, REQ_BYTES, RESP_BYTES, IN_FLIGHT, INFO]);

const UNKNOWN = 'unknown';
const OVERFLOW = 'overflow';
const NB = DURATION_BUCKETS_MS.length;
const BOUNDS = Float64Array.from(DURATION_BUCKETS_MS);
const LE = [...DURATION_BUCKETS_MS.map(String), '+Inf'];
const GRPC_CODE = /^(?:[0-9]|1[0-6])$/;

interface Series {
  /** Rendered label pairs without braces, made once when the series is. */
  readonly labels: string;
  requests: number;
  bytesIn: number;
  bytesOut: number;
  sum: number;
  /** Per-bucket counts (not cumulative: record() touches one slot); the last slot is +Inf. */
  readonly buckets: Float64Array;
}

// The series lookup tree's keys are the record's raw field values, so the hot path builds no string.
type Node = KeyTree;

function orUnknown(v: string | undefined): string {
  return v === undefined || v === '' ? UNKNOWN : v;
}

export class ProxyMetrics implements RecordSink {
  readonly inflight: { inc(direction: string): void; dec(direction: string): void };

  private readonly maxSeries: number;
  private readonly registry = new MetricFamilies(RESERVED);
  private readonly info: string;
  private readonly inflightByDirection = new Map<string, number>();
  /** Canonical series by rendered labels: several raw keys (undefined, "", "unknown") can map to one series. */
  private readonly series = new Map<string, Series>();
  private sorted: Series[] | undefined;
  /**
   * A cache from raw field values to series. Raw values that normalize alike (or land in overflow) would
   * grow it without bound, so it is dropped and rebuilt from `series` when it gets large.
   */
  private root: Node = new Map();
  private cached = 0;

  constructor(opts: MetricsOptions) {
    this.maxSeries = opts.maxSeries ?? 5000;
    const p = opts.proxy;
    this.info = labelString(['kind', 'name', 'namespace', 'workload'], [p.kind, p.name, p.namespace, p.workload]);
    // Directions this kind of proxy serves start at 0, so "nothing in flight" is a sample, not an absence.
    for (const d of p.kind === 'gateway' ? ['gateway'] : ['inbound', 'outbound']) this.inflightByDirection.set(d, 0);
    const m = this.inflightByDirection;
    this.inflight = {
      inc: (d) => void m.set(d, (m.get(d) ?? 0) + 1),
      dec: (d) => void m.set(d, (m.get(d) ?? 0) - 1),
    };
  }

  record(r: RequestRecord): void {
    // A TCP connection is not a request: weft_tcp_* count its connection and bytes at the listener.
    if (r.protocol === 'TCP') return;
    let m: Node = this.root;
    m = child(m, r.direction);
    m = child(m, r.tls);
    m = child(m, r.status);
    m = child(m, r.flags);
    m = child(m, r.grpcStatus);
    m = child(m, r.route);
    m = child(m, r.destService);
    m = child(m, r.destNamespace);
    m = child(m, r.destWorkload);
    m = child(m, r.sourceWorkload);
    m = child(m, r.sourceNamespace);
    let s = m.get(r.sourcePrincipal) as Series | undefined;
    if (s === undefined) {
      s = this.resolve(r);
      m.set(r.sourcePrincipal, s);
    }

    s.requests++;
    const d = r.durationMs >= 0 ? r.durationMs : 0; // also turns NaN into 0, which would poison the sum
    s.sum += d;
    let i = 0;
    while (i < NB && d > BOUNDS[i]!) i++;
    s.buckets[i]++;
    if (r.bytesIn > 0) s.bytesIn += r.bytesIn;
    if (r.bytesOut > 0) s.bytesOut += r.bytesOut;
  }

  setGauge(name: string, help: string, labels: Record<string, string>, value: number): void {
    this.registry.set(name, help, labels, value);
  }

  /** A counter total kept by its owner (e.g. the mirror statistics). */
  setCounter(name: string, help: string, labels: Record<string, string>, value: number): void {
    this.registry.setTotal(name, help, labels, value);
  }

  incCounter(name: string, help: string, labels: Record<string, string>, by = 1): void {
    this.registry.add(name, help, labels, by);
  }

  /** Prometheus text format 0.0.4 (serve it with CONTENT_TYPE). Families and series in a stable order. */
  render(): string {
    const all = (this.sorted ??= [...this.series.values()].sort((a, b) => (a.labels < b.labels ? -1 : a.labels > b.labels ? 1 : 0)));
    let out = header(REQUESTS, 'counter', 'Requests handled by the proxy, by source, destination, route and outcome.');
    for (const s of all) out += sample(REQUESTS, s.labels, s.requests);
    out += header(DURATION, 'histogram', 'Time from the request arriving at the proxy to the response being done, in milliseconds.');
    for (const s of all) {
      let cum = 0;
      for (let i = 0; i <= NB; i++) {
        cum += s.buckets[i]!;
        out += sample(`${DURATION}_bucket`, `${s.labels},le="${LE[i]}"`, cum);
      }
      out += sample(`${DURATION}_sum`, s.labels, s.sum);
      out += sample(`${DURATION}_count`, s.labels, s.requests);
    }
    out += header(REQ_BYTES, 'counter', 'Bytes the proxy read from the downstream connection for requests.');
    for (const s of all) out += sample(REQ_BYTES, s.labels, s.bytesIn);
    out += header(RESP_BYTES, 'counter', 'Bytes the proxy wrote to the downstream connection for responses.');
    for (const s of all) out += sample(RESP_BYTES, s.labels, s.bytesOut);
    out += header(IN_FLIGHT, 'gauge', 'Requests the proxy has received and not yet finished answering.');
    for (const d of [...this.inflightByDirection.keys()].sort()) out += sample(IN_FLIGHT, labelString(['direction'], [d]), this.inflightByDirection.get(d)!);
    out += header(INFO, 'gauge', 'The proxy this endpoint belongs to; always 1.');
    out += sample(INFO, this.info, 1);
    return out + this.registry.render();
  }

  /** Slow path, once per new raw combination: normalize, render labels, find or make the series. */
  private resolve(r: RequestRecord): Series {
    if (++this.cached > this.maxSeries * 4) {
      this.root = new Map();
      this.cached = 0;
    }
    const g = r.grpcStatus;
    const values = [
      r.direction,
      orUnknown(r.sourceWorkload),
      orUnknown(r.sourceNamespace),
      orUnknown(r.sourcePrincipal),
      orUnknown(r.destService),
      orUnknown(r.destWorkload),
      orUnknown(r.destNamespace),
      orUnknown(r.route),
      Number.isInteger(r.status) && r.status >= 0 && r.status <= 999 ? String(r.status) : UNKNOWN,
      // The upstream app sets grpc-status; anything outside the 17 codes would be unbounded.
      g === undefined || g === '' ? '' : GRPC_CODE.test(g) ? g : UNKNOWN,
      orUnknown(r.flags),
      r.tls ? 'true' : 'false',
    ];
    let labels = labelString(LABEL_NAMES, values);
    let s = this.series.get(labels);
    if (s !== undefined) return s;
    if (this.series.size >= this.maxSeries) {
      labels = labelString(LABEL_NAMES, LABEL_NAMES.map((n) => (n === 'direction' ? r.direction : OVERFLOW)));
      s = this.series.get(labels);
      if (s !== undefined) return s;
    }
    s = { labels, requests: 0, bytesIn: 0, bytesOut: 0, sum: 0, buckets: new Float64Array(NB + 1) };
    this.series.set(labels, s);
    this.sorted = undefined;
    return s;
  }
}
