// Locality failover as Envoy's priority levels (Istio's localityLbSetting failover): a caller's endpoints are
// ordered by where they run — its own zone first, then its region, then the region its region fails over
// to, then the rest — and each level takes the share of traffic its health can carry, the rest spilling
// to the next level. Pure functions; HealthyBalancer (healthy.ts) applies them.
import type { LocalityFailoverSnap, LocalitySnap } from '../../api/traffic.js';

/**
 * Envoy's default overprovisioning factor: a level is taken to have 40 % headroom, so it keeps all its
 * traffic while at least 1/1.4 (~71.4 %) of its endpoints are healthy.
 */
export const OVERPROVISIONING_FACTOR = 1.4;

/** Priority levels: 0 same zone, 1 same region, 2 the failover region of the caller's region, 3 elsewhere. */
export const LEVELS = 4;

/** The level of an endpoint at `ep` for a caller at `self`. A caller with no locality sees one level (0). */
export function priorityOf(self: LocalitySnap | undefined, ep: LocalitySnap | undefined, failover: LocalityFailoverSnap['failover']): number {
  if (self === undefined) return 0;
  if (ep !== undefined && ep.region === self.region) return self.zone !== undefined && ep.zone === self.zone ? 0 : 1;
  if (ep !== undefined && failover.some((f) => f.from === self.region && f.to === ep.region)) return 2;
  return 3;
}

export interface LevelHealth {
  /** Endpoints in the level that may serve: ready, not ejected, not failing health checks. */
  healthy: number;
  /** Ready endpoints in the level, healthy or not (what panic uses). */
  ready: number;
  /** Every endpoint in the level, ready or not. */
  total: number;
}

export interface PriorityLoad {
  /** Share of requests each level gets, 0..1, summing to 1 (all 0 when no level has an endpoint). */
  load: number[];
  /** Whether a level sends its share to all its endpoints, healthy or not (panic). */
  panic: boolean[];
}

/**
 * Envoy's priority load. A level's health is min(100, 1.4 x its healthy percentage); the levels' healths
 * summed and capped at 100 are the normalized total health. Each level in order takes
 * health x 100 / normalized total, up to what the levels above left. When the normalized total is under
 * 100 there are not enough healthy endpoints anywhere, and a level with fewer healthy endpoints than the
 * panic threshold (percent) uses all of its ready ones. With none healthy at all, the first level with a
 * ready endpoint takes everything, in panic (whatever the threshold: weft fails open, where Envoy with a
 * threshold of 0 answers 503).
 */
export function priorityLoads(levels: readonly LevelHealth[], panicThresholdPercent: number, factor = OVERPROVISIONING_FACTOR): PriorityLoad {
  const health = levels.map((l) => (l.total === 0 ? 0 : Math.min(100, (factor * 100 * l.healthy) / l.total)));
  const total = Math.min(100, health.reduce((a, b) => a + b, 0));
  const load = levels.map(() => 0);
  const panic = levels.map(() => false);
  if (total === 0) {
    const first = levels.findIndex((l) => l.ready > 0);
    if (first !== -1) {
      load[first] = 1;
      panic[first] = true;
    }
    return { load, panic };
  }
  let left = 100;
  for (let i = 0; i < levels.length; i++) {
    const take = Math.min(left, (health[i]! * 100) / total);
    load[i] = take / 100;
    left -= take;
    const l = levels[i]!;
    panic[i] = total < 100 && l.total > 0 && (l.healthy * 100) / l.total < panicThresholdPercent;
  }
  return { load, panic };
}
