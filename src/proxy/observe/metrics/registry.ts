// Counters and gauges the proxy sets from outside the request record (retries, ejections, pool use,
// certificate expiry). Not the per-request hot path: each call builds one label string and does one lookup.
import { header, isLabelName, isMetricName, labelString, sample } from './expo.js';

type Kind = 'counter' | 'gauge';

interface Family {
  kind: Kind;
  help: string;
  /** Rendered label string -> value. */
  series: Map<string, number>;
}

export class MetricsError extends Error {}

export class MetricFamilies {
  private readonly families = new Map<string, Family>();

  /** Names owned elsewhere (the request families), including a histogram's _bucket/_sum/_count. */
  constructor(private readonly reserved: ReadonlySet<string>) {}

  set(name: string, help: string, labels: Record<string, string>, value: number): void {
    const [f, k] = this.series('gauge', name, help, labels);
    f.series.set(k, value);
  }

  /** A counter whose running total is kept elsewhere (it only ever grows there). */
  setTotal(name: string, help: string, labels: Record<string, string>, value: number): void {
    const [f, k] = this.series('counter', name, help, labels);
    f.series.set(k, value);
  }

  add(name: string, help: string, labels: Record<string, string>, by: number): void {
    if (!(by >= 0) || by === Infinity) throw new MetricsError(`counter ${name}: increment must be a finite number >= 0, got ${by}`);
    const [f, k] = this.series('counter', name, help, labels);
    f.series.set(k, (f.series.get(k) ?? 0) + by);
  }

  render(): string {
    let out = '';
    for (const name of [...this.families.keys()].sort()) {
      const f = this.families.get(name)!;
      out += header(name, f.kind, f.help);
      for (const k of [...f.series.keys()].sort()) out += sample(name, k, f.series.get(k)!);
    }
    return out;
  }

  /** The family and series key, checking names only when either is new; nothing is stored if a check fails. */
  private series(kind: Kind, name: string, help: string, labels: Record<string, string>): [Family, string] {
    let f = this.families.get(name);
    if (f !== undefined && f.kind !== kind) throw new MetricsError(`metric ${name}: already registered as a ${f.kind}, used as a ${kind}`);
    if (f === undefined) {
      if (!isMetricName(name)) throw new MetricsError(`metric ${JSON.stringify(name)}: not a valid Prometheus metric name`);
      if (this.reserved.has(name)) throw new MetricsError(`metric ${name}: reserved for the proxy's request metrics`);
    }
    const names = Object.keys(labels);
    if (names.length > 1) names.sort();
    const k = labelString(
      names,
      names.map((n) => String(labels[n])),
    );
    if (f === undefined || !f.series.has(k)) {
      for (const n of names) {
        if (!isLabelName(n)) throw new MetricsError(`metric ${name}: ${JSON.stringify(n)} is not a valid label name`);
      }
    }
    if (f === undefined) {
      f = { kind, help, series: new Map() };
      this.families.set(name, f);
    }
    return [f, k];
  }
}
