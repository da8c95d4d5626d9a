// The trace layer: makes this hop a span in the caller's trace (or starts one), tells the next hop to
// be a child of it through the request headers, and, if the trace is sampled, records the span when the
// response is done. Propagation always happens, so apps and proxies after this one can join the trace
// even when this proxy records nothing.
import type { Layer } from '../../stack/index.js';
import type { Ctx } from '../../context.js';
import { ERRORS, type ErrorCode } from '../../errors.js';
import { extract, inject, traceStateOf } from './propagation.js';
import { parentBased } from './sampler.js';
import { newSpanId, newTraceId, unixNanos } from './ids.js';
import { SPAN_FLAGS_HAS_IS_REMOTE, SPAN_FLAGS_IS_REMOTE, SpanKind, StatusCode, type Attributes, type SpanExporter, type SpanResource } from './span.js';

export interface TraceParams {
  /** inbound spans are SERVER spans; outbound and gateway spans are CLIENT spans (calls into the mesh). */
  direction: 'inbound' | 'outbound' | 'gateway';
  /** Share of new traces to sample, 0..1 (callers' decisions are always kept). */
  sampleRate: number;
  /** Where sampled spans go. Without one, this hop only propagates and starts traces unsampled. */
  exporter: SpanExporter | undefined;
  /** This proxy: the resource its spans belong to. */
  proxy: { name: string; workload: string; namespace: string };
  /** The draw for new traces; injectable so tests are deterministic. */
  random?: () => number;
}

export function trace(p: TraceParams): Layer<Ctx> {
  const exporter = p.exporter;
  const direction = p.direction;
  // With nowhere to send spans, a trace started here is marked unsampled, so the hops after this one do
  // not record the children of a span that will never exist.
  const sample = parentBased(exporter === undefined ? 0 : p.sampleRate, p.random);
  const kind = direction === 'inbound' ? SpanKind.SERVER : SpanKind.CLIENT;
  const resource: SpanResource = Object.freeze({
    attributes: Object.freeze({ 'service.name': `${p.proxy.workload}.${p.proxy.namespace}`, 'weft.proxy': p.proxy.name }),
  });

  return (inner) => (ctx) => {
    const h = ctx.headers;
    const inc = extract(h);
    const sampled = sample(inc.sampled);
    const traceId = inc.traceId ?? newTraceId();
    const spanId = newSpanId();
    const parentSpanId = inc.parentSpanId;
    // Read before inject(), which drops a tracestate that does not belong to the traceparent.
    const traceState = inc.format === 'w3c' ? traceStateOf(h['tracestate']) : undefined;
    inject(h, { traceId, spanId, parentSpanId, sampled, debug: inc.debug }, inc);
    ctx.traceId = traceId;
    if (!sampled || exporter === undefined) return inner(ctx);

    ctx.res.onClose(() => {
      try {
        const status = ctx.res.statusCode;
        const code = ctx.error as ErrorCode | undefined;
        const routeName = ctx.route?.name;
        const attributes: Attributes = {
          'http.request.method': ctx.method,
          'http.response.status_code': status,
          'url.path': ctx.path,
          'weft.direction': direction,
        };
        setServer(attributes, ctx.authority);
        if (routeName !== undefined) attributes['weft.route'] = routeName;
        if (ctx.cluster !== undefined) attributes['weft.upstream_cluster'] = ctx.cluster;
        if (code !== undefined) {
          attributes['weft.response_flags'] = ERRORS[code]?.flag ?? code;
          attributes['weft.error'] = code;
        } else if (!ctx.res.writableFinished) {
          // The client went away before the response was complete (Envoy's "downstream connection termination").
          attributes['weft.response_flags'] = 'DC';
        }
        if (ctx.peer !== undefined) attributes['weft.source.principal'] = ctx.peer.spiffeId;
        const failed = code !== undefined || status >= 500;
        exporter.export({
          resource,
          traceId,
          spanId,
          parentSpanId,
          traceState,
          // The route name, never the raw path: paths carry ids, and span names must stay low-cardinality.
          name: `${ctx.method} ${routeName ?? ctx.authority}`,
          kind,
          startTimeUnixNano: unixNanos(ctx.start),
          endTimeUnixNano: unixNanos(process.hrtime.bigint()),
          attributes,
          status: failed ? { code: StatusCode.ERROR, message: code ?? `HTTP ${status}` } : { code: StatusCode.UNSET },
          flags: 0x01 | SPAN_FLAGS_HAS_IS_REMOTE | (parentSpanId !== undefined ? SPAN_FLAGS_IS_REMOTE : 0),
        });
      } catch {
        // Tracing must never break the request path.
      }
    });
    return inner(ctx);
  };
}

/** server.address is the host alone (semantic conventions); the port goes to server.port. */
function setServer(a: Attributes, authority: string): void {
  let host = authority;
  let port = '';
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close > 0) {
      host = authority.slice(1, close);
      if (authority.charCodeAt(close + 1) === 0x3a) port = authority.slice(close + 2);
    }
  } else {
    const colon = authority.lastIndexOf(':');
    if (colon >= 0 && authority.indexOf(':') === colon) {
      host = authority.slice(0, colon);
      port = authority.slice(colon + 1);
    }
  }
  a['server.address'] = host;
  const n = port === '' ? NaN : Number(port);
  if (Number.isInteger(n) && n > 0 && n < 65536) a['server.port'] = n;
}
