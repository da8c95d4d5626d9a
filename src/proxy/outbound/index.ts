// Builds the outbound stack: what a request from the local app (or, for a gateway, from outside) goes
// through on its way to a service. Built once per snapshot per listener; reads top to bottom.
import type { Service } from '../stack/index.js';
import { stack } from '../stack/index.js';
import type { Ctx } from '../context.js';
import { rescue } from '../layers/rescue/index.js';
import { forwarded } from '../layers/forwarded/index.js';
import { route, split, type RouteTable } from '../layers/route/layer.js';
import { balance } from '../balance/layer.js';
import type { Balancer } from '../balance/index.js';
import { forward } from '../transport/forward.js';
import type { Pools } from '../transport/pools.js';

export interface OutboundParams {
  /** Which routes apply to a request: by service host (sidecar), fixed (per-service port) or by virtual host (gateway). */
  table: RouteTable;
  balancers: ReadonlyMap<string, Balancer>;
  pools: Pools;
  /** The ingress gateway is the edge: it replaces client-supplied x-forwarded-* instead of trusting them. */
  edge: boolean;
  log: (msg: string) => void;
}

export function buildOutbound(p: OutboundParams): Service<Ctx> {
  return stack<Ctx>(
    [
      // Errors anywhere below become one status + x-weft-error, in one place.
      rescue({ log: p.log }),
      // The next hop learns who asked and under which request id.
      forwarded({ edge: p.edge }),
      // HTTPRoute matching picks a rule (404 no-route) and answers a rule's redirect itself.
      route(p.table),
      // Weighted backendRefs pick a backend cluster (500 backend-not-found); that backend's filters
      // (the rule's, then the backend's own) rewrite the request and set the response-header hook.
      split(),
      // The cluster's balancer picks a ready endpoint (503 no-healthy-endpoint).
      balance(p.balancers),
    ],
    // Pooled keep-alive HTTP/1.1 to the endpoint, bodies streamed both ways.
    forward(p.pools),
  );
}
