// Pure translation: mesh state (objects + registered endpoints) -> the snapshot of one proxy.
// No I/O, no clocks, no randomness: the same state always gives the same snapshot and version, which is
// what lets a restarted control plane find every proxy already in sync.
import { createHash } from 'node:crypto';
import type {
  AnyResource, AuthorizationPolicy, BackendRef, Gateway, GatewayListener, GRPCMethodMatch, GRPCRoute, GRPCRouteRule, HTTPRoute, HTTPRouteRule, Mesh, PathMatch, TrafficPolicy, MtlsMode, PeerAuthentication, Secret, Service, Workload,
} from '../../api/types.js';
import { tlsPair } from '../../api/kinds/secret.js';
import type {
  AuthzPolicySnap, BackendSnap, ClusterSnap, ConnectionPoolSnap, EndpointSnap, ListenerCertificateSnap, ListenerSnap, RouteEntry, ServicePortSnap, ServiceSnap, Snapshot, VirtualHostSnap,
} from '../../api/snapshot.js';

/** Policies in this namespace without a selector apply mesh-wide (Istio's root namespace). */
export const ROOT_NAMESPACE = 'weft-system';
/** A new mesh refuses plaintext between workloads unless a PeerAuthentication relaxes it. */
export const DEFAULT_MTLS: MtlsMode = 'STRICT';

import { resolveTelemetry } from '../../api/telemetry.js';
import { DEFAULT_LISTENER_LIMITS, type ListenerLimitsSnap } from '../../api/limits.js';
import { parseGoDuration } from '../../api/checks.js';
import { portProtocol } from '../../api/protocol.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_OUTLIER, DEFAULT_RESPONSE_HEADERS_TIMEOUT_MS, DEFAULT_RETRY_BUDGET, NO_TIMEOUTS, parseGatewayDuration, resolveRetry, type HashOnSnap, type LoadBalancerSnap, type OutlierDetectionSnap, type RetryBudgetSnap, type RouteTimeoutsSnap } from '../../api/traffic.js';
import { failoverAndChecksOf, localityIndex } from './locality.js';
import type { ProxyRef, RegisteredEndpoint } from '../../api/control-api.js';
import { faultSnapOf, isFaultRef } from '../../api/fault.js';
import type { RateLimitSnap } from '../../api/ratelimit.js';
import { serviceAddresses } from '../../api/vip.js';
export type { ProxyRef, RegisteredEndpoint };

export const CLUSTER_DOMAIN = 'svc.cluster.local';

/** A replica as the runtime registered it: its proxy's inbound listener is the endpoint. */
export interface MeshState {
  objects: readonly AnyResource[];
  endpoints: readonly RegisteredEndpoint[];
}

export function spiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

