// Fault injection (a FaultInjection attached to a route rule as an ExtensionRef filter; Istio's
// HTTPFaultInjection, Envoy's fault filter). Runs in the proxy that runs the route, after the rule and its
// backend are chosen and before mirroring, retries and balancing: an injected abort never reaches the retry
// layer (nothing to retry: the backend was not called) nor an endpoint's outlier record (not its fault).
// Per request, independently: a `delay.percentage` share is held `fixedDelay`, then an `abort.percentage`
// share is answered with the abort's status. The layer is in the stack only when some rule has a fault.
import type { Layer, Service } from '../../stack/index.js';
import type { Ctx } from '../../context.js';
import type { CompiledHeaderMatch } from '../route/compile.js';
import type { Snapshot } from '../../../api/snapshot.js';
import { ProxyError } from '../../errors.js';
import { headersMatch } from '../route/match.js';
import { grpcStatusFor, httpStatusForGrpc, isGrpcContentType, parseGrpcTimeout } from '../../h2/grpc.js';
import { MAX_TIMER_MS } from '../../../api/traffic.js';

/** A rule's FaultSnap as the layer reads it, made once per route entry (src/proxy/layers/route/compile.ts). */
export interface CompiledFault {
  /** "<namespace>/<name>" of the FaultInjection. */
  readonly ref: string;
  /** The FaultInjection does not exist: 500 filter-not-found. */
  readonly missing: boolean;
  /** Only requests these accept are faulted (empty: all). */
  readonly headers: readonly CompiledHeaderMatch[];
  /** 0: no delay. */
  readonly delayMs: number;
  readonly delayPercent: number;
  /** 0: no abort. */
  readonly abortPercent: number;
  /** Exactly one is set when abortPercent > 0. */
  readonly httpStatus: number | undefined;
  readonly grpcStatus: number | undefined;
}

export interface FaultParams {
  /** Injectable for tests: each draw is random() * 100 < percentage. */
  random?: () => number;
}

/** Whether any route of a snapshot has a fault: only then is the layer in the stack. */
export function snapshotHasFault(snap: Snapshot): boolean {
  for (const s of snap.services) for (const p of s.ports) for (const r of p.routes) if (r.fault !== undefined) return true;
  for (const l of snap.listeners) for (const v of l.virtualHosts) for (const r of v.routes) if (r.fault !== undefined) return true;
  return false;
}

export function fault(p: FaultParams = {}): Layer<Ctx> {
  const random = p.random ?? Math.random;
  return (inner) => (ctx) => {
    const f = ctx.route?.fault;
    if (f === undefined || f === null) return inner(ctx);
    if (f.missing) return Promise.reject(new ProxyError('filter-not-found', `route ${ctx.route!.name}: FaultInjection ${f.ref} does not exist`));
    if (f.headers.length > 0 && !headersMatch(f.headers, ctx.reqHeaders)) return inner(ctx);
    if (f.delayMs > 0 && draw(random, f.delayPercent)) {
      ctx.faultDelayed = true;
      return hold(ctx, f).then((go) => (go ? abortOr(inner, ctx, f, random) : undefined));
    }
    return abortOr(inner, ctx, f, random);
  };
}

function draw(random: () => number, percent: number): boolean {
  return percent >= 100 || (percent > 0 && random() * 100 < percent);
}

function abortOr(inner: Service<Ctx>, ctx: Ctx, f: CompiledFault, random: () => number): Promise<void> {
  if (!draw(random, f.abortPercent)) return inner(ctx);
  const detail = `route ${ctx.route!.name}: FaultInjection ${f.ref}`;
  if (isGrpcContentType(ctx.reqHeaders['content-type'])) {
    // A gRPC caller gets its status in a trailers-only answer; the record keeps the HTTP status meant.
    const code = f.grpcStatus ?? grpcStatusFor(f.httpStatus!, 'fault-abort');
    ctx.grpcStatus = code;
    return Promise.reject(new ProxyError('fault-abort', detail, { status: f.httpStatus ?? httpStatusForGrpc(code), grpcStatus: code }));
  }
  return Promise.reject(new ProxyError('fault-abort', detail, { status: f.httpStatus ?? httpStatusForGrpc(f.grpcStatus!) }));
}

/**
 * Holds the request for the fault's delay. Resolves true to go on, false when the client went away meanwhile
 * (nothing is sent: the record says DC). The delay counts toward the rule's timeouts.request and a gRPC
 * caller's grpc-timeout, both counted from the request's arrival: a delay as long as what is left ends at
 * that limit in 504 upstream-timeout (DEADLINE_EXCEEDED for gRPC), as Envoy's route timeout would.
 */
function hold(ctx: Ctx, f: CompiledFault): Promise<boolean> {
  const left = timeLeftMs(ctx);
  const timesOut = left !== undefined && left <= f.delayMs;
  const ms = timesOut ? Math.max(0, left) : f.delayMs;
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      if (ctx.conn.destroyed) resolve(false);
      else if (timesOut) reject(new ProxyError('upstream-timeout', `route ${ctx.route!.name}: the fault's ${f.delayMs} ms delay (FaultInjection ${f.ref}) outlasts the ${Math.max(0, left)} ms the request had left`));
      else resolve(true);
    }, Math.min(ms, MAX_TIMER_MS));
    ctx.res.onClose(() => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(false);
    });
  });
}

/** ms left of the rule's timeouts.request and of a gRPC caller's grpc-timeout, the shorter; undefined: no limit. */
function timeLeftMs(ctx: Ctx): number | undefined {
  const elapsed = Number((process.hrtime.bigint() - ctx.start) / 1_000_000n);
  const t = ctx.timeouts;
  let left = t !== undefined && t.requestMs > 0 ? t.requestMs - elapsed : undefined;
  if (isGrpcContentType(ctx.reqHeaders['content-type'])) {
    const g = parseGrpcTimeout(ctx.reqHeaders['grpc-timeout']);
    if (g !== undefined && (left === undefined || g - elapsed < left)) left = g - elapsed;
  }
  return left;
}
