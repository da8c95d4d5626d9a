// Circuit breaking (TrafficPolicy `circuitBreaker`, Envoy's circuit_breakers / Istio's connectionPool): a
// cluster's requests in flight from this proxy are bounded, and a request over the bound fails at once
// with 503 `overflow` (flag UO) instead of queueing behind a backend that is already struggling. Each
// attempt counts (it sits below the retry layer), as each is a request the backend must serve.
import type { Layer } from '../../stack/index.js';
import type { Ctx } from '../../context.js';
import { ProxyError, type OverflowLimit } from '../../errors.js';

export interface CircuitParams {
  /** The cluster's maxRequests, or undefined for no limit. */
  limitOf(cluster: string): number | undefined;
  /** Requests in flight per cluster; outlives snapshots (owned by the proxy). */
  active: Map<string, number>;
  /** Counts each overflow (weft_overflow_total), this layer's own and the connection pool's (maxPendingRequests). */
  overflow?: (cluster: string, limit: OverflowLimit) => void;
}

export function circuit(p: CircuitParams): Layer<Ctx> {
  return (inner) => (ctx) => {
    const c = ctx.cluster;
    const max = c === undefined ? undefined : p.limitOf(c);
    if (max === undefined) return inner(ctx).catch((e: unknown) => counted(p, c, e));
    const n = p.active.get(c!) ?? 0;
    if (n >= max) {
      p.overflow?.(c!, 'max_requests');
      return Promise.reject(new ProxyError('overflow', `${c}: ${n} requests in flight, at its circuitBreaker.maxRequests (${max})`));
    }
    p.active.set(c!, n + 1);
    const done = (): void => {
      const left = (p.active.get(c!) ?? 1) - 1;
      if (left <= 0) p.active.delete(c!);
      else p.active.set(c!, left);
    };
    return inner(ctx).then(done, (e: unknown) => {
      done();
      return counted(p, c, e);
    });
  };
}

/** An overflow raised below (the endpoint's connection pool) is counted here, where the cluster is known. */
function counted(p: CircuitParams, cluster: string | undefined, e: unknown): never {
  if (e instanceof ProxyError && e.code === 'overflow' && e.limit !== undefined && cluster !== undefined) p.overflow?.(cluster, e.limit);
  throw e;
}