const byName = <T extends { metadata: { name: string; namespace?: string } }>(a: T, b: T) =>
  (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') || a.metadata.name.localeCompare(b.metadata.name);

function ofKind<K extends AnyResource['kind']>(objects: readonly AnyResource[], kind: K): Extract<AnyResource, { kind: K }>[] {
  return objects.filter((o) => o.kind === kind).sort(byName) as Extract<AnyResource, { kind: K }>[];
}

export function meshOf(objects: readonly AnyResource[]): { name: string; trustDomain: string; defaultNamespace: string } {
  const m = ofKind(objects, 'Mesh')[0] as Mesh | undefined;
  return {
    name: m?.metadata.name ?? 'default',
    trustDomain: m?.spec.trustDomain ?? 'cluster.local',
    defaultNamespace: m?.spec.defaults?.namespace ?? 'default',
  };
}

const selects = (sel: { matchLabels?: Record<string, string> } | undefined, labels: Record<string, string>) =>
  sel === undefined || Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
const oldestFirst = <T extends AnyResource>(a: T, b: T) =>
  (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || byName(a, b);

/**
 * The inbound mTLS mode of a workload, as Istio resolves PeerAuthentication: a policy selecting the workload
 * beats its namespace's policy, which beats the mesh-wide one (root namespace); the oldest wins a tie;
 * UNSET inherits from the next level; a port-level setting beats the workload-level one for that port.
 */
export function resolveMtls(objects: readonly AnyResource[], namespace: string, labels: Record<string, string>, appPort: number | undefined): MtlsMode {
  const pas = (objects.filter((o) => o.kind === 'PeerAuthentication') as PeerAuthentication[]).sort(oldestFirst);
  const workload = pas.find((p) => ns(p) === namespace && p.spec.selector !== undefined && selects(p.spec.selector, labels));
  const nsWide = pas.find((p) => ns(p) === namespace && p.spec.selector === undefined);
  const meshWide = pas.find((p) => ns(p) === ROOT_NAMESPACE && p.spec.selector === undefined);
  let mode: MtlsMode = DEFAULT_MTLS;
  for (const p of [meshWide, nsWide, workload]) {
    const m = p?.spec.mtls?.mode;
    if (m !== undefined && m !== 'UNSET') mode = m;
  }
  const port = appPort !== undefined ? workload?.spec.portLevelMtls?.[String(appPort)]?.mode : undefined;
  if (port !== undefined && port !== 'UNSET') mode = port;
  return mode;
}

/** AuthorizationPolicies that apply to a workload: its namespace's and the root namespace's, by selector. */
export function authzFor(objects: readonly AnyResource[], namespace: string, labels: Record<string, string>): AuthzPolicySnap[] {
  return (objects.filter((o) => o.kind === 'AuthorizationPolicy') as AuthorizationPolicy[])
    .filter((p) => (ns(p) === namespace || ns(p) === ROOT_NAMESPACE) && selects(p.spec.selector, labels))
    .sort(byName)
    .map((p) => ({ name: `${ns(p)}/${p.metadata.name}`, action: p.spec.action ?? 'ALLOW', rules: p.spec.rules ?? [] }));
}

/** The proxies the control plane runs for Gateways (one per Gateway object). */
export function gatewayProxies(state: MeshState): ProxyRef[] {
  return ofKind(state.objects, 'Gateway').map((g) => ({
    name: gatewayProxyName(g), kind: 'gateway' as const, workload: g.metadata.name, namespace: ns(g), serviceAccount: gatewayProxyName(g),
  }));
}

export function gatewayProxyName(g: Gateway): string {
  return `gateway-${g.metadata.name}`;
}

const ns = (o: { metadata: { namespace?: string } }) => o.metadata.namespace ?? 'default';

export function clusterName(service: string, namespace: string, port: number): string {
  return `${service}.${namespace}:${port}`;
}

function labelsMatch(selector: Record<string, string>, labels: Record<string, string>): boolean {
  const keys = Object.keys(selector);
  if (keys.length === 0) return false; // an empty selector selects nothing, as for Kubernetes Services with no selector
  return keys.every((k) => labels[k] === selector[k]);
}

function endpointsOf(svc: Service, state: MeshState): RegisteredEndpoint[] {
  return state.endpoints
    .filter((e) => e.namespace === ns(svc) && labelsMatch(svc.spec.selector, e.labels))
    .sort((a, b) => a.proxy.localeCompare(b.proxy));
}

export function translate(state: MeshState, proxy: ProxyRef): Snapshot {
  const mesh = meshOf(state.objects);
  const services = ofKind(state.objects, 'Service');
  const routes: Route[] = [...ofKind(state.objects, 'GRPCRoute'), ...ofKind(state.objects, 'HTTPRoute')];
  const svcIndex = new Map(services.map((s) => [`${ns(s)}/${s.metadata.name}`, s]));
  const faults = new Map(ofKind(state.objects, 'FaultInjection').map((f) => [`${ns(f)}/${f.metadata.name}`, f]));
  const clusters = new Map<string, ClusterSnap>();
  const locality = localityIndex(state.objects);

  const useCluster = (svc: Service, port: number): string => {
    const name = clusterName(svc.metadata.name, ns(svc), port);
    if (!clusters.has(name)) {
      const short = ns(svc) === proxy.namespace ? svc.metadata.name : `${svc.metadata.name}.${ns(svc)}`;
      const eps = endpointsOf(svc, state);
      clusters.set(name, {
        name, service: svc.metadata.name, namespace: ns(svc), port,
        authority: port === 80 ? short : `${short}:${port}`,
        identities: [...new Set(eps.map((e) => spiffeId(mesh.trustDomain, e.namespace, e.serviceAccount)))].sort(),
        retryBudget: retryBudgetOf(state.objects, svc),
        ...maxRequestsOf(state.objects, svc),
        ...outlierOf(state.objects, svc),
        ...loadBalancerOf(state.objects, svc),
        ...failoverAndChecksOf(policyOf(state.objects, svc), svc.spec.ports.find((p) => p.port === port)),
        endpoints: eps.map((e): EndpointSnap => ({
          proxy: e.proxy, address: e.address, port: e.port, ready: e.ready, labels: e.labels, workload: e.workload,
          tls: resolveMtls(state.objects, e.namespace, e.labels, e.appPort) === 'DISABLE' ? 'plaintext' : 'mtls',
          ...locality.ofWorkload(e.namespace, e.workload),
        })),
      });
    }
    return name;
  };

  const backendOf = (ref: BackendRef, routeNs: string): BackendSnap => {
    const bns = ref.namespace ?? routeNs;
    const label = `${bns}/${ref.name}${ref.port ? `:${ref.port}` : ''}`;
    const svc = ref.kind === 'Service' || ref.kind === undefined ? svcIndex.get(`${bns}/${ref.name}`) : undefined;
    let cluster: string | null = null;
    if (svc !== undefined) {
      const port = ref.port ?? (svc.spec.ports.length === 1 ? svc.spec.ports[0].port : undefined);
      if (port !== undefined && svc.spec.ports.some((p) => p.port === port)) cluster = useCluster(svc, port);
    }
    return { cluster, ref: label, weight: ref.weight ?? 1, filters: ref.filters ?? [] };
  };

  const meshSpec = (ofKind(state.objects, 'Mesh')[0] as Mesh | undefined)?.spec;
  const meshDefault: RouteTimeoutsSnap = { ...NO_TIMEOUTS, responseHeadersMs: durationOr(meshSpec?.traffic?.responseTimeout, DEFAULT_RESPONSE_HEADERS_TIMEOUT_MS) };
  // A rule with `timeouts` replaces the mesh default: its request/backendRequest (each "0s" = none) are all.
  const timeoutsOf = (rule: Pick<HTTPRouteRule, 'timeouts'>): RouteTimeoutsSnap => rule.timeouts === undefined ? meshDefault : {
    requestMs: durationOr(rule.timeouts.request, 0), backendRequestMs: durationOr(rule.timeouts.backendRequest, 0), responseHeadersMs: 0,
  };

  // One entry per match of each rule; an HTTPRoute's matches as they are, a GRPCRoute's as path matches.
  const entriesOf = (r: Route): RouteEntry[] => {
    const out: RouteEntry[] = [];
    const rns = ns(r);
    const rules: Route['spec']['rules'][number][] = r.spec.rules;
    const limits = rateLimitsOf(state.objects, r.kind, r.metadata.name, rns);
    rules.forEach((rule, ri) => {
      const backends = (rule.backendRefs ?? []).map((b) => backendOf(b, rns));
      const mirrors = (rule.filters ?? []).flatMap((f) => {
        if (f.type !== 'RequestMirror') return [];
        const m = f.requestMirror;
        const target = backendOf({ kind: 'Service', name: m.backendRef.name, namespace: m.backendRef.namespace, port: m.backendRef.port, weight: 1 }, rns);
        const percent = m.percent ?? (m.fraction !== undefined ? (100 * m.fraction.numerator) / (m.fraction.denominator ?? 100) : 100);
        return [{ cluster: target.cluster, ref: target.ref, percent }];
      });
      // A rule's FaultInjection (validation allows one per rule), looked up in the route's namespace.
      const faultRef = (rule.filters ?? []).find(isFaultRef);
      const fault = faultRef?.type === 'ExtensionRef' ? faultSnapOf(`${rns}/${faultRef.extensionRef.name}`, faults.get(`${rns}/${faultRef.extensionRef.name}`)) : undefined;
      const matches = r.kind === 'GRPCRoute' ? grpcMatchesOf(r.spec.rules[ri]) : httpMatchesOf(r.spec.rules[ri]);
      matches.forEach((m, mi) => {
        out.push({
          route: `${rns}/${r.metadata.name}`, rule: ri,
          order: { created: r.metadata.creationTimestamp ?? '', match: mi },
          ...m, filters: rule.filters ?? [], backends, timeouts: timeoutsOf(rule), ...(rule.retry !== undefined ? { retry: resolveRetry(rule.retry) } : {}), ...(mirrors.length > 0 ? { mirrors } : {}), ...(fault !== undefined ? { fault } : {}),
          ...(limits.length > 0 ? { rateLimits: limits } : {}),
        });
      });
    });
    return out;
  };

  // Sidecars: every service, with mesh routes (GAMMA) attached to its ports.
  const svcSnaps: ServiceSnap[] = [];
  if (proxy.kind === 'sidecar') {
    const vips = serviceAddresses(services.map((s) => ({ namespace: ns(s), name: s.metadata.name })));
    for (const svc of services) {
      const sns = ns(svc);
      const hosts = [`${svc.metadata.name}.${sns}`, `${svc.metadata.name}.${sns}.${CLUSTER_DOMAIN}`];
      if (sns === proxy.namespace) hosts.unshift(svc.metadata.name);
      const ports: ServicePortSnap[] = svc.spec.ports.map((p) => {
        const own = useCluster(svc, p.port);
        const attached = oneRouteKind(routes.filter((r) => (ns(r) === sns || ns(r) === proxy.namespace) && r.spec.parentRefs.some((pr) =>
          pr.kind === 'Service' && pr.name === svc.metadata.name && (pr.namespace ?? ns(r)) === sns && (pr.port === undefined || pr.port === p.port))));
        // GAMMA: a consumer route (in the caller's namespace) overrides producer routes for that caller.
        const consumer = attached.filter((r) => ns(r) !== sns);
        const producer = attached.filter((r) => ns(r) === sns);
        const chosen = consumer.length > 0 ? consumer : producer;
        const entries = chosen.length > 0 ? chosen.flatMap(entriesOf) : [defaultEntry(own, svc, p.port, meshDefault)];
        const tcp = portProtocol(p) === 'tcp';
        return { port: p.port, ...(p.name ? { name: p.name } : {}), ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}), ...(tcp ? { protocol: 'tcp' as const } : {}), routes: tcp ? [] : entries, cluster: own };
      });
      svcSnaps.push({ name: svc.metadata.name, namespace: sns, hosts, address: vips.get(`${sns}/${svc.metadata.name}`), ports });
    }
  }

  // Gateways: their listeners, with the routes attached to each.
  const listeners: ListenerSnap[] = [];
  if (proxy.kind === 'gateway') {
    const gw = ofKind(state.objects, 'Gateway').find((g) => g.metadata.name === proxy.workload && ns(g) === proxy.namespace);
    if (gw !== undefined) {
      const address = gw.spec.addresses?.[0]?.value ?? '127.0.0.1';
      for (const l of gw.spec.listeners) {
        listeners.push({
          name: l.name, gateway: `${ns(gw)}/${gw.metadata.name}`, address, port: l.port, protocol: l.protocol,
          ...(l.protocol === 'HTTPS' ? { ...(l.hostname !== undefined ? { hostname: l.hostname } : {}), tls: { certificates: certificatesOf(state.objects, gw, l) } } : {}),
          virtualHosts: virtualHosts(gw, l, routes, entriesOf),
        });
      }
    }
  }

  // This proxy's own workload: its labels and app port decide which security policies select it.
  const self = state.endpoints.find((e) => e.proxy === proxy.name);
  const wl = ofKind(state.objects, 'Workload').find((w) => w.metadata.name === proxy.workload && ns(w) === proxy.namespace) as Workload | undefined;
  const labels = self?.labels ?? wl?.metadata.labels ?? {};
  const appPort = self?.appPort ?? (wl && wl.spec.port !== 0 ? wl.spec.port : undefined);
  const meshObj = ofKind(state.objects, 'Mesh')[0] as Mesh | undefined;
  const inboundLimits = proxy.kind === 'sidecar' ? rateLimitsOf(state.objects, 'Workload', proxy.workload, proxy.namespace) : [];
  const body = {
    proxy: { name: proxy.name, kind: proxy.kind, workload: proxy.workload, namespace: proxy.namespace, ...locality.ofProxy(proxy) },
    mesh,
    services: svcSnaps,
    listeners,
    clusters: [...clusters.values()].sort((a, b) => a.name.localeCompare(b.name)),
    telemetry: resolveTelemetry(state.objects, proxy.namespace, labels),
    limits: resolveListenerLimits(meshObj?.spec),
    traffic: { connectTimeoutMs: durationOr(meshObj?.spec.traffic?.connectTimeout, DEFAULT_CONNECT_TIMEOUT_MS) },
    ...(inboundLimits.length > 0 ? { rateLimits: inboundLimits } : {}),
    security: {
      trustDomain: mesh.trustDomain,
      identity: spiffeId(mesh.trustDomain, proxy.namespace, proxy.serviceAccount),
      mtls: resolveMtls(state.objects, proxy.namespace, labels, appPort),
      authz: proxy.kind === 'sidecar' ? authzFor(state.objects, proxy.namespace, labels) : [],
      outboundTrafficPolicy: meshObj?.spec.outboundTrafficPolicy?.mode ?? 'ALLOW_ANY',
      escapedSlashes: (meshObj?.spec.pathNormalization?.escapedSlashes ?? 'REJECT').toLowerCase() as 'reject' | 'keep' | 'unescape',
    },
  };
  return { version: versionOf(body), ...body };
}

