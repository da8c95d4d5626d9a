// Builds the outbound stack: what a request from the local app (or, for a gateway, from outside) goes
// through on its way to a service. Built once per snapshot per listener; reads top to bottom.
import type { Service } from '../stack/index.js';
import { stack } from '../stack/index.js';
import type { Ctx } from '../context.js';
import { rescue } from '../layers/rescue/layer.js';
import { observe } from '../observe/layer.js';
import { trace } from '../layers/trace/layer.js';
import type { SpanExporter } from '../layers/trace/span.js';
import type { RecordSink } from '../observe/record.js';
import { forwarded } from '../layers/forwarded/layer.js';
import { stripIdentity } from '../layers/identity-headers/layer.js';
import { normalize } from '../layers/normalize/layer.js';
import { egress } from '../layers/egress/layer.js';
import { route, split, type RouteTable } from '../layers/route/layer.js';
import { balance } from '../balance/layer.js';
import { circuit, type CircuitParams } from '../layers/circuit/layer.js';
import { retry, type RetryParams } from '../layers/retry/layer.js';
import { mirror } from '../layers/mirror/layer.js';
import { fault, type FaultParams } from '../layers/fault/layer.js';
import { rateLimit, type RateLimitParams } from '../layers/ratelimit/layer.js';
import type { Balancer } from '../balance/index.js';
import { forward } from '../engine/forward.js';
import type { Pools } from '../engine/pools.js';

export interface OutboundParams {
  /** Which routes apply to a request: by service host (sidecar), fixed (per-service port) or by virtual host (gateway). */
  table: RouteTable;
  balancers: ReadonlyMap<string, Balancer>;
  pools: Pools;
  /** The ingress gateway is the edge: it replaces client-supplied x-forwarded-* instead of trusting them. */
  edge: boolean;
  /** Sidecar outbound listener only: what to do with hosts that are not mesh services. */
  outsideMesh?: 'ALLOW_ANY' | 'REGISTRY_ONLY';
  escapedSlashes: 'reject' | 'keep' | 'unescape';
  /** Where each finished request's record goes (metrics, access log, tap). */
  sinks: readonly RecordSink[];
  self: { workload: string; namespace: string; principal: string };
  inflight?: { inc(direction: string): void; dec(direction: string): void };
  tracing: { sampleRate: number; exporter: SpanExporter | undefined; proxy: { name: string; workload: string; namespace: string } };
  log: (msg: string) => void;
  retry: RetryParams;
  /** Per-cluster request limits (TrafficPolicy circuitBreaker). */
  circuit?: CircuitParams;
  /** Set when some rule has a FaultInjection. */
  fault?: FaultParams;
  /** The routes' RateLimitPolicy limits; absent when no route has any (the layer is left out). */
  rateLimit?: RateLimitParams;
}

export function buildOutbound(p: OutboundParams): Service<Ctx> {
  const toEndpoint = forward(p.pools);
  return stack<Ctx>(
    [
      // Every finished request becomes one record for metrics, access logs and tap.
      observe({ direction: p.edge ? 'gateway' : 'outbound', sinks: p.sinks, self: p.self, inflight: p.inflight, tls: (ctx) => ctx.endpoint?.tls === 'mtls' }),
      // Errors anywhere below become one status + x-weft-error, in one place.
      rescue({ log: p.log }),
      // One canonical path for routing and for every hop after this one (400 for paths that cannot be made so).
      normalize({ escapedSlashes: p.escapedSlashes }),
      // Only the mesh sets identity headers: drop any the client sent.
      stripIdentity(),
      // The next hop learns who asked and under which request id.
      forwarded({ edge: p.edge }),
      // This hop's span: joins the caller's trace (W3C or B3) or starts one, and propagates it onward.
      trace({ direction: p.edge ? 'gateway' : 'outbound', ...p.tracing }),
      // Hosts that are not mesh services pass through (ALLOW_ANY) or are refused (REGISTRY_ONLY).
      ...(p.outsideMesh !== undefined ? [egress({ table: p.table, policy: p.outsideMesh, passthrough: toEndpoint })] : []),
      // HTTPRoute matching picks a rule (404 no-route) and answers a rule's redirect itself.
      route(p.table),
      // The chosen route's local rate limits (429 rate-limited): one token per request, whatever retries follow.
      ...(p.rateLimit !== undefined ? [rateLimit(p.rateLimit)] : []),
      // Weighted backendRefs pick a backend cluster (500 backend-not-found); that backend's filters
      // (the rule's, then the backend's own) rewrite the request and set the response-header hook.
      split(),
      // The rule's FaultInjection: hold some requests back, answer some without calling the backend (only when set).
      ...(p.fault !== undefined ? [fault(p.fault)] : []),
      // The rule's RequestMirror filters: which shadow targets get a copy of this request.
      mirror(p.balancers, p.pools),
      // The rule's retries: each attempt goes through the balancer again; budgets bound retry storms.
      retry(p.retry),
      // The cluster's circuit breaker: past maxRequests in flight, fail fast (503 overflow).
      ...(p.circuit !== undefined ? [circuit(p.circuit)] : []),
      // The cluster's balancer picks a ready endpoint (503 no-healthy-endpoint).
      balance(p.balancers),
    ],
    // Pooled keep-alive HTTP/1.1 to the endpoint (mTLS to peer proxies), bodies streamed both ways.
    toEndpoint,
  );
}
