// Token buckets for one RateLimitPolicy limit (Envoy's local_ratelimit token_bucket: max_tokens = burst,
// tokens_per_fill / fill_interval = requests / per). Tokens come back continuously rather than in steps
// of a fill interval, so no interval edge lets a double burst through and the wait for the next token is
// exact. A bucket is two numbers refilled lazily when a request looks at it: no timers, nothing per idle
// bucket. A limit with a descriptor (`by`) keeps one bucket per value, at most `maxBuckets`, least
// recently used dropped first.
import { createHash } from 'node:crypto';
import type { Ctx } from '../../context.js';
import { MAX_BUCKETS_PER_LIMIT, MAX_DESCRIPTOR_CHARS, rateLimitKey, type RateLimitSnap } from '../../../api/ratelimit.js';
import { CompiledRoute } from '../route/compile.js';
import { matchRoute } from '../route/match.js';

export interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms, the limiter's clock). */
  at: number;
}

export class Limiter {
  /** Same key, same buckets: a snapshot that keeps this limit as it was keeps this limiter. */
  readonly key: string;
  readonly policy: string;
  readonly index: number;
  private readonly msPerToken: number;
  private readonly burst: number;
  private readonly by: RateLimitSnap['by'];
  /** The limit's match as a one-entry route table (the route matcher's semantics exactly); null: every request. */
  private readonly match: CompiledRoute[] | null;
  /** by: none. */
  private one: Bucket | undefined;
  private readonly buckets = new Map<string, Bucket>();

  constructor(snap: RateLimitSnap, private readonly maxBuckets = MAX_BUCKETS_PER_LIMIT) {
    this.key = rateLimitKey(snap);
    this.policy = snap.policy;
    this.index = snap.index;
    this.msPerToken = snap.perMs / snap.requests;
    this.burst = snap.burst;
    this.by = snap.by;
    this.match = snap.match === undefined ? null : [new CompiledRoute({
      route: snap.policy, rule: snap.index, order: { created: '', match: 0 }, match: snap.match, filters: [], backends: [],
    })];
  }

  /** Whether this limit counts the request at all. */
  counts(ctx: Ctx): boolean {
    return this.match === null || matchRoute(this.match, ctx.method, ctx.path, ctx.query, ctx.reqHeaders) !== undefined;
  }

  /** The request's bucket, brought up to `now`; a new one starts full. */
  bucketFor(ctx: Ctx, now: number): Bucket {
    if (this.by === 'none') return this.refill(this.one ??= { tokens: this.burst, at: now }, now);
    const v = descriptor(this.by, ctx);
    let b = this.buckets.get(v);
    if (b === undefined) {
      if (this.buckets.size >= this.maxBuckets) this.buckets.delete(this.buckets.keys().next().value!);
      b = { tokens: this.burst, at: now };
    } else {
      // Most recently used last: the Map's order is the eviction order.
      this.buckets.delete(v);
      this.refill(b, now);
    }
    this.buckets.set(v, b);
    return b;
  }

  /** Milliseconds until `b` (up to date) holds a whole token again. */
  waitMs(b: Bucket): number {
    return b.tokens >= 1 ? 0 : (1 - b.tokens) * this.msPerToken;
  }

  /** Buckets held (descriptor limits; 0 or 1 for `by: none`). */
  get size(): number {
    return this.by === 'none' ? (this.one === undefined ? 0 : 1) : this.buckets.size;
  }

  private refill(b: Bucket, now: number): Bucket {
    const dt = now - b.at;
    if (dt > 0) {
      b.tokens = Math.min(this.burst, b.tokens + dt / this.msPerToken);
      b.at = now;
    }
    return b;
  }
}

/** The value that picks a request's bucket; requests without one (no principal, no header) share the '' bucket. */
function descriptor(by: Exclude<RateLimitSnap['by'], 'none'>, ctx: Ctx): string {
  let v: string;
  if (by === 'sourcePrincipal') v = ctx.peer?.spiffeId ?? '';
  else if (by === 'sourceIP') v = ctx.conn.remoteAddress;
  else if (by === 'path') v = ctx.path;
  else {
    const h = ctx.reqHeaders[by.header];
    v = h === undefined ? '' : typeof h === 'string' ? h : h.join(',');
  }
  // Keys stay small whatever a client sends: 10k buckets of 8 KiB header values would be 80 MB.
  return v.length <= MAX_DESCRIPTOR_CHARS ? v : `\0${createHash('sha256').update(v).digest('base64')}`;
}

/**
 * Every limiter the proxy holds, by key: a new snapshot takes the limiters of the limits it keeps (with their
 * buckets) and new ones for new limits; retain() drops the rest. Owned by the proxy, outlives snapshots.
 */
export class Limiters {
  private readonly byKey = new Map<string, Limiter>();

  constructor(private readonly maxBuckets = MAX_BUCKETS_PER_LIMIT) {}

  get(snap: RateLimitSnap): Limiter {
    const key = rateLimitKey(snap);
    let l = this.byKey.get(key);
    if (l === undefined) this.byKey.set(key, (l = new Limiter(snap, this.maxBuckets)));
    return l;
  }

  /** Drops every limiter whose key is not in `keep`. */
  retain(keep: ReadonlySet<string>): void {
    for (const k of this.byKey.keys()) if (!keep.has(k)) this.byKey.delete(k);
  }

  get size(): number {
    return this.byKey.size;
  }
}
