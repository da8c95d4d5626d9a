// Local rate limiting (RateLimitPolicy): the limits as the control plane resolves them into a proxy's
// snapshot, and the bounds weft picks. Imports nothing the proxy does not already load, so the proxy takes
// its constants from here.
import type { HTTPRouteMatch } from './types.js';

/** What one bucket is kept per: one value of this gives one bucket. */
export const RATE_LIMIT_BY = ['none', 'sourcePrincipal', 'sourceIP', 'path'] as const;
export type RateLimitByName = (typeof RATE_LIMIT_BY)[number];
/** `{ header }`: one bucket per value of that request header (name lower-cased in snapshots). */
export type RateLimitBy = RateLimitByName | { header: string };

/** One limit of one RateLimitPolicy, resolved. */
export interface RateLimitSnap {
  /** "<namespace>/<name>" of the RateLimitPolicy: the metric label, and part of the bucket's identity. */
  policy: string;
  /** The limit's position in the policy's `limits`. */
  index: number;
  /** Tokens added per `perMs` (the sustained rate), added continuously. */
  requests: number;
  perMs: number;
  /** The bucket's size: what a client that has been quiet may send at once. */
  burst: number;
  by: RateLimitBy;
  /** Which requests the limit counts; absent: every request. */
  match?: HTTPRouteMatch;
}

/**
 * Most buckets one limit keeps per proxy (least recently used go first): a client sending a new header value
 * on every request cannot grow a proxy's memory past this. A bucket dropped this way comes back full, which
 * is what a bucket idle for burst/requests x per would be anyway.
 */
export const MAX_BUCKETS_PER_LIMIT = 10_000;

/** Descriptor values longer than this are kept as a digest, so a bucket's key stays small whatever a header holds. */
export const MAX_DESCRIPTOR_CHARS = 128;

/** Identity of a limit's buckets across snapshots: the same policy, position and settings keep their buckets. */
export function rateLimitKey(l: RateLimitSnap): string {
  return JSON.stringify([l.policy, l.index, l.requests, l.perMs, l.burst, l.by, l.match ?? null]);
}
