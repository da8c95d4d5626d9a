// The per-proxy configuration the control plane pushes (see docs/push-protocol.md).
// It is computed by control/translate from mesh state and holds only what that one proxy needs.
// Everything here is plain JSON so it can be hashed, diffed and dumped.

import type { AuthzRule, GRPCMethodMatch, HTTPRouteFilter, HTTPRouteMatch, MtlsMode } from './types.js';
import type { ResolvedTelemetry } from './telemetry.js';
import type { ListenerLimitsSnap } from './limits.js';
import type { FaultSnap } from './fault.js';
import type { LoadBalancerSnap, RetryBudgetSnap, RetrySnap, RouteTimeoutsSnap, TrafficSnap, OutlierDetectionSnap, LocalitySnap, LocalityFailoverSnap, HealthCheckSnap } from './traffic.js';
import type { RateLimitSnap } from './ratelimit.js';

export interface Snapshot {
  /** Content hash of everything below: equal state gives an equal version, across control restarts. */
  version: string;
  /** `locality`: where this proxy's workload (or gateway) runs, when it says; locality failover orders endpoints by it. */
  proxy: { name: string; kind: 'sidecar' | 'gateway'; workload: string; namespace: string; locality?: LocalitySnap };
  mesh: { name: string; trustDomain: string; defaultNamespace: string };
  /** Sidecars: every mesh service this proxy may call (its outbound). Gateways: empty. */
  services: ServiceSnap[];
  /** Gateways: the listeners to bind. Sidecars: empty. */
  listeners: ListenerSnap[];
  /** Backends: one per (service, port), keyed by ClusterSnap.name. */
  clusters: ClusterSnap[];
  security: SecuritySnap;
  /** Access logs, tracing and metrics for this proxy, resolved from Telemetry objects. */
  telemetry: ResolvedTelemetry;
  /** What every listener of this proxy enforces (Mesh spec.listeners with defaults). */
  limits?: ListenerLimitsSnap;
  traffic?: TrafficSnap;
  /** Sidecars: the local rate limits of RateLimitPolicies targeting this workload (its inbound side); absent: none. */
  rateLimits?: RateLimitSnap[];
}

export interface SecuritySnap {
  trustDomain: string;
  /** This proxy's own SPIFFE ID (what its certificate says). */
  identity: string;
  /** Inbound mTLS mode for this workload's port, resolved from PeerAuthentication (workload > namespace > mesh). */
  mtls: MtlsMode;
  /** AuthorizationPolicies selecting this workload (inbound), in evaluation-independent order. */
  authz: AuthzPolicySnap[];
  /** What the outbound side does with a host that is not a mesh service. */
  outboundTrafficPolicy: 'ALLOW_ANY' | 'REGISTRY_ONLY';
  /** Paths with an escaped slash (%2F, %5C): rejected with 400, kept, or unescaped. */
  escapedSlashes: 'reject' | 'keep' | 'unescape';
}

export interface AuthzPolicySnap {
  /** "<namespace>/<name>" */
  name: string;
  action: 'ALLOW' | 'DENY' | 'AUDIT';
  rules: AuthzRule[];
}

export interface ServiceSnap {
  name: string;
  namespace: string;
  /** Names this service answers to: "svc.ns", "svc.ns.svc.cluster.local", and "svc" when in the proxy's namespace. */
  hosts: string[];
  /** Its virtual IP (src/api/vip.ts): captured connections to it are this service's. */
  address?: string;
  ports: ServicePortSnap[];
}

export interface ServicePortSnap {
  port: number;
  name?: string;
  appProtocol?: string;
  /** 'tcp': an opaque TCP port, tunnelled byte for byte over mTLS (src/api/protocol.ts); absent: HTTP. */
  protocol?: 'tcp';
  /** Mesh (GAMMA) routes attached to this service port; when none is attached, one default route to `cluster`. */
  routes: RouteEntry[];
  /** This service port's own backend. */
  cluster: string;
}

export interface ListenerSnap {
  name: string;
  /** "<gateway namespace>/<gateway name>" */
  gateway: string;
  address: string;
  port: number;
  protocol: 'HTTP' | 'HTTPS';
  /** HTTPS: the TLS server name (SNI) this listener's certificates answer; absent: the port's default certificate. */
  hostname?: string;
  /**
   * HTTPS: the certificate chain and key of each certificateRef that resolved (none: handshakes for this
   * listener's names fail). Only gateway snapshots carry keys; dumps show them redacted (redactSnapshot).
   */
  tls?: { certificates: ListenerCertificateSnap[] };
  /** Ordered most specific first: exact hostnames, then longer wildcards, then "*". */
  virtualHosts: VirtualHostSnap[];
}

export interface ListenerCertificateSnap {
  /** "<namespace>/<name>" of the Secret. */
  secret: string;
  certPem: string;
  keyPem: string;
}

