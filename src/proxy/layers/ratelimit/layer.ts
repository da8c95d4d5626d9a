// Local rate limiting (RateLimitPolicy, Envoy's local_ratelimit filter): every limit that counts a request
// must have a token for it, or the request is refused with 429 `rate-limited` (flag RL) and a retry-after
// saying when a token will be there. Tokens are taken only when every limit has one, so a request refused
// by one limit costs the others nothing. In the inbound stack after authz (the source principal is the
// verified peer); in the outbound stack after the route is chosen (the route's limits).
import type { Layer } from '../../stack/index.js';
import type { Ctx } from '../../context.js';
import { ProxyError } from '../../errors.js';
import { GRPC, isGrpcContentType } from '../../h2/grpc.js';
import type { Bucket, Limiter, Limiters } from './limiter.js';
import { CompiledRoute } from '../route/compile.js';
import type { RouteEntry, Snapshot } from '../../../api/snapshot.js';
import type { RateLimitSnap } from '../../../api/ratelimit.js';

export interface RateLimitParams {
  /** The limits for this request: the workload's (inbound), or its route's (outbound); undefined: none. */
  limitersOf(ctx: Ctx): readonly Limiter[] | undefined;
  /** Counts each refused request by the policy whose limit refused it (weft_rate_limited_total). */
  limited?: (policy: string) => void;
  /** Monotonic milliseconds (tests pass their own clock). */
  now?: () => number;
}

export function rateLimit(p: RateLimitParams): Layer<Ctx> {
  const now = p.now ?? (() => performance.now());
  // The buckets of the request being decided: filled and read within one synchronous call, so one array serves all.
  const held: Bucket[] = [];
  return (inner) => (ctx) => {
    const ls = p.limitersOf(ctx);
    if (ls === undefined) return inner(ctx);
    const t = now();
    let n = 0;
    let refused: Limiter | undefined;
    let waitMs = 0;
    for (let i = 0; i < ls.length; i++) {
      const l = ls[i]!;
      if (!l.counts(ctx)) continue;
      const b = l.bucketFor(ctx, t);
      if (b.tokens < 1) {
        refused ??= l;
        waitMs = Math.max(waitMs, l.waitMs(b));
      }
      held[n++] = b;
    }
    if (refused !== undefined) {
      p.limited?.(refused.policy);
      if (ctx.conn.protocol === 2 && isGrpcContentType(ctx.reqHeaders['content-type'])) ctx.grpcStatus = GRPC.RESOURCE_EXHAUSTED;
      // Whole seconds (RFC 9110 10.2.3), rounded up so a client that waits that long finds a token.
      const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
      return Promise.reject(new ProxyError('rate-limited', `RateLimitPolicy ${refused.policy} limits[${refused.index}]: no token (next in ${Math.ceil(waitMs)} ms)`, {
        headers: { 'retry-after': String(retryAfter) },
      }));
    }
    for (let i = 0; i < n; i++) held[i]!.tokens -= 1;
    return inner(ctx);
  };
}

/** What one snapshot's limits give the stacks: the inbound side's limiters, and each route entry's. */
export interface SnapshotLimits {
  /** The workload's own limits (inbound stack); undefined when it has none, so the layer is left out. */
  inbound?: readonly Limiter[];
  /** Limiters by route entry (outbound and gateway stacks); undefined when no route has limits. */
  routes?: ReadonlyMap<RouteEntry, readonly Limiter[]>;
  /** Keys of every limit in the snapshot: Limiters.retain keeps their buckets. */
  keys: Set<string>;
}

/** Takes each limit of `snap` from `limiters` (the same limit keeps its limiter and buckets across snapshots). */
export function snapshotLimits(snap: Snapshot, limiters: Limiters): SnapshotLimits {
  const keys = new Set<string>();
  const take = (list: readonly RateLimitSnap[]): Limiter[] => list.map((s) => {
    const l = limiters.get(s);
    keys.add(l.key);
    return l;
  });
  const inbound = snap.rateLimits !== undefined && snap.rateLimits.length > 0 ? take(snap.rateLimits) : undefined;
  const routes = new Map<RouteEntry, readonly Limiter[]>();
  const entries = [...snap.services.flatMap((s) => s.ports.flatMap((p) => p.routes)), ...snap.listeners.flatMap((l) => l.virtualHosts.flatMap((v) => v.routes))];
  for (const e of entries) if (e.rateLimits !== undefined && e.rateLimits.length > 0) routes.set(e, take(e.rateLimits));
  return { ...(inbound !== undefined ? { inbound } : {}), ...(routes.size > 0 ? { routes } : {}), keys };
}

/** The route's limiters, for the outbound layer: the route layer above made ctx.route the compiled entry. */
export function routeLimiters(routes: ReadonlyMap<RouteEntry, readonly Limiter[]>): (ctx: Ctx) => readonly Limiter[] | undefined {
  return (ctx) => {
    const r = ctx.route;
    return r instanceof CompiledRoute ? routes.get(r.entry) : undefined;
  };
}
