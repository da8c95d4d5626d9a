// Active health checks (TrafficPolicy healthCheck, Envoy's health_check): this proxy probes each ready
// endpoint of each cluster that asks for it with `GET <path>` every interval, the way a request would go
// (to the endpoint's sidecar over mTLS, which passes it to the app), and marks an endpoint unhealthy after
// unhealthyThreshold failures in a row (an answer outside 200-399, no answer within the timeout, a connect
// failure) and healthy again after healthyThreshold passes. Balancers (HealthyBalancer) leave unhealthy
// endpoints out as they do ejected ones. One timer for all probes, unref'd; at most `maxInFlight` probes at
// once; an endpoint that leaves the snapshot (or stops being ready) stops being probed and is forgotten.
import type { EndpointSnap, Snapshot } from '../../api/snapshot.js';
import type { HealthCheckSnap } from '../../api/traffic.js';
import { MAX_TIMER_MS } from '../../api/traffic.js';
import type { HealthView } from '../balance/healthy.js';
import type { Pools } from '../engine/pools.js';
import { Mirror, type MirrorStats } from '../engine/mirror.js';

/** One probe: calls `done` once with pass (true), fail (false), or undefined when it could not be sent now. */
export type Probe = (t: ProbeTarget, done: (pass: boolean | undefined) => void) => void;

export interface ProbeTarget {
  address: string;
  port: number;
  tls: EndpointSnap['tls'];
  /** The Host the probe carries: the cluster's, as a request to it would. */
  authority: string;
  path: string;
  timeoutMs: number;
}

interface Target {
  cluster: string;
  endpoint: string;
  probe: ProbeTarget;
  hc: HealthCheckSnap;
  /** The check's settings: a change starts the endpoint's record over. */
  settings: string;
  healthy: boolean;
  passes: number;
  failures: number;
  nextAt: number;
  running: boolean;
}

export interface CheckerOptions {
  maxInFlight: number;
  now: () => number;
  random: () => number;
}

export class HealthChecker implements HealthView {
  version = 0;
  /** Probes sent, passed and failed, for /stats. */
  readonly stats = { sent: 0, passed: 0, failed: 0 };
  private readonly targets = new Map<string, Target>();
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private stopped = false;
  private readonly opts: CheckerOptions;

  constructor(private readonly probe: Probe, opts: Partial<CheckerOptions> = {}) {
    this.opts = { maxInFlight: 8, now: () => performance.now(), random: Math.random, ...opts };
  }

  failing(cluster: string, endpoint: string): boolean {
    return this.targets.get(`${cluster}|${endpoint}`)?.healthy === false;
  }

