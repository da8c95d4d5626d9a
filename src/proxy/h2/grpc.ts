// What the proxy needs to know of gRPC (grpc/doc/PROTOCOL-HTTP2.md): which requests are gRPC calls, how a
// call's deadline travels (grpc-timeout), and how an answer the proxy makes itself is said in gRPC terms
// (a "trailers-only" response: HTTP 200 with grpc-status and grpc-message in the one header block).

/** gRPC status codes (grpc/doc/statuscodes.md). */
export const GRPC = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, DATA_LOSS: 15, UNAUTHENTICATED: 16,
} as const;

/** content-type application/grpc, application/grpc+proto, application/grpc-web... marks a gRPC call. */
export function isGrpcContentType(ct: string | string[] | undefined): boolean {
  return typeof ct === 'string' && ct.length >= 16 && ct.slice(0, 16).toLowerCase() === 'application/grpc';
}

/**
 * The gRPC status for an HTTP status the proxy answers with (grpc/doc/http-grpc-status-mapping.md), except
 * that weft's own timeout (504 upstream-timeout) is DEADLINE_EXCEEDED and its overload answers
 * (overflow, rate-limited) RESOURCE_EXHAUSTED / UNAVAILABLE as Envoy reports them.
 */
export function grpcStatusFor(httpStatus: number, weftError: string | undefined): number {
  if (weftError === 'upstream-timeout') return GRPC.DEADLINE_EXCEEDED;
  if (weftError === 'rate-limited') return GRPC.RESOURCE_EXHAUSTED;
  switch (httpStatus) {
    case 400: return GRPC.INTERNAL;
    case 401: return GRPC.UNAUTHENTICATED;
    case 403: return GRPC.PERMISSION_DENIED;
    case 404: return GRPC.UNIMPLEMENTED;
    case 429: case 502: case 503: case 504: return GRPC.UNAVAILABLE;
    default: return GRPC.UNKNOWN;
  }
}

/**
 * The HTTP status that says what a gRPC status says, for a non-gRPC request answered with a gRPC status (an
 * injected abort): google.rpc.Code's mapping, as Envoy uses it. OK is 200; an unknown code 500.
 */
export function httpStatusForGrpc(code: number): number {
  switch (code) {
    case GRPC.OK: return 200;
    case GRPC.CANCELLED: return 499;
    case GRPC.INVALID_ARGUMENT: case GRPC.FAILED_PRECONDITION: case GRPC.OUT_OF_RANGE: return 400;
    case GRPC.DEADLINE_EXCEEDED: return 504;
    case GRPC.NOT_FOUND: return 404;
    case GRPC.ALREADY_EXISTS: case GRPC.ABORTED: return 409;
    case GRPC.PERMISSION_DENIED: return 403;
    case GRPC.RESOURCE_EXHAUSTED: return 429;
    case GRPC.UNIMPLEMENTED: return 501;
    case GRPC.UNAVAILABLE: return 503;
    case GRPC.UNAUTHENTICATED: return 401;
    default: return 500;
  }
}

/** grpc-timeout: 1-8 digits and a unit (H M S m u n); milliseconds, or undefined when absent or malformed. */
export function parseGrpcTimeout(v: string | string[] | undefined): number | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(v);
  if (m === null) return undefined;
  const n = Number(m[1]);
  switch (m[2]) {
    case 'H': return n * 3_600_000;
    case 'M': return n * 60_000;
    case 'S': return n * 1000;
    case 'm': return n;
    case 'u': return Math.ceil(n / 1000);
    default: return Math.ceil(n / 1_000_000);
  }
}

/** grpc-message is percent-encoded: bytes outside 0x20-0x7e, and '%' itself. */
export function encodeGrpcMessage(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += b >= 0x20 && b <= 0x7e && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}
