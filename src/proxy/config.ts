// Compiles a snapshot into the lookup tables the request path uses. Runs once per snapshot, off the hot
// path; anything wrong with the snapshot throws here, which turns into a NACK and keeps the old config.
import type { Snapshot } from '../api/snapshot.js';
import { compileRoutes, compileVirtualHosts, selectVirtualHost, type CompiledRoute, type CompiledVirtualHosts } from './layers/route/index.js';
import type { RouteTable } from './layers/route/layer.js';
import { balancerFor, type Balancer, type BalancerFactory } from './balance/index.js';
import { OutlierState } from './balance/outlier.js';
import { HealthyBalancer, type HealthView } from './balance/healthy.js';
import { priorityOf } from './balance/locality.js';
import { DEFAULT_OUTLIER, type LocalitySnap } from '../api/traffic.js';
import { LoadTracker } from './balance/load.js';
import { hostOf } from './engine/request.js';
import { compileServerNames, type ServerNames, type TlsListenerSpec } from './tls/gateway.js';

export interface UpstreamTarget {
  /** The service port's own cluster, which also names the listener. */
  cluster: string;
  service: string;
  namespace: string;
  port: number;
  authority: string;
  table: RouteTable;
  /** An opaque TCP port: its local port is a byte tunnel, not an HTTP listener. */
  tcp: boolean;
}

export interface GatewayPort {
  address: string;
  port: number;
  listeners: string[];
  table: RouteTable;
  /** HTTPS: the certificates by server name; absent: plain HTTP. */
  tls?: ServerNames;
}

export interface CompiledConfig {
  snapshot: Snapshot;
  balancers: Map<string, Balancer>;
  /** Sidecar outbound listener: service by host name. */
  byHost: RouteTable;
  /** Sidecar: one local port per service port. */
  upstreams: Map<string, UpstreamTarget>;
  /** Sidecar capture port: "<service virtual IP>:<port>" -> the service port's upstream (cluster) key. */
  captured: Map<string, string>;
  /** Gateway: one listener per address:port, routes by virtual host. */
  gatewayPorts: Map<string, GatewayPort>;
  /** Endpoint pool keys in use, so pools of vanished endpoints can be closed. */
  endpointKeys: Set<string>;
  /** address:port -> SPIFFE IDs allowed to answer there (the identities of the services it backs). */
  identities: Map<string, Set<string>>;
}

/**
 * `load` is the proxy's tracker (kept across snapshots) for the balancers that learn from traffic; each
 * cluster's balancer follows its TrafficPolicy (EWMA when it has none). `makeBalancer` overrides that (tests).
 * `checks` is what the proxy's active health checks say, for clusters that have them.
 */