  /** Endpoints failing their checks now, by cluster (the admin dump). */
  unhealthy(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const t of this.targets.values()) if (!t.healthy) (out[t.cluster] ??= []).push(t.endpoint);
    return out;
  }

  /** What to probe from now on: the ready endpoints of clusters with a healthCheck. */
  update(clusters: Snapshot['clusters']): void {
    if (this.stopped) return;
    const now = this.opts.now();
    const keep = new Set<string>();
    for (const c of clusters) {
      const hc = c.healthCheck;
      if (hc === undefined) continue;
      const settings = JSON.stringify(hc);
      for (const e of c.endpoints) {
        if (!e.ready) continue;
        const endpoint = `${e.address}:${e.port}`;
        const key = `${c.name}|${endpoint}`;
        keep.add(key);
        const had = this.targets.get(key);
        if (had !== undefined && had.settings === settings && had.probe.tls === e.tls && had.probe.authority === c.authority) continue;
        // New (or its check changed): healthy until its checks say otherwise (it is ready already), first
        // probe within the first interval (spread, so a new snapshot does not probe everything at once).
        this.targets.set(key, {
          cluster: c.name, endpoint, hc, settings, healthy: true, passes: 0, failures: 0, running: false,
          probe: { address: e.address, port: e.port, tls: e.tls, authority: c.authority, path: hc.path, timeoutMs: hc.timeoutMs },
          nextAt: now + this.opts.random() * Math.min(hc.intervalMs, 1000),
        });
        if (had !== undefined && !had.healthy) this.version++;
      }
    }
    for (const [key, t] of this.targets) {
      if (keep.has(key)) continue;
      this.targets.delete(key);
      if (!t.healthy) this.version++;
    }
    this.schedule();
  }

  /** Stops probing (proxy stop): no timer left, results of probes in flight are dropped. */
  stop(): void {
    this.stopped = true;
    this.targets.clear();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Starts the due probes the concurrency bound allows, then sets the timer for the next one due. */
  private schedule(): void {
    if (this.stopped) return;
    const now = this.opts.now();
    while (this.inFlight < this.opts.maxInFlight) {
      let due: Target | undefined;
      for (const t of this.targets.values()) if (!t.running && t.nextAt <= now && (due === undefined || t.nextAt < due.nextAt)) due = t;
      if (due === undefined) break;
      this.start(due);
    }
    let next = Infinity;
    if (this.inFlight < this.opts.maxInFlight) for (const t of this.targets.values()) if (!t.running && t.nextAt < next) next = t.nextAt;
    // A probe ending calls schedule() again, so with every slot taken no timer is needed.
    if (next === this.timerAt && this.timer !== undefined) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = next;
    if (next === Infinity) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.schedule();
    }, Math.min(Math.max(0, next - now), MAX_TIMER_MS));
    this.timer.unref();
  }

  private start(t: Target): void {
    t.running = true;
    this.inFlight++;
    this.stats.sent++;
    let called = false;
    this.probe(t.probe, (pass) => {
      if (called) return;
      called = true;
      this.inFlight--;
      t.running = false;
      t.nextAt = this.opts.now() + t.hc.intervalMs;
      // A target replaced or dropped meanwhile: its result means nothing now.
      if (this.targets.get(`${t.cluster}|${t.endpoint}`) === t && pass !== undefined) this.record(t, pass);
      this.schedule();
    });
  }

  private record(t: Target, pass: boolean): void {
    if (pass) {
      this.stats.passed++;
      t.failures = 0;
      t.passes++;
      if (!t.healthy && t.passes >= t.hc.healthyThreshold) {
        t.healthy = true;
        this.version++;
      }
    } else {
      this.stats.failed++;
      t.passes = 0;
      t.failures++;
      if (t.healthy && t.failures >= t.hc.unhealthyThreshold) {
        t.healthy = false;
        this.version++;
      }
    }
  }
}

/**
 * Probes through the proxy's own connection pools: to a peer sidecar over mTLS (identity-checked, as any
 * request), or in plaintext where the endpoint's PeerAuthentication disables mTLS; `canConnect` says whether
 * this proxy has a certificate to do mTLS with. The probe is a request
 * like any other to the endpoint's sidecar: its AuthorizationPolicy applies, and it shows in its metrics.
 */
export function poolProbe(pools: Pools, canConnect: () => boolean = () => true): Probe {
  const stats: MirrorStats = { sent: 0, skipped: 0, failed: 0 };
  return (t, done) => {
    // Without a certificate of our own (not issued yet, or expired) an mTLS probe says nothing about the endpoint.
    if (t.tls === 'mtls' && !canConnect()) return done(undefined);
    let pool;
    try {
      pool = pools.get(t.address, t.port, t.tls);
    } catch {
      return done(false);
    }
    const head = `GET ${t.path} HTTP/1.1\r\nhost: ${t.authority}\r\nuser-agent: weft-health-check\r\naccept: */*\r\n\r\n`;
    const m = Mirror.start(pool, head, stats, t.timeoutMs, (ok, status) => done(ok && status >= 200 && status < 400));
    if (m === null) return done(undefined); // the pool is saturated: no verdict, try at the next interval
    m.end();
  };
}