// A rule without matches (an object built without the schema's defaults) matches every request, every call.
function httpMatchesOf(rule: HTTPRouteRule): Pick<RouteEntry, 'match'>[] {
  const ms = rule.matches && rule.matches.length > 0 ? rule.matches : [{ path: { type: 'PathPrefix' as const, value: '/' } }];
  return ms.map((match) => ({ match }));
}

function grpcMatchesOf(rule: GRPCRouteRule): Pick<RouteEntry, 'match' | 'grpc'>[] {
  const ms = rule.matches && rule.matches.length > 0 ? rule.matches : [{}];
  return ms.map((m) => grpcEntryMatch(m.method, m.headers));
}

/**
 * The certificate and key of each of an HTTPS listener's certificateRefs that names a Secret of the
 * Gateway's namespace (other namespaces would need a ReferenceGrant). Only a gateway's snapshot has them.
 */
function certificatesOf(objects: readonly AnyResource[], gw: Gateway, l: GatewayListener): ListenerCertificateSnap[] {
  const out: ListenerCertificateSnap[] = [];
  for (const ref of l.tls?.certificateRefs ?? []) {
    if ((ref.namespace ?? ns(gw)) !== ns(gw) || (ref.group ?? '') !== '' || (ref.kind ?? 'Secret') !== 'Secret') continue;
    const s = objects.find((o): o is Secret => o.kind === 'Secret' && o.metadata.name === ref.name && ns(o) === ns(gw));
    const pair = s === undefined ? undefined : tlsPair(s);
    if (pair !== undefined) out.push({ secret: `${ns(gw)}/${ref.name}`, ...pair });
  }
  return out;
}