export function compileConfig(snap: Snapshot, load: LoadTracker = new LoadTracker(), makeBalancer?: BalancerFactory, outliers: OutlierState = new OutlierState(), checks?: HealthView): CompiledConfig {
  const balancers = new Map<string, Balancer>();
  const endpointKeys = new Set<string>();
  const identities = new Map<string, Set<string>>();
  for (const c of snap.clusters) {
    const factory = makeBalancer ?? balancerFor(c.loadBalancer, load);
    balancers.set(c.name, balancerOf(c, factory, snap.proxy.locality, outliers, checks));
    for (const e of c.endpoints) {
      const k = `${e.address}:${e.port}`;
      endpointKeys.add(e.tls === 'mtls' ? `mtls:${k}` : k);
      let ids = identities.get(k);
      if (ids === undefined) identities.set(k, (ids = new Set()));
      for (const id of c.identities) ids.add(id);
    }
  }

  // host -> port -> routes
  const hosts = new Map<string, Map<number, CompiledRoute[]>>();
  const upstreams = new Map<string, UpstreamTarget>();
  const captured = new Map<string, string>();
  for (const s of snap.services) {
    for (const p of s.ports) {
      if (s.address !== undefined) captured.set(`${s.address}:${p.port}`, p.cluster);
      let routes: CompiledRoute[];
      try {
        routes = compileRoutes(p.routes);
      } catch (e) {
        throw new Error(`service ${s.name}.${s.namespace}:${p.port}: ${(e as Error).message}`);
      }
      // A TCP port has no HTTP routes: the sidecar's HTTP outbound listener does not answer for it.
      if (p.protocol !== 'tcp') for (const h of s.hosts) {
        let m = hosts.get(h);
        if (m === undefined) hosts.set(h, (m = new Map()));
        m.set(p.port, routes);
      }
      const cl = snap.clusters.find((c) => c.name === p.cluster);
      upstreams.set(p.cluster, {
        cluster: p.cluster, service: s.name, namespace: s.namespace, port: p.port,
        authority: cl?.authority ?? s.name, table: () => routes, tcp: p.protocol === 'tcp',
      });
    }
  }
  const byHost: RouteTable = (ctx) => {
    const { host, port } = hostOf(ctx.authority);
    const ports = hosts.get(host);
    if (ports === undefined) return undefined;
    if (port !== undefined) return ports.get(port);
    // No port in the name: the service's only port, else its port 80, as a browser-style default.
    if (ports.size === 1) return ports.values().next().value;
    return ports.get(80);
  };

  const gatewayPorts = new Map<string, GatewayPort>();
  const byPort = new Map<string, { address: string; port: number; listeners: string[]; vhosts: Snapshot['listeners'][number]['virtualHosts']; protocol: string; tls: TlsListenerSpec[] }>();
  for (const l of snap.listeners) {
    const key = `${l.address}:${l.port}`;
    const g = byPort.get(key) ?? { address: l.address, port: l.port, listeners: [], vhosts: [], protocol: l.protocol, tls: [] };
    if (g.protocol !== l.protocol) throw new Error(`listener ${l.name} (${key}): ${l.protocol} on a port that listener ${g.listeners[0]} serves as ${g.protocol}`);
    g.listeners.push(l.name);
    g.vhosts.push(...l.virtualHosts);
    if (l.protocol === 'HTTPS') g.tls.push({ name: l.name, ...(l.hostname !== undefined ? { hostname: l.hostname } : {}), certificates: l.tls?.certificates ?? [] });
    byPort.set(key, g);
  }
  for (const [key, g] of byPort) {
    let vh: CompiledVirtualHosts;
    try {
      vh = compileVirtualHosts(g.vhosts);
    } catch (e) {
      throw new Error(`listener ${g.listeners.join(',')} (${key}): ${(e as Error).message}`);
    }
    const tls = g.protocol === 'HTTPS' ? compileServerNames(g.tls) : undefined;
    gatewayPorts.set(key, { address: g.address, port: g.port, listeners: g.listeners, table: (ctx) => selectVirtualHost(vh, ctx.authority), ...(tls !== undefined ? { tls } : {}) });
  }

  return { snapshot: snap, balancers, byHost, upstreams, captured, gatewayPorts, endpointKeys, identities };
}

/**
 * The plain balancer when nothing takes endpoints out or orders them (nothing extra on the request path);
 * else a HealthyBalancer with what the cluster has: ejections, health checks, priority levels.
 */
function balancerOf(c: Snapshot['clusters'][number], factory: BalancerFactory, self: LocalitySnap | undefined, outliers: OutlierState, checks: HealthView | undefined): Balancer {
  const lf = c.localityFailover;
  const priorities = lf === undefined ? undefined : c.endpoints.map((e) => priorityOf(self, e.locality, lf.failover));
  // Every endpoint in one level (the caller has no locality, or all run where it does): no levels to draw.
  const levels = priorities !== undefined && priorities.some((p) => p !== priorities[0]) ? priorities : undefined;
  const hc = c.healthCheck !== undefined ? checks : undefined;
  if (c.outlierDetection === undefined && hc === undefined && levels === undefined) return factory(c.endpoints);
  return new HealthyBalancer(c.name, c.endpoints, factory, {
    ...(c.outlierDetection !== undefined ? { outlier: { od: c.outlierDetection, state: outliers } } : {}),
    ...(hc !== undefined ? { checks: hc } : {}),
    ...(levels !== undefined ? { priorities: levels } : {}),
    // Without outlier detection's own, Envoy's default.
    panicThresholdPercent: c.outlierDetection?.panicThresholdPercent ?? DEFAULT_OUTLIER.panicThresholdPercent,
  });
}
