// The per-request context every layer reads and writes. One object per request, created by the engine
// (src/proxy/engine/request.ts); layers fill in what they decided (route, backend, endpoint) for the
// layers below them.
import type { UpstreamPool } from './engine/client.js';
import type { EndpointLoad } from './balance/load.js';
import type { RetrySnap, RouteTimeoutsSnap } from '../api/traffic.js';
import type { EndpointSnap } from '../api/snapshot.js';
import type { PeerIdentity } from './tls/verify.js';
import type { CompiledFault } from './layers/fault/layer.js';

export type HeaderMap = Record<string, string | string[] | undefined>;

/** The result of routing, as the layers below need it. Filled in by the route layer. */
export interface RouteDecision {
  /** "<namespace>/<name>" of the HTTPRoute or GRPCRoute, or "default". */
  name: string;
  /** The matched rule's retry policy, if it has one. */
  readonly retry?: RetrySnap;
  /** The matched rule's RequestMirror targets, if any. */
  readonly mirrors?: readonly { cluster: string | null; percent: number }[];
  /** The matched rule's fault injection (null: none). */
  readonly fault?: CompiledFault | null;
}

/** The response as layers see it: the connection the request came on (one response in flight at a time). */
export interface Responder {
  /** 0 until a head is written. */
  readonly statusCode: number;
  readonly headersSent: boolean;
  /** The whole response went out. */
  readonly writableFinished: boolean;
  /** A response the proxy makes itself: head now, then end() with the body. */
  writeHead(status: number, headers: HeaderMap): void;
  end(body?: string | Buffer): void;
  /** Cuts the connection: the only signal left once part of a response is out. */
  destroy(err?: Error): void;
  /** Called once, when the response is complete or the client went away before it was. */
  onClose(fn: () => void): void;
}

/** Where a request body goes: the upstream exchange that forwards it (or a layer that reads it whole). */
export interface BodySink {
  /** Returns false when the sink is full; the sender stops until resumeBody(). */
  write(chunk: Buffer): boolean;
  /** The body is complete; HTTP/2 trailers, when the client sent some, come with it. */
  end(trailers?: [string, string][]): void;
}

/**
 * What a request came on, as the layers see it: an HTTP/1 connection (engine/server.ts, one request at a
 * time) or an HTTP/2 stream (h2/server.ts).
 */
export interface Downstream {
  /** 1 for HTTP/1.x, 2 for an HTTP/2 stream. */
  readonly protocol: 1 | 2;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly peer: PeerIdentity | undefined;
  /** Bytes read and written so far (the connection's for HTTP/1, the stream's for HTTP/2). */
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly destroyed: boolean;
  readonly hasBody: boolean;
  /** The body's length when it is known before it is read (Content-Length, or an HTTP/2 body already whole); -1 otherwise. */
  readonly bodyLength: number;
  /** Hands the body to `sink`; bytes that arrived before are given at once. */
  attachBody(sink: BodySink): void;
  /** The sink has room again. */
  resumeBody(): void;
}

export interface Ctx {
  /** The downstream connection or stream: remoteAddress, verified peer, byte counters, the request body. */
  readonly conn: Downstream;
  readonly res: Responder;
  /** Headers as the client sent them: lower-case names, repeated headers as arrays. */
  readonly reqHeaders: HeaderMap;
  /** "1.1", "1.0" or "2". */
  readonly version: string;
  /** The protocol a request asks to switch to (Upgrade with Connection: upgrade), e.g. "websocket". */
  upgrade?: string;
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
  /** The chosen endpoint's load, when its balancer learns from traffic: the forwarder reports the attempt's end. */
  load?: EndpointLoad;
  loadStart?: number;
  /** Pools to send a shadow copy of this request to (set by the mirror layer; the forwarder starts them once). */
  mirrors?: UpstreamPool[];
  /** The whole request body, held by the retry layer so each attempt can send it (forward sends it as is). */
  replayBody?: Buffer;
  /** Set by the retry layer: given a response's status (and gRPC status, for a trailers-only answer), true holds the response back to retry instead. */
  retryStatus?: (status: number, grpcStatus?: number) => boolean;
  /** The gRPC status the answer carried (grpc-status in its trailers or trailers-only head), for records and metrics. */
  grpcStatus?: number;
  /** Fault injection held the request back (response flag DI). */
  faultDelayed?: boolean;
  /** Retries were made and the last attempt still failed (response flag URX). */
  retriesExhausted?: boolean;
  /** The matched rule's timeouts (set by the route layer; forward enforces them). */
  timeouts?: RouteTimeoutsSnap;
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