function defaultEntry(cluster: string, svc: Service, port: number, timeouts: RouteTimeoutsSnap): RouteEntry {
  return {
    route: 'default', rule: 0, order: { created: '', match: 0 },
    match: { path: { type: 'PathPrefix', value: '/' } }, filters: [],
    backends: [{ cluster, ref: `${ns(svc)}/${svc.metadata.name}:${port}`, weight: 1, filters: [] }],
    timeouts,
  };
}

/**
 * The limits of every RateLimitPolicy targeting one object (a Workload's inbound side, an HTTPRoute, a
 * GRPCRoute), policies by name: several may target it, and a request must have a token from each that counts it.
 */
function rateLimitsOf(objects: readonly AnyResource[], kind: 'Workload' | 'HTTPRoute' | 'GRPCRoute', name: string, namespace: string): RateLimitSnap[] {
  return ofKind(objects, 'RateLimitPolicy')
    .filter((p) => p.spec.targetRef.kind === kind && p.spec.targetRef.name === name && ns(p) === namespace)
    .flatMap((p) => p.spec.limits.map((l, index): RateLimitSnap => ({
      policy: `${ns(p)}/${p.metadata.name}`, index,
      requests: l.requests, perMs: durationOr(l.per, 1000), burst: l.burst ?? l.requests,
      by: typeof l.by === 'object' ? { header: l.by.header.toLowerCase() } : l.by ?? 'none',
      ...(l.match !== undefined ? { match: l.match } : {}),
    })));
}

