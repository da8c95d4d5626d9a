// Passive outlier detection (TrafficPolicy `outlierDetection`, Envoy's outlier_detection / Istio's
// DestinationRule field of that name): an endpoint whose attempts fail `consecutive5xxErrors` (or
// `consecutiveGatewayErrors`) times in a row is ejected — the cluster's balancer chooses among the others —
// for baseEjectionTime x the number of times it was ejected (capped at maxEjectionTime), then comes back
// at the first analysis sweep (every `interval`) after its time is up. Each sweep an endpoint spends in
// rotation takes one off its ejection count, so an endpoint that stays well is forgiven (as Envoy does).
// At most maxEjectionPercent of the endpoints are out at once (at least one, as Envoy ejects one whatever
// the percentage). Which endpoints then serve, and the panic threshold, are HealthyBalancer's (healthy.ts).
import type { EndpointSnap } from '../../api/snapshot.js';
import type { OutlierDetectionSnap } from '../../api/traffic.js';
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

/** One cluster's detector: counts each endpoint's failures in a row and ejects it at the threshold. */
export class OutlierDetector {
  private readonly states: Map<string, EndpointState>;
  /** When the next analysis sweep is due (run lazily, by the balancer, as if a timer ran it every interval). */
  nextSweep: number;

  constructor(
    private readonly cluster: string,
    private readonly endpoints: readonly EndpointSnap[],
    private readonly od: OutlierDetectionSnap,
    private readonly state: OutlierState,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.states = state.of(cluster);
    const keep = new Set(endpoints.map(keyOf));
    for (const k of this.states.keys()) if (!keep.has(k)) this.states.delete(k);
    this.nextSweep = now() + od.intervalMs;
  }

  /**
   * Runs the sweeps due by `now`: endpoints whose time was up at the last of them come back (true when any
   * did); those in rotation lose one ejection per sweep.
   */
  sweep(now: number): boolean {
    const interval = Math.max(1, this.od.intervalMs);
    const due = Math.floor((now - this.nextSweep) / interval) + 1;
    if (due <= 0) return false;
    const last = this.nextSweep + (due - 1) * interval;
    this.nextSweep = last + interval;
    let back = false;
    for (const e of this.endpoints) {
      const s = this.states.get(keyOf(e));
      if (s === undefined) continue;
      if (s.out) {
        if (s.until <= last) {
          s.out = false;
          back = true;
        }
      } else if (s.ejections > 0) s.ejections = Math.max(0, s.ejections - due);
    }
    return back;
  }

  /** An attempt on `ep` ended so; true when that ejected it. */
  report(ep: EndpointSnap, o: Outcome): boolean {
    if (o === 'none') return false;
    const k = keyOf(ep);
    let s = this.states.get(k);
    if (s === undefined) this.states.set(k, (s = { consecutive5xx: 0, consecutiveGateway: 0, ejections: 0, out: false, until: 0 }));
    if (o === 'ok') {
      s.consecutive5xx = 0;
      s.consecutiveGateway = 0;
      return false;
    }
    s.consecutive5xx++;
    if (o === 'gateway') s.consecutiveGateway++;
    else s.consecutiveGateway = 0;
    const od = this.od;
    const hit = (od.consecutive5xxErrors > 0 && s.consecutive5xx >= od.consecutive5xxErrors) || (od.consecutiveGatewayErrors > 0 && s.consecutiveGateway >= od.consecutiveGatewayErrors);
    if (!hit) return false;
    const now = this.now();
    if (s.out) return false; // already out (an attempt that started before)
    // Shares are of the ready endpoints (one not ready is out of rotation anyway).
    let n = 0;
    let out = 0;
    for (const e of this.endpoints) {
      if (!e.ready) continue;
      n++;
      if (this.states.get(keyOf(e))?.out === true) out++;
    }
    const allowed = Math.max(1, Math.floor((n * od.maxEjectionPercent) / 100));
    if (n < 2 || out >= allowed) return false;
    s.ejections++;
    s.out = true;
    s.until = now + Math.min(od.baseEjectionMs * s.ejections, Math.max(od.maxEjectionMs, od.baseEjectionMs));
    s.consecutive5xx = 0;
    s.consecutiveGateway = 0;
    this.state.onEject?.(this.cluster, k);
    return true;
  }

  /** Whether the endpoint at `key` is ejected now (until a sweep brings it back). */
  isOut(key: string): boolean {
    return this.states.get(key)?.out === true;
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
