// One record per request, made once when the response is done, and handed to every sink: metrics,
// access log, tap. Sinks never look at the request themselves, so each concern stays in its own folder.

export interface RequestRecord {
  /** inbound: peer proxy -> local app; outbound: local app -> mesh; gateway: outside -> mesh. */
  direction: 'inbound' | 'outbound' | 'gateway';
  /** Epoch ms when the request arrived. */
  start: number;
  durationMs: number;
  method: string;
  /** Normalized path without query (never used as a metric label). */
  path: string;
  protocol: string;
  authority: string;
  status: number;
  /** Response flags ("-" when none), from the x-weft-error table (src/proxy/errors.ts): NR, UH, UF, UR, UT, RBAC, DC, ... */
  flags: string;
  /** The proxy's own error code when it answered itself (x-weft-error). */
  error?: string;
  bytesIn: number;
  bytesOut: number;
  /** "<namespace>/<name>" of the HTTPRoute or GRPCRoute that matched, or "default". */
  route?: string;
  /** Backend cluster "svc.ns:port" and its parts. */
  cluster?: string;
  destService?: string;
  destNamespace?: string;
  destWorkload?: string;
  /** address:port of the endpoint the request went to. */
  upstreamHost?: string;
  /** From sending the request upstream to its response headers. */
  upstreamServiceTimeMs?: number;
  requestId?: string;
  traceId?: string;
  sourcePrincipal?: string;
  sourceWorkload?: string;
  sourceNamespace?: string;
  destPrincipal?: string;
  /** Whether the hop this record describes was mTLS. */
  tls: boolean;
  grpcStatus?: string;
}

export interface RecordSink {
  record(r: RequestRecord): void;
}

/** Connection-level counters (TCP), for the weft_tcp_* metrics. */
export interface ConnectionSink {
  opened(direction: string): void;
  closed(direction: string, bytesReceived: number, bytesSent: number): void;
}

/** Counts a listener's connections and their bytes into `sink`, once per connection. */
export function watchConnections(server: import('node:net').Server, direction: string, sink: () => ConnectionSink | undefined): void {
  server.on('connection', (s: import('node:net').Socket) => {
    const k = sink();
    if (k === undefined) return;
    k.opened(direction);
    s.once('close', () => k.closed(direction, s.bytesRead, s.bytesWritten));
  });
}