/** The TrafficPolicy that targets `svc`, if any. */
function policyOf(objects: readonly AnyResource[], svc: Service): TrafficPolicy | undefined {
  return ofKind(objects, 'TrafficPolicy').find((p) => p.spec.targetRef.name === svc.metadata.name && ns(p) === ns(svc)) as TrafficPolicy | undefined;
}

/** Outlier detection of traffic to `svc`, when its TrafficPolicy asks for it: its fields over weft's defaults. */
function outlierOf(objects: readonly AnyResource[], svc: Service): { outlierDetection?: OutlierDetectionSnap } {
  const tp = policyOf(objects, svc);
  const o = tp?.spec.outlierDetection;
  if (o === undefined) return {};
  const d = DEFAULT_OUTLIER;
  const ms = (v: string | undefined, def: number) => (v === undefined ? def : parseGatewayDuration(v) ?? def);
  return {
    outlierDetection: {
      consecutive5xxErrors: o.consecutive5xxErrors ?? d.consecutive5xxErrors,
      consecutiveGatewayErrors: o.consecutiveGatewayErrors ?? d.consecutiveGatewayErrors,
      intervalMs: ms(o.interval, d.intervalMs),
      baseEjectionMs: ms(o.baseEjectionTime, d.baseEjectionMs),
      maxEjectionMs: ms(o.maxEjectionTime, d.maxEjectionMs),
      maxEjectionPercent: o.maxEjectionPercent ?? d.maxEjectionPercent,
      panicThresholdPercent: o.panicThreshold ?? d.panicThresholdPercent,
    },
  };
}

