// Timeouts: the Gateway API's HTTPRoute `timeouts` (GEP-1742) and the mesh-wide defaults weft picks,
// resolved by the control plane into every route entry of a snapshot. Imports nothing the proxy does not
// already load, so the proxy can take its defaults from here.

/** Gateway API Duration (GEP-2257): 1-4 parts of up to 5 digits with h, m, s or ms; "0s" means "no timeout". */
export const GATEWAY_DURATION = /^(?:[0-9]{1,5}(?:h|m|s|ms)){1,4}$/;
const PART = /([0-9]{1,5})(h|ms|m|s)/y;
const UNIT: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/**
 * The longest delay a Node timer takes (2^31 - 1 ms, about 24.8 days); a longer one fires at once. A Gateway
 * API duration may be up to 99999h, so every timer built from config is capped here.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** A Gateway API duration in milliseconds; undefined when malformed. */
export function parseGatewayDuration(text: string): number | undefined {
  if (!GATEWAY_DURATION.test(text)) return undefined;
  let ms = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const m = PART.exec(text);
    if (m === null) return undefined;
    ms += Number(m[1]) * UNIT[m[2]];
  }
  return ms;
}

/** One route entry's timeouts in ms; 0 is "none". */
export interface RouteTimeoutsSnap {
  /** Gateway API timeouts.request: from the request's arrival to the end of the response, all attempts. */
  requestMs: number;
  /** Gateway API timeouts.backendRequest: one attempt, from sending to the endpoint to the end of its response. */
  backendRequestMs: number;
  /** The mesh default for rules with no `timeouts`: sending to the endpoint until its response head arrives. */
  responseHeadersMs: number;
}

/** Mesh-wide traffic settings as a snapshot carries them. */
export interface TrafficSnap {
  connectTimeoutMs: number;
}

/**
 * weft's defaults. A rule without `timeouts` gets a 15 s limit on the wait for the endpoint's response head:
 * a frozen or deadlocked replica answers 504 instead of holding the caller forever, while a response that
 * has started (a download, server-sent events, a long poll that sends headers first) is never cut, the
 * complaint that made Istio turn its default route timeout off. 15 s is Envoy's default route timeout;
 * Linkerd's service profiles used 10 s. Connect: 5 s, Envoy's and Istio's connectTimeout default.
 */
export const DEFAULT_RESPONSE_HEADERS_TIMEOUT_MS = 15_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

export const NO_TIMEOUTS: RouteTimeoutsSnap = { requestMs: 0, backendRequestMs: 0, responseHeadersMs: 0 };

/** Failure classes a retry may be for (HTTPRoute rule retry.retryOn, weft's extension of GEP-1731). */
export const RETRY_ON = ['connect-failure', 'reset', 'gateway-error', '5xx', 'cancelled', 'deadline-exceeded', 'resource-exhausted', 'unavailable'] as const;
export type RetryOn = (typeof RETRY_ON)[number];

/** gRPC status codes (grpc/doc/statuscodes.md) of the retryOn values that name one, as Envoy's retry_on does. */
export const GRPC_RETRY_ON: Partial<Record<RetryOn, number>> = { cancelled: 1, 'deadline-exceeded': 4, 'resource-exhausted': 8, unavailable: 14 };

/** A rule's retry policy as the proxy runs it. */
export interface RetrySnap {
  /** Retries after the first try. */
  attempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  /** Statuses retried (from `codes`, and 502/503/504 for gateway-error, 500-599 for 5xx). */
  codes: number[];
  /** gRPC statuses retried (from retryOn cancelled, deadline-exceeded, resource-exhausted, unavailable), whatever the method. */
  grpcCodes: number[];
  connectFailure: boolean;
  /** The connection failed or was reset before a response head (the request may have reached the app). */
  reset: boolean;
  /** An attempt's backendRequest timeout fired before a response head (gateway-error and 5xx include it). */
  perTryTimeout: boolean;
  nonIdempotent: boolean;
}

/** Per destination Service: how many retries the callers' proxies may add (Linkerd's budget, Envoy's max_retries). */
export interface RetryBudgetSnap {
  /** Retries may add at most this share of the requests of the last 10 s... */
  retryRatio: number;
  /** ...plus this many per second, so a quiet service can still retry. */
  minRetriesPerSecond: number;
  /** Most retries in flight at once to the service from one proxy. */
  maxRetries: number;
}

/**
 * weft's defaults: Linkerd's budget (20 % of the last 10 s plus 10 a second) and a 25 ms backoff base
 * (Envoy's), capped at 10x. Envoy's max_retries default of 3 in flight starves a busy service of retries
 * (Istio raises it to 2^32-1); weft takes 64: a storm is bounded by the ratio, this only bounds a burst.
 */
export const DEFAULT_RETRY_BUDGET: RetryBudgetSnap = { retryRatio: 0.2, minRetriesPerSecond: 10, maxRetries: 64 };
export const DEFAULT_RETRY_BACKOFF_MS = 25;
export const DEFAULT_RETRY_ATTEMPTS = 2;
/** Retries of a connect failure on a rule without `retry` (Istio's default policy retries connect-failure twice). */
export const DEFAULT_CONNECT_RETRIES = 2;
/** Bodies up to this size are held so a retry can send them again; a larger or chunked body is never retried. */
export const RETRY_BODY_LIMIT = 64 * 1024;

