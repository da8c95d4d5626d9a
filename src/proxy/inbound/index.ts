// Builds the inbound stack: what a request from another proxy goes through before it reaches the local app
// (the peer's mTLS identity is checked by the listener, before any of it).
import type { Service } from '../stack/index.js';
import { stack } from '../stack/index.js';
import type { Ctx } from '../context.js';
import type { SecuritySnap } from '../../api/snapshot.js';
import { rescue } from '../layers/rescue/layer.js';
import { observe } from '../observe/layer.js';
import { trace } from '../layers/trace/layer.js';
import type { SpanExporter } from '../layers/trace/span.js';
import type { RecordSink } from '../observe/record.js';
import { setClientCert } from '../layers/identity-headers/layer.js';
import { normalize } from '../layers/normalize/layer.js';
import { authz } from '../layers/authz/layer.js';
import { rateLimit, type RateLimitParams } from '../layers/ratelimit/layer.js';
import { forwardTo } from '../engine/forward.js';
import type { H2Pool } from '../h2/client.js';
import type { UpstreamPool } from '../engine/client.js';

export interface InboundParams {
  app: UpstreamPool;
  /** h2c to the app, for gRPC (and HTTP/2 traffic when the app speaks it). */
  appH2?: H2Pool;
  security: SecuritySnap;
  /** The app's port: what AuthorizationPolicy `ports` and destination.port match. */
  appPort: number;
  sinks: readonly RecordSink[];
  self: { workload: string; namespace: string };
  inflight?: { inc(direction: string): void; dec(direction: string): void };
  tracing: { sampleRate: number; exporter: SpanExporter | undefined; proxy: { name: string; workload: string; namespace: string } };
  log: (msg: string) => void;
  /** The workload's RateLimitPolicy limits; absent: none (the layer is left out). */
  rateLimit?: RateLimitParams;
}

export function buildInbound(p: InboundParams): Service<Ctx> {
  return stack<Ctx>(
    [
      // Every finished request becomes one record for metrics, access logs and tap.
      observe({ direction: 'inbound', sinks: p.sinks, self: { ...p.self, principal: p.security.identity }, inflight: p.inflight, tls: (ctx) => ctx.peer !== undefined }),
      // Errors below (the app refusing connections, resetting) become one status + x-weft-error.
      rescue({ log: p.log }),
      // This hop's server span, a child of the caller's.
      trace({ direction: 'inbound', ...p.tracing }),
      // Policies match one canonical path, and the app gets exactly that path (400 for escaped slashes).
      normalize({ escapedSlashes: p.security.escapedSlashes }),
      // AuthorizationPolicy against the verified peer identity (403 rbac-denied).
      authz({ policies: p.security.authz, port: p.appPort, log: p.log }),
      // The workload's local rate limits, per verified caller when they say so (429 rate-limited).
      ...(p.rateLimit !== undefined ? [rateLimit(p.rateLimit)] : []),
      // The app sees the peer identity this proxy verified, and no identity header anyone else set.
      setClientCert({ self: p.security.identity }),
    ],
    // Pooled keep-alive HTTP/1.1 to the local app.
    forwardTo(p.app, p.appH2),
  );
}