/** The circuit breaker's request limit for traffic to `svc`, when its TrafficPolicy sets one. */
function maxRequestsOf(objects: readonly AnyResource[], svc: Service): { maxRequests?: number; connectionPool?: ConnectionPoolSnap } {
  const cb = policyOf(objects, svc)?.spec.circuitBreaker;
  if (cb === undefined) return {};
  const ms = (v: string | undefined) => (v === undefined ? undefined : parseGatewayDuration(v) ?? undefined);
  const pool: ConnectionPoolSnap = {
    ...(cb.maxConnections !== undefined ? { maxConnections: cb.maxConnections } : {}),
    ...(cb.maxPendingRequests !== undefined ? { maxPendingRequests: cb.maxPendingRequests } : {}),
    ...(ms(cb.connectTimeout) !== undefined ? { connectTimeoutMs: ms(cb.connectTimeout) } : {}),
    ...(ms(cb.idleTimeout) !== undefined ? { idleTimeoutMs: ms(cb.idleTimeout) } : {}),
  };
  return { ...(cb.maxRequests !== undefined ? { maxRequests: cb.maxRequests } : {}), ...(Object.keys(pool).length > 0 ? { connectionPool: pool } : {}) };
}

/** The retry budget of traffic to `svc`: its TrafficPolicy's, field by field over the defaults. */
function retryBudgetOf(objects: readonly AnyResource[], svc: Service): RetryBudgetSnap {
  const tp = policyOf(objects, svc);
  const b = tp?.spec.retryBudget;
  return {
    retryRatio: b?.retryRatio ?? DEFAULT_RETRY_BUDGET.retryRatio,
    minRetriesPerSecond: b?.minRetriesPerSecond ?? DEFAULT_RETRY_BUDGET.minRetriesPerSecond,
    // circuitBreaker.maxRetries is the same limit (Envoy's circuit_breakers.max_retries); checks.ts refuses two values.
    maxRetries: b?.maxRetries ?? tp?.spec.circuitBreaker?.maxRetries ?? DEFAULT_RETRY_BUDGET.maxRetries,
  };
}

