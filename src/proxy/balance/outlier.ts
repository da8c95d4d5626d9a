// Passive outlier detection (TrafficPolicy `outlierDetection`, Envoy's outlier_detection / Istio's
// DestinationRule field of that name): an endpoint whose attempts fail `consecutive5xxErrors` (or
// `consecutiveGatewayErrors`) times in a row is ejected — the cluster's balancer chooses among the others —
// for baseEjectionTime x the number of times it was ejected (capped at maxEjectionTime), then comes back
// at the first analysis sweep (every `interval`) after its time is up. Each sweep an endpoint spends in
// rotation takes one off its ejection count, so an endpoint that stays well is forgiven (as Envoy does).
// At most maxEjectionPercent of the endpoints are out at once (at least one, as Envoy ejects one whatever
// the percentage); when fewer than panicThresholdPercent would be left, the balancer uses them all
// (Envoy's panic mode: spreading load over sick endpoints beats crushing the few healthy ones).
import type { EndpointSnap } from '../../api/snapshot.js';
import type { OutlierDetectionSnap } from '../../api/traffic.js';
import type { Balancer, BalancerFactory } from './index.js';
import { ProxyError, RetryableResponse } from '../errors.js';

/** What an attempt came to, for the detector: fine, a 5xx answer, or a gateway error (no answer, 502/503/504). */
/** 'none': the attempt says nothing about the endpoint (this proxy refused it, e.g. a circuit-breaker overflow). */
export type Outcome = 'ok' | '5xx' | 'gateway' | 'none';

/** One endpoint's record; kept across snapshots (by cluster and address) so a push does not forgive it. */
interface EndpointState {
  consecutive5xx: number;
  consecutiveGateway: number;
  ejections: number;
  /** Ejected: out of rotation until a sweep finds its time up. */
  out: boolean;
  /** performance.now() when its ejection time is up (meaningful while out). */
  until: number;
}

export class OutlierState {
  private readonly byCluster = new Map<string, Map<string, EndpointState>>();
  /** Told each time an endpoint is ejected (weft_outlier_ejections_total). */
  onEject: ((cluster: string, endpoint: string) => void) | undefined;

  of(cluster: string): Map<string, EndpointState> {
    let m = this.byCluster.get(cluster);
    if (m === undefined) this.byCluster.set(cluster, (m = new Map()));
    return m;
  }

  /** Ejected endpoints now, per cluster (for `weft proxy-config` / the admin dump). */
  ejected(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [c, m] of this.byCluster) {
      const eps = [...m].filter(([, s]) => s.out).map(([k]) => k);
      if (eps.length > 0) out[c] = eps;
    }
    return out;
  }

  retain(clusters: Set<string>): void {
    for (const c of this.byCluster.keys()) if (!clusters.has(c)) this.byCluster.delete(c);
  }
}

const keyOf = (e: EndpointSnap): string => `${e.address}:${e.port}`;

/** A cluster's balancer with outlier detection in front: picks among the endpoints that are not ejected. */
export class OutlierBalancer implements Balancer {
  private current: Balancer;
  /** The next analysis sweep (ejected endpoints whose time is up come back then). */
  private nextSweep: number;
  private readonly states: Map<string, EndpointState>;

  constructor(
    private readonly cluster: string,
    private readonly endpoints: readonly EndpointSnap[],
    private readonly factory: BalancerFactory,
    private readonly od: OutlierDetectionSnap,
    private readonly state: OutlierState,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.states = state.of(cluster);
    const keep = new Set(endpoints.map(keyOf));
    for (const k of this.states.keys()) if (!keep.has(k)) this.states.delete(k);
    this.current = factory(endpoints);
    this.nextSweep = now() + od.intervalMs;
    this.rebuild();
  }

  get size(): number {
    return this.current.size;
  }
  get load(): Balancer['load'] {
    return this.current.load;
  }
  get hashOn(): Balancer['hashOn'] {
    return this.current.hashOn;
  }

