// A cluster's balancer when something can take endpoints out of rotation or order them: outlier detection
// (ejections), active health checks (failing endpoints), locality failover (priority levels). It keeps the
// endpoints that may serve — ready, not ejected, not failing checks — in their priority levels, gives each
// level its share of requests (Envoy's priority load, locality.ts), and within a level lets the Service's
// own balancer choose. A level short of healthy endpoints while the whole cluster is short too (under the
// panic threshold) uses all of its ready endpoints: spreading load over sick endpoints beats crushing the
// few healthy ones (Envoy's panic mode). Rebuilt only when what it knows changes, not per request.
import type { EndpointSnap } from '../../api/snapshot.js';
import type { OutlierDetectionSnap } from '../../api/traffic.js';
import type { Balancer, BalancerFactory } from './index.js';
import { OutlierDetector, type OutlierState, type Outcome } from './outlier.js';
import { priorityLoads, type LevelHealth } from './locality.js';

/** What active health checks say (src/proxy/health/checker.ts), read when the balancer rebuilds. */
export interface HealthView {
  /** Changes each time any endpoint's health does. */
  readonly version: number;
  failing(cluster: string, endpoint: string): boolean;
}

export interface HealthyOptions {
  outlier?: { od: OutlierDetectionSnap; state: OutlierState };
  checks?: HealthView;
  /** Each endpoint's priority level (locality.ts priorityOf), in the order of the endpoints; absent: one level. */
  priorities?: readonly number[];
  panicThresholdPercent: number;
  random?: () => number;
}

/** One priority level as the admin dump shows it. */
export interface LevelView {
  priority: number;
  endpoints: string[];
  healthy: number;
  /** Percent of requests it gets now. */
  percent: number;
  panic: boolean;
}

interface Level {
  /** Upper bound of this level's share in [0, 1) draws. */
  upTo: number;
  balancer: Balancer;
}

const keyOf = (e: EndpointSnap): string => `${e.address}:${e.port}`;

export class HealthyBalancer implements Balancer {
  /** Present when the cluster has outlier detection: the balance layer reports each attempt's outcome to it. */
  readonly detector: OutlierDetector | undefined;
  /** Its endpoints are in more than one priority level (locality failover). */
  readonly leveled: boolean;
  private levels: Level[] = [];
  private views: LevelView[] = [];
  private candidates = 0;
  private seen = -1;
  private readonly keys: string[];
  private readonly priorities: readonly number[];
  private readonly random: () => number;

  constructor(
    private readonly cluster: string,
    private readonly endpoints: readonly EndpointSnap[],
    private readonly factory: BalancerFactory,
    private readonly opts: HealthyOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.detector = opts.outlier === undefined ? undefined : new OutlierDetector(cluster, endpoints, opts.outlier.od, opts.outlier.state, now);
    this.keys = endpoints.map(keyOf);
    this.priorities = opts.priorities ?? endpoints.map(() => 0);
    this.leveled = opts.priorities !== undefined;
    this.random = opts.random ?? Math.random;
    this.rebuild();
  }

  get size(): number {
    return this.candidates;
  }
  get load(): Balancer['load'] {
    return this.levels[0]?.balancer.load;
  }
  get hashOn(): Balancer['hashOn'] {
    return this.levels[0]?.balancer.hashOn;
  }

  pick(hash?: number): EndpointSnap | undefined {
    this.refresh();
    const lv = this.levels;
    if (lv.length === 1) return lv[0]!.balancer.pick(hash);
    // A hashed request draws its level from its key (remixed), so the same key stays in the same level.
    const r = hash === undefined ? this.random() : (Math.imul(hash, 0x9e3779b1) >>> 0) / 0x100000000;
    for (const l of lv) if (r < l.upTo) return l.balancer.pick(hash);
    return lv[lv.length - 1]?.balancer.pick(hash);
  }

  /** An attempt on `ep` ended so (outlier detection). */
  report(ep: EndpointSnap, o: Outcome): void {
    if (this.detector?.report(ep, o) === true) this.rebuild();
  }

  /** The priority levels and their shares now (the admin dump). */
  describe(): LevelView[] {
    this.refresh();
    return this.views;
  }

  /** Rebuilds when a health check changed its verdict or an outlier sweep brought an endpoint back. */
  private refresh(): void {
    const d = this.detector;
    const back = d !== undefined && this.now() >= d.nextSweep && d.sweep(this.now());
    if (back || (this.opts.checks !== undefined && this.opts.checks.version !== this.seen)) this.rebuild();
  }

  private rebuild(): void {
    const checks = this.opts.checks;
    this.seen = checks?.version ?? -1;
    const n = this.priorities.reduce((m, p) => Math.max(m, p), 0) + 1;
    const all: EndpointSnap[][] = Array.from({ length: n }, () => []);
    const healthy: EndpointSnap[][] = Array.from({ length: n }, () => []);
    const health: LevelHealth[] = Array.from({ length: n }, () => ({ healthy: 0, ready: 0, total: 0 }));
    this.endpoints.forEach((e, i) => {
      const p = this.priorities[i]!;
      all[p]!.push(e);
      health[p]!.total++;
      if (!e.ready) return;
      health[p]!.ready++;
      if (this.detector?.isOut(this.keys[i]!) === true) return;
      if (checks === undefined || !checks.failing(this.cluster, this.keys[i]!)) {
        healthy[p]!.push(e);
        health[p]!.healthy++;
      }
    });
    const { load, panic } = priorityLoads(health, this.opts.panicThresholdPercent);
    const levels: Level[] = [];
    const views: LevelView[] = [];
    let upTo = 0;
    let candidates = 0;
    for (let p = 0; p < n; p++) {
      if (health[p]!.total > 0) views.push({ priority: p, endpoints: all[p]!.map(keyOf), healthy: health[p]!.healthy, percent: Math.round(load[p]! * 1000) / 10, panic: panic[p]! });
      if (load[p] === 0) continue;
      upTo += load[p]!;
      const b = this.factory(panic[p] ? all[p]! : healthy[p]!);
      candidates += b.size;
      levels.push({ upTo, balancer: b });
    }
    // No endpoint at all: a balancer over none, which picks nothing.
    if (levels.length === 0) levels.push({ upTo: 1, balancer: this.factory([]) });
    this.levels = levels;
    this.views = views;
    this.candidates = candidates;
  }
}

/** The priority levels of each cluster that has them, for the admin dump (/config_dump `priorities`). */
export function prioritiesOf(balancers: ReadonlyMap<string, Balancer>): Record<string, LevelView[]> {
  const out: Record<string, LevelView[]> = {};
  for (const [name, b] of balancers) if (b instanceof HealthyBalancer && b.leveled) out[name] = b.describe();
  return out;
}