/** The balancing policy of traffic to `svc`, from its TrafficPolicy (none: the proxy's default, EWMA). */
function loadBalancerOf(objects: readonly AnyResource[], svc: Service): { loadBalancer?: LoadBalancerSnap } {
  const tp = policyOf(objects, svc);
  const lb = tp?.spec.loadBalancer;
  if (lb === undefined) return {};
  const h = lb.hashOn;
  const hashOn: HashOnSnap | undefined = h?.header !== undefined ? { header: h.header.toLowerCase() }
    : h?.cookie !== undefined ? { cookie: { name: h.cookie.name, path: h.cookie.path ?? '/', ttlSeconds: Math.round(durationOr(h.cookie.ttl, 0) / 1000) } }
    : h?.sourceIP === true ? { sourceIP: true } : undefined;
  return {
    loadBalancer: {
      type: lb.type ?? 'EWMA',
      ...(hashOn !== undefined ? { hashOn } : {}),
      ...(lb.ringSize !== undefined ? { ringSize: lb.ringSize } : {}),
      ...(lb.tableSize !== undefined ? { tableSize: lb.tableSize } : {}),
      ...(lb.slowStart !== undefined ? { slowStart: { windowMs: durationOr(lb.slowStart.window, 0), aggression: lb.slowStart.aggression ?? 1, minWeight: (lb.slowStart.minWeightPercent ?? 10) / 100 } } : {}),
    },
  };
}

function durationOr(text: string | undefined, dflt: number): number {
  return text === undefined ? dflt : parseGatewayDuration(text) ?? dflt;
}

/** Hostnames both the listener and the route accept (Gateway API hostname intersection). */
export function intersectHostnames(listener: string | undefined, route: string[] | undefined): string[] {
  const rh = route && route.length > 0 ? route : undefined;
  if (listener === undefined) return rh ?? ['*'];
  if (rh === undefined) return [listener];
  const out: string[] = [];
  for (const h of rh) {
    if (h === listener) out.push(h);
    else if (listener.startsWith('*.') && !h.startsWith('*.') && h.endsWith(listener.slice(1))) out.push(h);
    else if (h.startsWith('*.') && !listener.startsWith('*.') && listener.endsWith(h.slice(1))) out.push(listener);
    else if (h.startsWith('*.') && listener.startsWith('*.')) {
      if (h.endsWith(listener.slice(1))) out.push(h);
      else if (listener.endsWith(h.slice(1))) out.push(listener);
    }
  }
  return [...new Set(out)];
}

/**
 * The routes of one listener by virtual host. An HTTPRoute and a GRPCRoute whose hostnames on the listener
 * overlap cannot both be accepted (GRPCRoute spec, `hostnames`): the older one is, then the first by
 * "{namespace}/{name}"; the other serves nothing on this listener.
 */
function virtualHosts(gw: Gateway, l: GatewayListener, routes: Route[], entriesOf: (r: Route) => RouteEntry[]): VirtualHostSnap[] {
  const candidates: { r: Route; domains: string[] }[] = [];
  for (const r of routes) {
    const attached = r.spec.parentRefs.some((pr) =>
      (pr.kind ?? 'Gateway') === 'Gateway' && pr.name === gw.metadata.name && (pr.namespace ?? ns(r)) === ns(gw) &&
      (pr.sectionName === undefined || pr.sectionName === l.name) && (pr.port === undefined || pr.port === l.port));
    // Listeners allow routes from their own namespace by default (allowedRoutes.namespaces.from: Same).
    if (!attached || ns(r) !== ns(gw)) continue;
    const domains = intersectHostnames(l.hostname, r.spec.hostnames);
    if (domains.length > 0) candidates.push({ r, domains });
  }
  candidates.sort((a, b) => routeAge(a.r, b.r));
  const accepted: typeof candidates = [];
  for (const c of candidates) {
    const conflict = accepted.some((a) => a.r.kind !== c.r.kind && a.domains.some((x) => c.domains.some((y) => hostnamesOverlap(x, y))));
    if (!conflict) accepted.push(c);
  }
  const byDomain = new Map<string, RouteEntry[]>();
  for (const { r, domains } of accepted) {
    const entries = entriesOf(r);
    for (const d of domains) byDomain.set(d, [...(byDomain.get(d) ?? []), ...entries]);
  }
  const rank = (d: string) => (d === '*' ? 2 : d.startsWith('*.') ? 1 : 0);
  return [...byDomain.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || b.length - a.length || a.localeCompare(b))
    .map(([d, routes]) => ({ domains: [d], routes }));
}

type Route = HTTPRoute | GRPCRoute;