  pick(hash?: number): EndpointSnap | undefined {
    const now = this.now();
    if (now >= this.nextSweep) this.sweep(now);
    return this.current.pick(hash);
  }

  /**
   * Runs the sweeps due by `now` (lazily, on a pick; as if a timer had run them every interval): endpoints
   * whose time was up at the last of them come back; those in rotation lose one ejection per sweep.
   */
  private sweep(now: number): void {
    const interval = this.od.intervalMs;
    const due = Math.floor((now - this.nextSweep) / interval) + 1;
    const last = this.nextSweep + (due - 1) * interval;
    this.nextSweep = last + interval;
    let changed = false;
    for (const e of this.endpoints) {
      const s = this.states.get(keyOf(e));
      if (s === undefined) continue;
      if (s.out) {
        if (s.until <= last) {
          s.out = false;
          changed = true;
        }
      } else if (s.ejections > 0) s.ejections = Math.max(0, s.ejections - due);
    }
    if (changed) this.rebuild();
  }

  /** An attempt on `ep` ended so. */
  report(ep: EndpointSnap, o: Outcome): void {
    if (o === 'none') return;
    const k = keyOf(ep);
    let s = this.states.get(k);
    if (s === undefined) this.states.set(k, (s = { consecutive5xx: 0, consecutiveGateway: 0, ejections: 0, out: false, until: 0 }));
    if (o === 'ok') {
      s.consecutive5xx = 0;
      s.consecutiveGateway = 0;
      return;
    }
    s.consecutive5xx++;
    if (o === 'gateway') s.consecutiveGateway++;
    else s.consecutiveGateway = 0;
    const od = this.od;
    const hit = (od.consecutive5xxErrors > 0 && s.consecutive5xx >= od.consecutive5xxErrors) || (od.consecutiveGatewayErrors > 0 && s.consecutiveGateway >= od.consecutiveGatewayErrors);
    if (!hit) return;
    const now = this.now();
    if (s.out) return; // already out (an attempt that started before)
    // Shares are of the ready endpoints (one not ready is out of rotation anyway).
    let n = 0;
    let out = 0;
    for (const e of this.endpoints) {
      if (!e.ready) continue;
      n++;
      if (this.states.get(keyOf(e))?.out === true) out++;
    }
    const allowed = Math.max(1, Math.floor((n * od.maxEjectionPercent) / 100));
    if (n < 2 || out >= allowed) return;
    s.ejections++;
    s.out = true;
    s.until = now + Math.min(od.baseEjectionMs * s.ejections, Math.max(od.maxEjectionMs, od.baseEjectionMs));
    s.consecutive5xx = 0;
    s.consecutiveGateway = 0;
    this.state.onEject?.(this.cluster, k);
    this.rebuild();
  }

  /** Which endpoints are in, and the balancer over them (all of them in panic). */
  private rebuild(): void {
    const healthy: EndpointSnap[] = [];
    let ready = 0;
    for (const e of this.endpoints) {
      if (e.ready) ready++;
      else continue;
      if (this.states.get(keyOf(e))?.out !== true) healthy.push(e);
    }
    const panic = healthy.length === 0 || (healthy.length * 100) / ready < this.od.panicThresholdPercent;
    this.current = healthy.length === ready || panic ? this.factory(this.endpoints) : this.factory(healthy);
  }
}

/** What an attempt's result means for the detector: the response status, or the error the forwarder raised. */
export function outcomeOf(status: number, err: unknown): Outcome {
  if (err instanceof RetryableResponse) status = err.status;
  else if (err instanceof ProxyError) {
    if (err.code === 'overflow') return 'none';
    return err.code === 'connect-failure' || err.code === 'upstream-reset' || err.code === 'upstream-timeout' ? 'gateway' : 'ok';
  } else if (err !== undefined) return 'ok';
  if (status === 502 || status === 503 || status === 504) return 'gateway';
  return status >= 500 ? '5xx' : 'ok';
}
