// Retries (HTTPRoute rule `retry`, GEP-1731 with weft's extensions). Sits between split (which picked the
// backend cluster) and balance, so every attempt picks an endpoint afresh. A failed attempt is retried only
// while nothing has reached the client, the request can be sent again, and the destination's retry budget
// allows it. Backoff: exponential with full jitter.
import type { Layer } from '../../stack/index.js';
import type { Ctx } from '../../context.js';
import { ProxyError, RetryableResponse } from '../../errors.js';
import { DEFAULT_CONNECT_RETRIES, DEFAULT_RETRY_BACKOFF_MS, MAX_TIMER_MS, RETRY_BODY_LIMIT, type RetryBudgetSnap, type RetrySnap } from '../../../api/traffic.js';
import type { RetryBudget, RetryBudgets } from './budget.js';
import type { BodySink } from '../../context.js';

/** RFC 9110 section 9.2.2: methods a client may repeat. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);


export interface RetryParams {
  budgets: RetryBudgets;
  /** The budget settings of a destination cluster (from its ClusterSnap). */
  budgetOf: (cluster: string) => RetryBudgetSnap | undefined;
  /** Counts retries for metrics: attempted, budget_exhausted, success (a retried request that ended < 500). */
  count?: (cluster: string, outcome: 'attempted' | 'budget_exhausted' | 'success') => void;
  /** Injectable for tests. */
  random?: () => number;
}

export function retry(p: RetryParams): Layer<Ctx> {
  const random = p.random ?? Math.random;
  return (inner) => (ctx) => {
    const r = ctx.route?.retry;
    if (r === undefined) return inner(ctx).catch((e: unknown) => reconnect(inner, ctx, e, p, random));
    if (r.attempts === 0) return inner(ctx);
    return run(inner, ctx, r, p, random);
  };
}

/**
 * A rule without `retry` still retries a connect failure, up to DEFAULT_CONNECT_RETRIES times, within the
 * destination's retry budget: the request never left, so any method is safe, and a replica that stopped
 * between a config push and the request (a rollout, a crash) must not cost a client its request. Istio's
 * default retry policy does the same. Nothing of the request's body was read when a connect fails, so the
 * next attempt sends it as the first would have.
 */
async function reconnect(inner: (ctx: Ctx) => Promise<void>, ctx: Ctx, first: unknown, p: RetryParams, random: () => number): Promise<void> {
  let failure = first;
  for (let n = 1; ; n++) {
    const cluster = ctx.cluster;
    const params = cluster === undefined ? undefined : p.budgetOf(cluster);
    if (!(failure instanceof ProxyError) || failure.code !== 'connect-failure' || ctx.res.headersSent || ctx.conn.destroyed
      || n > DEFAULT_CONNECT_RETRIES || params === undefined) {
      if (n > 1) ctx.retriesExhausted = true;
      throw failure;
    }
    const budget = p.budgets.get(cluster!, params);
    if (!take(budget, cluster!, p)) {
      ctx.retriesExhausted = true;
      throw failure;
    }
    try {
      const wait = Math.floor(random() * DEFAULT_RETRY_BACKOFF_MS * 2 ** (n - 1));
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
      if (ctx.conn.destroyed) throw new ProxyError('upstream-reset', 'the client went away before a retry');
      ctx.endpoint = undefined;
      ctx.upstreamStart = undefined;
      ctx.upstreamHeaders = undefined;
      await inner(ctx);
      if (ctx.res.statusCode < 500) p.count?.(cluster!, 'success');
      return;
    } catch (e) {
      failure = e;
    } finally {
      budget.done();
    }
  }
}