/** Gateway API order between routes: the oldest first (no timestamp: newest), then by "{namespace}/{name}". */
function routeAge(a: Route, b: Route): number {
  const ta = Date.parse(a.metadata.creationTimestamp ?? '');
  const tb = Date.parse(b.metadata.creationTimestamp ?? '');
  const x = Number.isNaN(ta) ? Infinity : ta;
  const y = Number.isNaN(tb) ? Infinity : tb;
  if (x !== y) return x < y ? -1 : 1;
  const ka = `${ns(a)}/${a.metadata.name}`;
  const kb = `${ns(b)}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Whether some host name matches both patterns ("*", "*.example.com" or an exact name). */
export function hostnamesOverlap(a: string, b: string): boolean {
  return a === '*' || b === '*' || intersectHostnames(a, [b]).length > 0;
}

/**
 * GAMMA (GEP-1426): when routes of different kinds attach to one Service port, only one kind applies, the most
 * specific: GRPCRoute over HTTPRoute.
 */
function oneRouteKind(attached: Route[]): Route[] {
  return attached.some((r) => r.kind === 'GRPCRoute') ? attached.filter((r) => r.kind === 'GRPCRoute') : attached;
}

/**
 * A GRPCRoute match as the route table carries it: the call's path "/<service>/<method>" as a path match
 * (Exact for both names, a PathPrefix for a service alone, else a regular expression), its headers, and the
 * method match itself for GRPCRoute precedence. The leading "." of a fully-qualified Exact service name is
 * not part of the path.
 */
export function grpcEntryMatch(method: GRPCMethodMatch | undefined, headers: RouteEntry['match']['headers']): Pick<RouteEntry, 'match' | 'grpc'> {
  const fq = method !== undefined && (method.type ?? 'Exact') === 'Exact' && method.service?.startsWith('.') === true;
  const mm = method === undefined ? undefined : fq ? { ...method, service: method.service!.slice(1) } : method;
  return {
    match: { path: grpcPath(mm), ...(headers !== undefined && headers.length > 0 ? { headers } : {}) },
    grpc: mm === undefined ? {} : { method: mm },
  };
}

const SEGMENT = '[^/]+';
// At the end of a path regex: the path up to here has exactly two segments, so neither pattern spans a "/".
const TWO_SEGMENTS = '(?<=^/[^/]*/[^/]*)';

function grpcPath(m: GRPCMethodMatch | undefined): PathMatch {
  if (m === undefined || (m.service === undefined && m.method === undefined)) return { type: 'PathPrefix', value: '/' };
  if ((m.type ?? 'Exact') === 'Exact') {
    if (m.service !== undefined && m.method !== undefined) return { type: 'Exact', value: `/${m.service}/${m.method}` };
    if (m.service !== undefined) return { type: 'PathPrefix', value: `/${m.service}/` };
    return { type: 'RegularExpression', value: `/${SEGMENT}/${escapeRegExp(m.method!)}` };
  }
  const svc = m.service === undefined ? SEGMENT : `(?:${m.service})`;
  const meth = m.method === undefined ? SEGMENT : `(?:${m.method})`;
  return { type: 'RegularExpression', value: `/${svc}/${meth}${TWO_SEGMENTS}` };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

export function versionOf(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 12);
}

/** The Mesh's spec.listeners with weft's defaults for what it leaves out. */
export function resolveListenerLimits(spec: Mesh['spec'] | undefined): ListenerLimitsSnap {
  const l = spec?.listeners;
  const d = DEFAULT_LISTENER_LIMITS;
  return {
    headerTimeoutMs: (l?.requestHeadersTimeout !== undefined ? parseGoDuration(l.requestHeadersTimeout) : undefined) ?? d.headerTimeoutMs,
    idleTimeoutMs: (l?.idleTimeout !== undefined ? parseGoDuration(l.idleTimeout) : undefined) ?? d.idleTimeoutMs,
    maxConnections: l?.maxConnections ?? d.maxConnections,
    maxHeadBytes: l?.maxRequestHeadersKb !== undefined ? l.maxRequestHeadersKb * 1024 : d.maxHeadBytes,
    maxHeaders: l?.maxRequestHeaders ?? d.maxHeaders,
    maxRequestLine: l?.maxRequestLineBytes ?? d.maxRequestLine,
  };
}
