// The control plane's in-memory view of proxy metrics: it scrapes every proxy's /metrics at a fixed
// interval and keeps an hour of history (the embedded default), which `weft stat` and `weft edges` read.
// A real Prometheus can scrape the same proxies through the service-discovery endpoint instead.
import { request } from 'undici';
import { parsePrometheus, type Sample } from './parse.js';
import type { StatRow, EdgeRow } from '../../api/control-api.js';
export type { StatRow, EdgeRow };

export interface ScrapeTarget {
  proxy: string;
  admin: string;
  /** The proxy's identity, when known (its workload: whose requests its outbound events are). */
  ref?: { workload: string };
}

interface Tick {
  at: number;
  byProxy: Map<string, Sample[]>;
}

const FAMILIES = new Set(['weft_requests_total', 'weft_request_duration_ms_bucket']);

export class MetricsAggregator {
  private readonly ticks: Tick[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly targets: () => ScrapeTarget[], private readonly opts: { intervalMs: number; retainMs: number }) {}

  start(): void {
    const tick = () => void this.scrape().catch(() => {});
    tick();
    this.timer = setInterval(tick, this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Scrapes every proxy now and records the result in the history. */
  async scrape(): Promise<Tick> {
    const at = Date.now();
    const byProxy = new Map<string, Sample[]>();
    await Promise.all(this.targets().map(async (t) => {
      try {
        const r = await request(`http://${t.admin}/metrics`, { headersTimeout: 5000, bodyTimeout: 5000 });
        const text = await r.body.text();
        if (r.statusCode === 200) byProxy.set(t.proxy, parsePrometheus(text, (n) => FAMILIES.has(n)));
      } catch {
        /* a proxy that is down is simply missing from this tick */
      }
    }));
    const tick = { at, byProxy };
    this.ticks.push(tick);
    while (this.ticks.length > 0 && this.ticks[0].at < at - this.opts.retainMs) this.ticks.shift();
    return tick;
  }

  /** Per-series increase between the newest tick at least `windowMs` old (else the oldest) and a fresh scrape. */
  private async window(windowMs: number): Promise<{ seconds: number; deltas: Sample[] }> {
    const prior = [...this.ticks];
    const now = await this.scrape();
    let base: Tick | undefined;
    for (const t of prior) if (t.at <= now.at - windowMs) base = t;
    base ??= prior[0];
    const seconds = base === undefined ? 0 : (now.at - base.at) / 1000;
    // A proxy that missed this scrape (slow, restarting) counts with its latest samples, not as silence.
    const latest = new Map(now.byProxy);
    for (let i = prior.length - 1; i >= 0; i--) for (const [proxy, samples] of prior[i].byProxy) if (!latest.has(proxy)) latest.set(proxy, samples);
    const deltas: Sample[] = [];
    for (const [proxy, samples] of latest) {
      const old = new Map<string, number>();
      for (const s of base?.byProxy.get(proxy) ?? []) old.set(seriesKey(s), s.value);
      for (const s of samples) {
        const before = old.get(seriesKey(s)) ?? 0;
        // A counter that went down means the proxy restarted: count what it has now.
        deltas.push({ ...s, value: s.value >= before ? s.value - before : s.value });
      }
    }
    return { seconds, deltas };
  }

  /**
   * By service, rows are the Service callers named (see StatOptions.calledService), aggregated over the
   * backends requests went to; with `backends`, each row lists those backends.
   */
  async stat(by: 'service' | 'workload', windowMs: number, opts: StatOptions = {}): Promise<StatRow[]> {
    const { seconds, deltas } = await this.window(windowMs);
    return statRows(deltas, seconds, by, opts);
  }

  /** Who calls whom, seen from the receiving side (verified identities), since the window began. */
  async edges(windowMs: number): Promise<EdgeRow[]> {
    const { deltas } = await this.window(windowMs);
    const rows = new Map<string, EdgeRow>();
    for (const s of deltas) {
      if (s.name !== 'weft_requests_total' || s.labels.direction !== 'inbound' || s.value === 0) continue;
      const e = { source: s.labels.source_principal ?? 'unknown', destination: s.labels.destination_workload, destinationNamespace: s.labels.destination_namespace, tls: s.labels.tls === 'true', requests: 0 };
      const key = `${e.source}|${e.destination}|${e.destinationNamespace}|${e.tls}`;
      const row = rows.get(key) ?? e;
      row.requests += s.value;
      rows.set(key, row);
    }
    return [...rows.values()].sort((a, b) => a.destination.localeCompare(b.destination) || a.source.localeCompare(b.source));
  }
}

export interface StatOptions {
  /**
   * The Service a caller named, from a sample's labels (route, destination_service, destination_namespace).
   * Default: the destination service itself.
   */
  calledService?: (route: string | undefined, destService: string, destNamespace: string) => { name: string; namespace: string };
  /** By service: give each row its backends (one row per destination Service its requests went to). */
  backends?: boolean;
}

interface Group { total: number; failed: number; buckets: Map<number, number> }

function addSample(groups: Map<string, Group>, key: string, s: Sample): void {
  let g = groups.get(key);
  if (g === undefined) groups.set(key, (g = { total: 0, failed: 0, buckets: new Map() }));
  if (s.name === 'weft_requests_total') {
    g.total += s.value;
    if (Number(s.labels.response_code) >= 500) g.failed += s.value;
  } else {
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    g.buckets.set(le, (g.buckets.get(le) ?? 0) + s.value);
  }
}

function toRow(key: string, g: Group, seconds: number): StatRow {
  const [name, namespace] = key.split('\u0000');
  const q = (p: number) => quantile([...g.buckets.entries()].sort((a, b) => a[0] - b[0]), p);
  return {
    name, namespace, requests: g.total, rps: seconds > 0 ? g.total / seconds : 0,
    successRate: g.total > 0 ? (g.total - g.failed) / g.total : null, p50: q(0.5), p95: q(0.95), p99: q(0.99),
  };
}

const byName = (a: StatRow, b: StatRow) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);

/**
 * Rows from per-series increases over `seconds`. By workload: what each workload received (inbound). By
 * service: what callers sent (outbound and gateway), grouped by the Service they named.
 */
export function statRows(deltas: readonly Sample[], seconds: number, by: 'service' | 'workload', opts: StatOptions = {}): StatRow[] {
  const groups = new Map<string, Group>();
  const backends = new Map<string, Map<string, Group>>();
  for (const s of deltas) {
    const l = s.labels;
    if (by === 'workload') {
      if (l.direction === 'inbound') addSample(groups, `${l.destination_workload}\u0000${l.destination_namespace}`, s);
      continue;
    }
    if (l.direction === 'inbound' || !l.destination_service || l.destination_service === 'unknown') continue;
    const called = opts.calledService?.(l.route, l.destination_service, l.destination_namespace) ?? { name: l.destination_service, namespace: l.destination_namespace };
    const key = `${called.name}\u0000${called.namespace}`;
    addSample(groups, key, s);
    if (opts.backends === true) {
      let b = backends.get(key);
      if (b === undefined) backends.set(key, (b = new Map()));
      addSample(b, `${l.destination_service}\u0000${l.destination_namespace}`, s);
    }
  }
  return [...groups.entries()].map(([key, g]) => {
    const row = toRow(key, g, seconds);
    const b = backends.get(key);
    if (b !== undefined) row.backends = [...b.entries()].map(([k, bg]) => toRow(k, bg, seconds)).sort(byName);
    return row;
  }).sort(byName);
}

function seriesKey(s: Sample): string {
  return `${s.name}${JSON.stringify(s.labels)}`;
}

/** Quantile from cumulative histogram buckets (upper bound -> count), interpolating inside the bucket. */
export function quantile(buckets: [number, number][], q: number): number | null {
  if (buckets.length === 0) return null;
  const total = buckets[buckets.length - 1][1];
  if (total <= 0) return null;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      if (bound === Infinity) return prevBound;
      const inBucket = count - prevCount;
      return inBucket <= 0 ? bound : prevBound + (bound - prevBound) * ((rank - prevCount) / inBucket);
    }
    prevBound = bound;
    prevCount = count;
  }
  return prevBound;
}