/** Resolves a rule's `retry` into what the proxy runs. */
export function resolveRetry(r: { attempts?: number; backoff?: string; maxBackoff?: string; codes?: number[]; retryOn?: readonly RetryOn[]; nonIdempotent?: boolean }): RetrySnap {
  const on = new Set<RetryOn>(r.retryOn ?? (r.codes !== undefined ? ['connect-failure', 'reset'] : ['connect-failure', 'reset', 'gateway-error']));
  const codes = new Set(r.codes ?? []);
  if (on.has('gateway-error')) for (const c of [502, 503, 504]) codes.add(c);
  if (on.has('5xx')) for (let c = 500; c < 600; c++) codes.add(c);
  const backoffMs = r.backoff === undefined ? DEFAULT_RETRY_BACKOFF_MS : parseGatewayDuration(r.backoff) ?? DEFAULT_RETRY_BACKOFF_MS;
  return {
    attempts: r.attempts ?? DEFAULT_RETRY_ATTEMPTS,
    backoffMs,
    maxBackoffMs: r.maxBackoff === undefined ? backoffMs * 10 : parseGatewayDuration(r.maxBackoff) ?? backoffMs * 10,
    codes: [...codes].sort((a, b) => a - b),
    grpcCodes: [...on].map((o) => GRPC_RETRY_ON[o]).filter((c): c is number => c !== undefined).sort((a, b) => a - b),
    connectFailure: on.has('connect-failure') || on.has('5xx') || on.has('gateway-error'),
    reset: on.has('reset') || on.has('5xx'),
    perTryTimeout: on.has('gateway-error') || on.has('5xx'),
    nonIdempotent: r.nonIdempotent ?? false,
  };
}

/** Passive outlier detection of a Service's endpoints (TrafficPolicy outlierDetection). */
export interface OutlierDetectionSnap {
  /** Consecutive 5xx answers (or gateway errors) that eject an endpoint; 0: off. */
  consecutive5xxErrors: number;
  /** Consecutive gateway errors (no answer, 502, 503, 504) that eject an endpoint; 0: off. */
  consecutiveGatewayErrors: number;
  /** Between analysis sweeps: an ejected endpoint comes back at the first sweep after its time is up. */
  intervalMs: number;
  baseEjectionMs: number;
  maxEjectionMs: number;
  maxEjectionPercent: number;
  /** Under this share of endpoints left in, the balancer uses them all (panic). */
  panicThresholdPercent: number;
}

/**
 * weft's defaults when a TrafficPolicy has `outlierDetection`: Istio's and Envoy's (5 consecutive 5xx, 30 s base
 * ejection, 300 s cap, Envoy's 50 % panic threshold), except maxEjectionPercent 50 instead of Istio's 10: with
 * the few replicas of a local mesh, 10 % would still eject only one (Envoy ejects one whatever the share).
 */
export const DEFAULT_OUTLIER: OutlierDetectionSnap = {
  consecutive5xxErrors: 5, consecutiveGatewayErrors: 0, intervalMs: 10_000, baseEjectionMs: 30_000, maxEjectionMs: 300_000, maxEjectionPercent: 50, panicThresholdPercent: 50,
};

export const LB_TYPES = ['EWMA', 'LEAST_REQUEST', 'ROUND_ROBIN', 'RING_HASH', 'MAGLEV'] as const;
export type LbType = (typeof LB_TYPES)[number];

/** What a hashing balancer hashes: one of a header, a cookie (made and set when missing, with a ttl) or the source address. */
export type HashOnSnap = { header: string } | { cookie: { name: string; path: string; ttlSeconds: number } } | { sourceIP: true };

export interface SlowStart {
  windowMs: number;
  /** >1 ramps faster at first, <1 slower (Envoy's aggression); 1 is linear. */
  aggression: number;
  /** The weight a brand-new endpoint starts at, 0..1. */
  minWeight: number;
}

export interface LoadBalancerSnap {
  type: LbType;
  hashOn?: HashOnSnap;
  ringSize?: number;
  tableSize?: number;
  slowStart?: SlowStart;
}

/** Where a workload runs (Workload spec.locality; a Gateway's topology.kubernetes.io/region and zone labels). */
export interface LocalitySnap {
  region: string;
  zone?: string;
}

/** Locality failover of a Service's endpoints (TrafficPolicy localityFailover), as Istio's localityLbSetting failover. */
export interface LocalityFailoverSnap {
  /** From a caller's region, the region to try after its own (before any other). */
  failover: { from: string; to: string }[];
}

/** Active health checks of a Service's endpoints by each calling proxy (TrafficPolicy healthCheck; Envoy's health_check). */
export interface HealthCheckSnap {
  /** GET this path; 200-399 is a pass. */
  path: string;
  intervalMs: number;
  timeoutMs: number;
  /** Failed checks in a row that make an endpoint unhealthy... */
  unhealthyThreshold: number;
  /** ...and passed checks in a row that make it healthy again. */
  healthyThreshold: number;
}

/**
 * weft's defaults for `healthCheck` (Envoy requires each field): a check every 5 s with a 1 s timeout, two
 * failures to go out and one pass to come back, so a blip does not eject an endpoint and a recovery is seen
 * within one interval (Kubernetes probes: period 10 s, timeout 1 s, failureThreshold 3, successThreshold 1).
 */
export const DEFAULT_HEALTH_CHECK: Omit<HealthCheckSnap, 'path'> = { intervalMs: 5000, timeoutMs: 1000, unhealthyThreshold: 2, healthyThreshold: 1 };
