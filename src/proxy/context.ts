// The per-request context every layer reads and writes. One object per request, created by the listener;
// layers fill in what they decided (route, backend, endpoint) for the layers below them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EndpointSnap } from '../api/snapshot.js';

export type HeaderMap = Record<string, string | string[] | undefined>;

/** The result of routing, as the layers below need it. Filled in by the route layer. */
export interface RouteDecision {
  /** "<namespace>/<name>" of the HTTPRoute or "default". */
  name: string;
}

export interface Ctx {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** process.hrtime.bigint() when the request arrived. */
  readonly start: bigint;
  method: string;
  /** Request path without the query. */
  path: string;
  /** Raw query without "?"; '' when there is none. */
  query: string;
  /** host[:port] the request is addressed to (absolute-form target or Host header). */
  authority: string;
  /** "http" or "https": what the client used to reach this hop. */
  scheme: string;
  /** Headers to send upstream: a copy of the request's with hop-by-hop headers removed. */
  headers: HeaderMap;
  /** The verified peer of an inbound mTLS connection (undefined for plaintext). */
  peer?: { spiffeId: string; hash: string };
  route?: RouteDecision;
  /** Name of the chosen backend cluster ("svc.ns:port"). */
  cluster?: string;
  endpoint?: EndpointSnap;
  /** Applied to the upstream response headers before they are sent downstream. */
  onResponseHeaders?: (headers: HeaderMap) => void;
  /** The proxy's own error code when it answered the request itself (set by rescue). */
  error?: string;
  /** hrtime (ns) when the request went upstream and when its response headers came back (set by forward). */
  upstreamStart?: bigint;
  upstreamHeaders?: bigint;
  /** Trace id of the span this hop belongs to (set by the trace layer). */
  traceId?: string;
}