async function run(inner: (ctx: Ctx) => Promise<void>, ctx: Ctx, r: RetrySnap, p: RetryParams, random: () => number): Promise<void> {
  const conn = ctx.conn;
  if (conn.hasBody) {
    // Only a body held whole can be sent twice; a chunked or larger one streams, and is never retried.
    const len = conn.bodyLength;
    if (len < 0 || len > RETRY_BODY_LIMIT) return inner(ctx);
    ctx.replayBody = await readBody(ctx);
  }
  const cluster = ctx.cluster!;
  const params = p.budgetOf(cluster);
  if (params === undefined) return inner(ctx);
  const budget = p.budgets.get(cluster, params);
  budget.request();
  const mayRepeat = IDEMPOTENT.has(ctx.method) || r.nonIdempotent;
  let retried = 0;
  let inRetry = false;
  // Called by the exchange with a response's status before anything is relayed: true holds it back.
  // A retryable status that goes out because attempts or budget ran out is flagged URX (observe).
  const hook = (status: number, grpcStatus?: number): boolean => {
    // A gRPC status listed in retryOn says the call may be repeated, whatever the method (gRPC calls are POSTs).
    const listed = grpcStatus !== undefined ? r.grpcCodes.includes(grpcStatus) : mayRepeat && r.codes.includes(status);
    if (!listed) return false;
    if (retried < r.attempts && take(budget, cluster, p)) return true;
    ctx.retriesExhausted = true;
    return false;
  };
  try {
    for (;;) {
      ctx.retryStatus = hook;
      let failure: unknown;
      try {
        await inner(ctx);
        if (retried > 0 && ctx.res.statusCode < 500) p.count?.(cluster, 'success');
        return;
      } catch (e) {
        failure = e;
      }
      if (inRetry) {
        budget.done();
        inRetry = false;
      }
      // The hook already took the budget for a held-back response; an error still has to earn its retry.
      const held = failure instanceof RetryableResponse;
      if (!held) {
        if (retried >= r.attempts || ctx.res.headersSent || !retryable(failure, r, mayRepeat, ctx)) {
          if (retried > 0) ctx.retriesExhausted = true;
          throw failure;
        }
        if (!take(budget, cluster, p)) {
          ctx.retriesExhausted = true;
          throw failure;
        }
      }
      inRetry = true;
      retried++;
      // Full jitter (a uniform wait up to the exponential step) keeps retrying callers from moving in step.
      const cap = Math.min(r.maxBackoffMs, r.backoffMs * 2 ** (retried - 1));
      const wait = Math.floor(random() * Math.min(cap, MAX_TIMER_MS));
      const left = requestTimeLeft(ctx);
      if (left !== undefined && left <= wait) {
        ctx.retriesExhausted = true;
        throw new ProxyError('upstream-timeout', `route timeout reached after ${retried} attempt${retried === 1 ? '' : 's'}`);
      }
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
      if (conn.destroyed) throw new ProxyError('upstream-reset', 'the client went away before a retry');
      ctx.endpoint = undefined;
      ctx.upstreamStart = undefined;
      ctx.upstreamHeaders = undefined;
    }
  } finally {
    ctx.retryStatus = undefined;
    if (inRetry) budget.done();
  }
}

function take(budget: RetryBudget, cluster: string, p: RetryParams): boolean {
  if (budget.tryRetry()) {
    p.count?.(cluster, 'attempted');
    return true;
  }
  p.count?.(cluster, 'budget_exhausted');
  return false;
}

/** Whether a failed attempt may be tried again (nothing reached the client: checked by the caller). */
function retryable(e: unknown, r: RetrySnap, mayRepeat: boolean, ctx: Ctx): boolean {
  if (!(e instanceof ProxyError)) return false;
  switch (e.code) {
    // The request never reached the app: safe for any method.
    case 'connect-failure':
      return r.connectFailure;
    case 'upstream-reset':
      return r.reset && mayRepeat;
    case 'upstream-timeout': {
      // A per-try (backendRequest) timeout, while the whole request still has time.
      const left = requestTimeLeft(ctx);
      return r.perTryTimeout && mayRepeat && (left === undefined || left > 0);
    }
    default:
      return false;
  }
}

/** ms left of the rule's timeouts.request, or undefined when it has none. */
function requestTimeLeft(ctx: Ctx): number | undefined {
  const t = ctx.timeouts;
  if (t === undefined || t.requestMs === 0) return undefined;
  return t.requestMs - Number((process.hrtime.bigint() - ctx.start) / 1_000_000n);
}

/** Reads a Content-Length body of at most RETRY_BODY_LIMIT bytes whole. */
function readBody(ctx: Ctx): Promise<Buffer> {
  const conn = ctx.conn;
  return new Promise((resolve, reject) => {
    ctx.res.onClose(() => reject(new ProxyError('upstream-reset', 'the client went away while sending the body')));
    const parts: Buffer[] = [];
    const sink: BodySink = {
      write(chunk) {
        parts.push(Buffer.from(chunk));
        return true;
      },
      end() {
        resolve(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
      },
    };
    conn.attachBody(sink);
  });
}
