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

export function observe(p: ObserveParams): Layer<Ctx> {
  if (p.sinks.length === 0) return (inner) => inner;
  const { direction, sinks, self, inflight } = p;
  return (inner) => (ctx) => {
    inflight?.inc(direction);
    const sock = ctx.req.socket;
    const read0 = sock.bytesRead;
    const written0 = sock.bytesWritten;
    ctx.res.once('close', () => {
      inflight?.dec(direction);
      const end = process.hrtime.bigint();
      const finished = ctx.res.writableFinished;
      const code = ctx.error as ErrorCode | undefined;
      const flags = code !== undefined ? ERRORS[code].flag : finished ? '-' : 'DC';
      const ep = ctx.endpoint;
      const cl = ctx.cluster;
      const dot = cl === undefined ? -1 : cl.indexOf('.');
      const colon = cl === undefined ? -1 : cl.lastIndexOf(':');
      const peer = ctx.peer?.spiffeId;
      const r: RequestRecord = {
        direction,
        start: Date.now() - Number((end - ctx.start) / NS),
        durationMs: Number(end - ctx.start) / 1e6,
        method: ctx.method,
        path: ctx.path,
        protocol: `HTTP/${ctx.req.httpVersion}`,
        authority: ctx.authority,
        status: ctx.res.statusCode,
        flags,
        ...(code !== undefined ? { error: code } : {}),
        bytesIn: sock.bytesRead - read0,
        bytesOut: sock.bytesWritten - written0,
        route: ctx.route?.name,
        cluster: cl,
        destService: cl === undefined ? undefined : cl.slice(0, dot),
        destNamespace: cl === undefined ? undefined : cl.slice(dot + 1, colon),
        destWorkload: direction === 'inbound' ? self.workload : ep?.workload || undefined,
        upstreamHost: ep === undefined ? undefined : `${ep.address}:${ep.port}`,
        upstreamServiceTimeMs: ctx.upstreamStart !== undefined && ctx.upstreamHeaders !== undefined ? Number(ctx.upstreamHeaders - ctx.upstreamStart) / 1e6 : undefined,
        requestId: typeof ctx.headers['x-request-id'] === 'string' ? ctx.headers['x-request-id'] : undefined,
        traceId: ctx.traceId,
        sourcePrincipal: direction === 'inbound' ? peer : self.principal,
        sourceWorkload: direction === 'inbound' ? undefined : self.workload,
        sourceNamespace: direction === 'inbound' ? nsOf(peer) : self.namespace,
        destPrincipal: direction === 'inbound' ? self.principal : undefined,
        tls: p.tls(ctx),
      };
      if (direction === 'inbound') {
        r.destNamespace = self.namespace;
      }
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

function nsOf(spiffe: string | undefined): string | undefined {
  if (spiffe === undefined) return undefined;
  const m = /\/ns\/([^/]+)\//.exec(spiffe);
  return m?.[1];
}
