// Observe: when a response is done (or the client gave up), turn what the layers below decided into one
// RequestRecord and hand it to every sink. Outermost layer, so it sees the proxy's own error answers too.
import type { Layer } from '../stack/index.js';
import type { Ctx } from '../context.js';
import { ERRORS, type ErrorCode } from '../errors.js';
import type { RecordSink, RequestRecord } from './record.js';

export interface ObserveParams {
  direction: RequestRecord['direction'];
  sinks: readonly RecordSink[];
  /** This proxy's workload identity, for the side of the record it stands on. */
  self: { workload: string; namespace: string; principal: string };
  /** Whether requests this listener forwards travel over mTLS (outbound) or arrived over it (inbound). */
  tls: (ctx: Ctx) => boolean;
  /** In-flight request gauge, by direction. */
  inflight?: { inc(direction: string): void; dec(direction: string): void };
}

const NS = 1_000_000n;

// Per-request strings that depend on a handful of values are made once per value, not once per request.
const PROTOCOLS = new Map<string, string>([['1.1', 'HTTP/1.1'], ['1.0', 'HTTP/1.0'], ['2.0', 'HTTP/2.0'], ['2', 'HTTP/2']]);
const protocolOf = (v: string) => PROTOCOLS.get(v) ?? `HTTP/${v}`;

/** A cluster "svc.ns:port" split into its service and namespace; few clusters, so a small cache. */
const CLUSTERS = new Map<string, { service: string; namespace: string }>();
function clusterParts(cl: string): { service: string; namespace: string } {
  let c = CLUSTERS.get(cl);
  if (c === undefined) {
    const dot = cl.indexOf('.');
    const colon = cl.lastIndexOf(':');
    c = { service: cl.slice(0, dot), namespace: cl.slice(dot + 1, colon) };
    if (CLUSTERS.size > 4096) CLUSTERS.clear();
    CLUSTERS.set(cl, c);
  }
  return c;
}

/** "address:port" of an endpoint, made once per endpoint object. */
const HOSTS = new WeakMap<object, string>();
function hostOf(ep: { address: string; port: number }): string {
  let h = HOSTS.get(ep);
  if (h === undefined) {
    h = `${ep.address}:${ep.port}`;
    HOSTS.set(ep, h);
  }
  return h;
}

export function observe(p: ObserveParams): Layer<Ctx> {
  if (p.sinks.length === 0) return (inner) => inner;
  const { direction, sinks, self, inflight } = p;
  return (inner) => (ctx) => {
    inflight?.inc(direction);
    const conn = ctx.conn;
    // An HTTP/1 connection counts across its requests; an HTTP/2 stream's counts are this request's alone.
    const read0 = conn.protocol === 2 ? 0 : conn.bytesRead;
    const written0 = conn.protocol === 2 ? 0 : conn.bytesWritten;
    ctx.res.onClose(() => {
      inflight?.dec(direction);
      const end = process.hrtime.bigint();
      const finished = ctx.res.writableFinished;
      const code = ctx.error as ErrorCode | undefined;
      const base = code !== undefined ? ERRORS[code].flag : finished ? '-' : 'DC';
      // Envoy's URX: the request was retried and the last attempt failed too.
      const retried = ctx.retriesExhausted === true ? (base === '-' ? 'URX' : `${base},URX`) : base;
      // Envoy's DI: fault injection held the request back first, whatever happened after.
      const flags = ctx.faultDelayed === true ? (retried === '-' ? 'DI' : `DI,${retried}`) : retried;
      const ep = ctx.endpoint;
      const cl = ctx.cluster;
      const parts = cl === undefined ? undefined : clusterParts(cl);
      const peer = ctx.peer?.spiffeId;
      const r: RequestRecord = {
        direction,
        start: Date.now() - Number((end - ctx.start) / NS),
        durationMs: Number(end - ctx.start) / 1e6,
        method: ctx.method,
        path: ctx.path,
        protocol: protocolOf(ctx.version),
        authority: ctx.authority,
        status: ctx.res.statusCode,
        flags,
        error: code,
        bytesIn: conn.bytesRead - read0,
        bytesOut: conn.bytesWritten - written0,
        route: ctx.route?.name,
        cluster: cl,
        destService: parts?.service,
        destNamespace: direction === 'inbound' ? self.namespace : parts?.namespace,
        destWorkload: direction === 'inbound' ? self.workload : ep?.workload || undefined,
        upstreamHost: ep === undefined ? undefined : hostOf(ep),
        upstreamServiceTimeMs: ctx.upstreamStart !== undefined && ctx.upstreamHeaders !== undefined ? Number(ctx.upstreamHeaders - ctx.upstreamStart) / 1e6 : undefined,
        requestId: typeof ctx.headers['x-request-id'] === 'string' ? ctx.headers['x-request-id'] : undefined,
        traceId: ctx.traceId,
        sourcePrincipal: direction === 'inbound' ? peer : self.principal,
        sourceWorkload: direction === 'inbound' ? undefined : self.workload,
        sourceNamespace: direction === 'inbound' ? nsOf(peer) : self.namespace,
        destPrincipal: direction === 'inbound' ? self.principal : undefined,
        tls: p.tls(ctx),
        grpcStatus: ctx.grpcStatus === undefined ? undefined : String(ctx.grpcStatus),
      };
      for (const s of sinks) {
        try {
          s.record(r);
        } catch {
          // A broken sink must never break the request path.
        }
      }
    });
    return inner(ctx);
  };
}

const NAMESPACES = new Map<string, string | undefined>();
function nsOf(spiffe: string | undefined): string | undefined {
  if (spiffe === undefined) return undefined;
  if (NAMESPACES.has(spiffe)) return NAMESPACES.get(spiffe);
  const ns = /\/ns\/([^/]+)\//.exec(spiffe)?.[1];
  if (NAMESPACES.size > 4096) NAMESPACES.clear();
  NAMESPACES.set(spiffe, ns);
  return ns;
}
