// Every error the proxy itself generates, with its status and the `x-weft-error` value. One table, shared by
// the rescue layer, the docs (docs/errors.md) and the response flags of access logs and metrics.

export const ERRORS = {
  'bad-request': { status: 400, flag: 'DPE', text: 'the request could not be parsed or is not allowed' },
  'request-timeout': { status: 408, flag: 'DPE', text: 'the request head did not arrive in time' },
  'no-route': { status: 404, flag: 'NR', text: 'no service or route matches the request' },
  'backend-not-found': { status: 500, flag: 'NR', text: 'the matched route names a backend that does not exist, or all its backend weights are 0' },
  'registry-only': { status: 502, flag: 'NR', text: 'the destination is not a mesh service and the mesh allows only registered destinations (REGISTRY_ONLY)' },
  'rbac-denied': { status: 403, flag: 'RBAC', text: 'denied by authorization policy' },
  'no-healthy-endpoint': { status: 503, flag: 'UH', text: 'the backend has no ready endpoint' },
  'connect-failure': { status: 503, flag: 'UF', text: 'connecting to the endpoint failed' },
  'upstream-reset': { status: 502, flag: 'UR', text: 'the endpoint closed or reset the connection before a full response' },
  'upstream-timeout': { status: 504, flag: 'UT', text: 'the endpoint did not answer in time' },
  'proxy-not-ready': { status: 503, flag: 'NC', text: 'the proxy has not received its configuration yet' },
  'internal': { status: 500, flag: 'DPE', text: 'an unexpected error inside the proxy' },
  // URX is set by retries (ctx.retriesExhausted, on the last attempt's own status); the others are reserved
  // for circuit breaking, rate limiting and fault injection, so their codes and flags are fixed. docs/errors.md.
  'overflow': { status: 503, flag: 'UO', text: 'the backend is at its connection or request limit (circuit breaker open)' },
  'retry-limit': { status: 503, flag: 'URX', text: 'the request failed and the retry limit or retry budget is exhausted' },
  'rate-limited': { status: 429, flag: 'RL', text: 'the request exceeds a rate limit' },
  // The fault layer answers with the status its fault names; 503 only stands in when it names none.
  'fault-abort': { status: 503, flag: 'FI', text: 'aborted by fault injection' },
  // Gateway API: an ExtensionRef filter that cannot be resolved must not be skipped; its requests get 500.
  'filter-not-found': { status: 500, flag: 'NR', text: 'the matched rule names an ExtensionRef filter (a FaultInjection) that does not exist' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

/** The circuit-breaker limits, as weft_overflow_total's `limit` label says them. */
export type OverflowLimit = 'max_requests' | 'max_pending_requests' | 'max_connections';

/** An error the proxy answers itself; `detail` names the thing that failed (endpoint, route, service). */
export class ProxyError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Safe to show the caller (e.g. the name of the denying policy); most errors show only the code's text. */
  readonly publicDetail?: string;
  /** overflow only: which circuit-breaker limit refused the request (the weft_overflow_total label). */
  readonly limit?: OverflowLimit;
  /** The gRPC status a gRPC caller gets instead of the one mapped from `status` (an injected gRPC abort). */
  readonly grpcStatus?: number;
  /** `status`: the answer's status when the code's own does not fit (an injected abort answers the status its fault names). */
  /** Response headers the answer carries besides x-weft-error (e.g. retry-after on rate-limited). */
  readonly headers?: Readonly<Record<string, string>>;
  constructor(code: ErrorCode, detail: string, options?: { cause?: unknown; public?: string; status?: number; grpcStatus?: number; limit?: OverflowLimit; headers?: Record<string, string> }) {
    super(`${code}: ${detail}`, options);
    this.code = code;
    this.status = options?.status ?? ERRORS[code].status;
    this.publicDetail = options?.public;
    if (options?.limit !== undefined) this.limit = options.limit;
    if (options?.grpcStatus !== undefined) this.grpcStatus = options.grpcStatus;
    if (options?.headers !== undefined) this.headers = options.headers;
  }
}

/** Maps a socket/undici error from talking to an endpoint to the proxy's own code. */
export function classifyUpstreamError(err: unknown, endpoint: string, headersSent: boolean): ProxyError {
  const e = err as { code?: string; message?: string };
  const code = e?.code ?? '';
  const msg = `endpoint ${endpoint}: ${code || e?.message || String(err)}`;
  if (!headersSent && (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'WEFT_CONNECT_TIMEOUT')) {
    return new ProxyError('connect-failure', msg, { cause: err });
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return new ProxyError('upstream-timeout', msg, { cause: err });
  if (code === 'WEFT_OVERFLOW') return new ProxyError('overflow', `endpoint ${endpoint}: ${e.message}`, { cause: err, limit: (err as { limit?: OverflowLimit }).limit });
  return new ProxyError('upstream-reset', msg, { cause: err });
}

/** A response the forwarder held back because the retry layer claimed it (its status is retryable): never shown to a client. */
export class RetryableResponse extends Error {
  constructor(readonly status: number) {
    super(`retryable response ${status}`);
  }
}