export const REDACTED = '[redacted]';

/** The snapshot as dumps show it (proxy admin /config_dump, `weft proxy-config`): private keys replaced. */
export function redactSnapshot(s: Snapshot): Snapshot {
  if (!s.listeners.some((l) => l.tls !== undefined)) return s;
  return {
    ...s,
    listeners: s.listeners.map((l) => l.tls === undefined ? l : { ...l, tls: { certificates: l.tls.certificates.map((c) => ({ ...c, keyPem: REDACTED })) } }),
  };
}

export interface VirtualHostSnap {
  /** "example.com", "*.example.com" or "*". */
  domains: string[];
  routes: RouteEntry[];
}

/** One match of one rule of one HTTPRoute or GRPCRoute (a rule with N matches gives N entries). */
export interface RouteEntry {
  /** "<namespace>/<name>" of the HTTPRoute or GRPCRoute, or "default" for the implicit route of a service. */
  route: string;
  rule: number;
  /** Gateway API tie-breakers after match specificity: older route first, then route name, then rule/match order. */
  order: { created: string; match: number };
  /** A GRPCRoute's match as a path match ("/<service>/<method>") and its headers. */
  match: HTTPRouteMatch;
  /**
   * Present on a GRPCRoute's entries only: its method match (absent: every call; a service without its leading
   * "."). Such entries are ordered by GRPCRoute precedence, not HTTPRoute's.
   */
  grpc?: { method?: GRPCMethodMatch };
  filters: HTTPRouteFilter[];
  backends: BackendSnap[];
  /** Resolved: the rule's own timeouts, or the mesh default. Absent in snapshots from before timeouts (none). */
  timeouts?: RouteTimeoutsSnap;
  /** The rule's retry policy; absent: no retries. */
  retry?: RetrySnap;
  /** The rule's RequestMirror filters, resolved: a copy of `percent` % of requests to `cluster` (null: unresolved, skipped). */
  mirrors?: { cluster: string | null; ref: string; percent: number }[];
  /** The rule's FaultInjection (an ExtensionRef filter), resolved; absent: no fault. */
  fault?: FaultSnap;
  /** The local rate limits of RateLimitPolicies targeting this entry's route; absent: none. */
  rateLimits?: RateLimitSnap[];
}

export interface BackendSnap {
  /** ClusterSnap.name, or null when the backendRef cannot be resolved (requests to it get 500 backend-not-found). */
  cluster: string | null;
  /** What the backendRef named, for errors and status. */
  ref: string;
  weight: number;
  filters: HTTPRouteFilter[];
}

export interface ClusterSnap {
  /** "<service>.<namespace>:<port>" */
  name: string;
  service: string;
  namespace: string;
  port: number;
  /** Host header a request gets when an app reached this service through its local upstream port. */
  authority: string;
  /** SPIFFE IDs allowed to serve this service: a server presenting any other identity is refused. */
  identities: string[];
  endpoints: EndpointSnap[];
  /** From a TrafficPolicy targeting the Service, else the defaults (src/api/traffic.ts). */
  retryBudget?: RetryBudgetSnap;
  /** Passive outlier detection, when a TrafficPolicy asks for it. */
  outlierDetection?: OutlierDetectionSnap;
  /** Most requests in flight from one proxy to this service (TrafficPolicy circuitBreaker.maxRequests); absent: no limit. */
  maxRequests?: number;
  /** Connection limits of one proxy towards each endpoint of this service (TrafficPolicy circuitBreaker). */
  connectionPool?: ConnectionPoolSnap;
  /** From a TrafficPolicy targeting the Service; absent: EWMA. */
  loadBalancer?: LoadBalancerSnap;
  /** Endpoints in priority levels by the caller's locality (TrafficPolicy localityFailover); absent: one level. */
  localityFailover?: LocalityFailoverSnap;
  /** Active health checks by each calling proxy (TrafficPolicy healthCheck); absent: none. */
  healthCheck?: HealthCheckSnap;
}

/** Per endpoint, from one proxy; absent fields keep the proxy's defaults. */
export interface ConnectionPoolSnap {
  /** HTTP/1.1 connections to one endpoint (TCP services: connections to the service). */
  maxConnections?: number;
  /** Requests waiting for one of those connections; past it: 503 overflow. */
  maxPendingRequests?: number;
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
}

export interface EndpointSnap {
  /** Proxy name of the replica behind it (its inbound listener). */
  proxy: string;
  address: string;
  port: number;
  ready: boolean;
  labels: Record<string, string>;
  workload: string;
  /** "mtls" unless the endpoint's PeerAuthentication mode is DISABLE (then plaintext, like Istio's auto mTLS). */
  tls: 'mtls' | 'plaintext';
  /** Where the replica runs, when its Workload says. */
  locality?: LocalitySnap;
}
