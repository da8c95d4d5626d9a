// The config contract: the resource kinds weft reads, as typed values after validation and defaulting.
// Field-by-field documentation with defaults lives in docs/config-reference.md; the JSON Schemas in
// src/api/schemas.ts are the source of truth for what is accepted.

export const WEFT_API = 'weft.dev/v1alpha1';
export const GATEWAY_API = 'gateway.networking.k8s.io/v1';

export interface ObjectMeta {
  name: string;
  /** Defaults to the Mesh's spec.defaults.namespace ("default"). */
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Set by the store on first write (RFC 3339); Gateway API precedence uses it. */
  creationTimestamp?: string;
}

export interface Resource<K extends string = string, S = unknown> {
  apiVersion: string;
  kind: K;
  metadata: ObjectMeta;
  spec: S;
}

export interface MeshSpec {
  /** SPIFFE trust domain. Default "cluster.local". */
  trustDomain: string;
  /** Calls to hosts that are not mesh services: ALLOW_ANY passes them through, REGISTRY_ONLY refuses them. Default ALLOW_ANY. */
  outboundTrafficPolicy?: { mode: 'ALLOW_ANY' | 'REGISTRY_ONLY' };
  /** Workload certificate lifetime, e.g. "24h", "90m". Default "24h". */
  certificateLifetime?: string;
  /** What proxies do with %2F / %5C in a path: REJECT (400, default), KEEP them escaped, or UNESCAPE them. */
  pathNormalization?: { escapedSlashes: 'REJECT' | 'KEEP' | 'UNESCAPE' };
  defaults: {
    /** Namespace for objects that name none. Default "default". */
    namespace: string;
  };
  /** Mesh-wide traffic defaults (src/api/traffic.ts): the wait for a response head, and connecting to an endpoint. */
  traffic?: { responseTimeout?: string; connectTimeout?: string };
  /** Protections of every proxy listener (defaults: src/api/limits.ts). */
  listeners?: {
    requestHeadersTimeout?: string;
    idleTimeout?: string;
    maxConnections?: number;
    maxRequestHeadersKb?: number;
    maxRequestHeaders?: number;
    maxRequestLineBytes?: number;
  };
}
export type Mesh = Resource<'Mesh', MeshSpec>;

export interface HttpGetProbe {
  path: string;
}
export interface WorkloadSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
  /** Working directory, relative to the file that declared the workload. Default: that file's directory. */
  cwd?: string;
  replicas: number;
  /** Default "default". */
  serviceAccount: string;
  /** The app's port, given to it as PORT. 0 (default) lets the runtime pick a free port per replica. */
  port: number;
  readinessProbe?: { httpGet: HttpGetProbe; periodSeconds: number };
  /**
   * What happens when the app exits (Kubernetes' Pod restartPolicy). Always (default): restarted with
   * backoff. OnFailure: restarted unless it exited with code 0. Never: not restarted. A replica whose app is
   * not restarted is done: its sidecar stops with it, and it is not replaced (a one-shot job).
   */
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  /** The joined host (`weft join --name`) that runs its replicas; absent: the host that runs the control plane. */
  host?: string;
  /** Where its replicas run (locality failover prefers callers' own zone, then region). */
  locality?: { region: string; zone?: string };
  /**
   * Transparent capture: its sidecar listens on outboundPort for the connections iptables redirects there
   * (`weft capture install --outbound-port`); the app gets no HTTP_PROXY or <SERVICE>_URL and calls services by name.
   */
  capture?: { outboundPort: number };
}
/** Replica labels are metadata.labels (what Service selectors match). */
export type Workload = Resource<'Workload', WorkloadSpec>;

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  appProtocol?: string;
  protocol: 'TCP';
}
export interface ServiceSpec {
  selector: Record<string, string>;
  ports: ServicePort[];
}
export type Service = Resource<'Service', ServiceSpec>;

export interface GatewayListener {
  name: string;
  port: number;
  /** HTTPS: TLS is terminated at the gateway with the certificates of `tls.certificateRefs`. */
  protocol: 'HTTP' | 'HTTPS';
  hostname?: string;
  /** Required for HTTPS, refused for HTTP. */
  tls?: GatewayListenerTls;
}
export interface GatewayListenerTls {
  /** Terminate (default); Passthrough is refused. */
  mode: 'Terminate';
  /** Gateway API SecretObjectReference: a core Secret of type kubernetes.io/tls, in the Gateway's namespace. */
  certificateRefs: { group: ''; kind: 'Secret'; name: string; namespace?: string }[];
}
export interface GatewaySpec {
  gatewayClassName: string;
  listeners: GatewayListener[];
  /** Local mode: the bind address. Default 127.0.0.1. */
  addresses?: { type?: 'IPAddress'; value: string }[];
}
export type Gateway = Resource<'Gateway', GatewaySpec>;

export interface ParentRef {
  group?: string;
  /** "Gateway" (default) or "Service" (mesh routing, GAMMA). */
  kind: 'Gateway' | 'Service';
  name: string;
  namespace?: string;
  sectionName?: string;
  port?: number;
}

export type PathMatch = { type: 'Exact' | 'PathPrefix' | 'RegularExpression'; value: string };
export type HeaderMatch = { type: 'Exact' | 'RegularExpression'; name: string; value: string };
export type QueryParamMatch = { type: 'Exact' | 'RegularExpression'; name: string; value: string };
export interface HTTPRouteMatch {
  /** Default { type: PathPrefix, value: "/" }. */
  path: PathMatch;
  headers?: HeaderMatch[];
  queryParams?: QueryParamMatch[];
  method?: string;
}

export interface HeaderValue {
  name: string;
  value: string;
}
export interface HeaderModifier {
  set?: HeaderValue[];
  add?: HeaderValue[];
  remove?: string[];
}
export type PathModifier =
  | { type: 'ReplaceFullPath'; replaceFullPath: string }
  | { type: 'ReplacePrefixMatch'; replacePrefixMatch: string };
export type HTTPRouteFilter =
  | { type: 'RequestHeaderModifier'; requestHeaderModifier: HeaderModifier }
  | { type: 'ResponseHeaderModifier'; responseHeaderModifier: HeaderModifier }
  | { type: 'URLRewrite'; urlRewrite: { hostname?: string; path?: PathModifier } }
  | { type: 'RequestMirror'; requestMirror: RequestMirror }
  /** Gateway API LocalObjectReference; weft's one extension: group weft.dev, kind FaultInjection (src/api/fault.ts). */
  | { type: 'ExtensionRef'; extensionRef: { group: string; kind: string; name: string } }
  | {
      type: 'RequestRedirect';
      requestRedirect: {
        scheme?: 'http' | 'https';
        hostname?: string;
        path?: PathModifier;
        port?: number;
        /** 301 or 302 (default). */
        statusCode: 301 | 302 | 303 | 307 | 308;
      };
    };

export interface BackendRef {
  group?: string;
  kind: 'Service';
  name: string;
  namespace?: string;
  port?: number;
  /** Default 1. 0 means never chosen. */
  weight: number;
  filters?: HTTPRouteFilter[];
}
export interface HTTPRouteRule {
  name?: string;
  /** Default: one match, PathPrefix "/". */
  matches: HTTPRouteMatch[];
  filters?: HTTPRouteFilter[];
  backendRefs?: BackendRef[];
  /** Gateway API durations ("10s", "500ms"; "0s" = none). */
  timeouts?: { request?: string; backendRequest?: string };
  /** GEP-1731 (attempts, backoff, codes) and weft's extensions. */
  retry?: HTTPRouteRetry;
}
export interface HTTPRouteSpec {
  parentRefs: ParentRef[];
  hostnames?: string[];
  rules: HTTPRouteRule[];
}
export type HTTPRoute = Resource<'HTTPRoute', HTTPRouteSpec>;

/** GRPCRoute: matches a gRPC call by its service and/or method (the request path "/<service>/<method>"). */
export interface GRPCMethodMatch {
  /** Default Exact. */
  type: 'Exact' | 'RegularExpression';
  /** Absent: any service. At least one of service and method is set. */
  service?: string;
  /** Absent: any method. */
  method?: string;
}
export interface GRPCRouteMatch {
  /** Absent: every service and method. */
  method?: GRPCMethodMatch;
  headers?: HeaderMatch[];
}
/** The filters a GRPCRoute has: HTTPRoute's filters of the same names and shapes. */
export type GRPCRouteFilter = Extract<HTTPRouteFilter, { type: 'RequestHeaderModifier' | 'ResponseHeaderModifier' | 'RequestMirror' | 'ExtensionRef' }>;
export interface GRPCBackendRef extends Omit<BackendRef, 'filters'> {
  filters?: GRPCRouteFilter[];
}
export interface GRPCRouteRule {
  name?: string;
  /** Default: one match that matches every call ({}). */
  matches: GRPCRouteMatch[];
  filters?: GRPCRouteFilter[];
  backendRefs?: GRPCBackendRef[];
  /** weft's extension (the Gateway API GRPCRoute has none yet): as HTTPRoute's rule `timeouts`. */
  timeouts?: { request?: string; backendRequest?: string };
  /** weft's extension: as HTTPRoute's rule `retry` (HTTP statuses and failure classes; gRPC status names not yet). */
  retry?: HTTPRouteRetry;
}
export interface GRPCRouteSpec {
  parentRefs: ParentRef[];
  hostnames?: string[];
  rules: GRPCRouteRule[];
}
export type GRPCRoute = Resource<'GRPCRoute', GRPCRouteSpec>;

export type AnyResource = Mesh | Workload | Service | Gateway | HTTPRoute | GRPCRoute | PeerAuthentication | AuthorizationPolicy | Telemetry | TrafficPolicy | FaultInjection | RateLimitPolicy | Secret;
/**
 * Core v1 Secret, as Kubernetes defines it, of type kubernetes.io/tls only (Gateway certificates). No spec:
 * `data` holds base64 values, `stringData` plain text that wins over `data` for the same key.
 */
export interface Secret {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: ObjectMeta;
  /** Never present (the schema refuses it); declared so code that reads `.spec` of any object still compiles. */
  spec?: undefined;
  type: 'kubernetes.io/tls';
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

/** Gateway API RequestMirror: a copy of each request (or `percent` / `fraction` of them) to another Service. */
export interface RequestMirror {
  backendRef: { group?: string; kind?: 'Service'; name: string; namespace?: string; port?: number };
  percent?: number;
  fraction?: { numerator: number; denominator: number };
}

export interface HTTPRouteRetry {
  /** Retries after the first try. Default 2. */
  attempts: number;
  /** Base of the exponential backoff (full jitter). Default 25ms. */
  backoff?: string;
  /** Cap of one backoff. Default 10 x backoff. */
  maxBackoff?: string;
  /** Response statuses that are retried. */
  codes?: number[];
  /** Failure classes that are retried (weft). Default: connect-failure, reset, gateway-error (with `codes`: connect-failure, reset). */
  retryOn?: ('connect-failure' | 'reset' | 'gateway-error' | '5xx')[];
  /** Retry POST, PATCH and other non-idempotent methods on more than connect failures. Default false. */
  nonIdempotent: boolean;
}

/** weft.dev/v1alpha1 TrafficPolicy: how proxies send traffic to one Service. */
export interface TrafficPolicySpec {
  targetRef: { group?: string; kind: 'Service'; name: string };
  retryBudget?: { retryRatio?: number; minRetriesPerSecond?: number; maxRetries?: number };
  outlierDetection?: { consecutive5xxErrors?: number; consecutiveGatewayErrors?: number; interval?: string; baseEjectionTime?: string; maxEjectionTime?: string; maxEjectionPercent?: number; panicThreshold?: number };
  /** Overflow fails fast with 503 overflow (flag UO). docs/resilience.md. */
  circuitBreaker?: { maxRequests?: number; maxConnections?: number; maxPendingRequests?: number; maxRetries?: number; connectTimeout?: string; idleTimeout?: string };
  loadBalancer?: {
    type: 'EWMA' | 'LEAST_REQUEST' | 'ROUND_ROBIN' | 'RING_HASH' | 'MAGLEV';
    hashOn?: { header?: string; cookie?: { name: string; path: string; ttl?: string }; sourceIP?: boolean };
    ringSize?: number;
    tableSize?: number;
    slowStart?: { window: string; aggression: number; minWeightPercent: number };
  };
  /** Prefer endpoints in the caller's zone, then region (Istio's localityLbSetting failover). */
  localityFailover?: { enabled: boolean; failover?: { from: string; to: string }[] };
  /** Active health checks (Envoy's health_check); durations as Gateway API durations. */
  healthCheck?: { path: string; interval?: string; timeout?: string; unhealthyThreshold?: number; healthyThreshold?: number };
}
export type TrafficPolicy = Resource<'TrafficPolicy', TrafficPolicySpec>;

/** weft.dev/v1alpha1 FaultInjection (Istio's HTTPFaultInjection), used by route rules through an ExtensionRef filter. */
export interface FaultInjectionSpec {
  /** Hold `percentage` % of requests (default 100) for `fixedDelay`, then send them on. */
  delay?: { fixedDelay: string; percentage: number };
  /** Answer `percentage` % of requests (default 100) without calling the backend: exactly one of httpStatus and grpcStatus. */
  abort?: { httpStatus?: number; grpcStatus?: string | number; percentage: number };
  /** Only requests carrying these headers are faulted. */
  match?: { headers?: HeaderMatch[] };
}
export type FaultInjection = Resource<'FaultInjection', FaultInjectionSpec>;
/** weft.dev/v1alpha1 RateLimitPolicy: local token-bucket limits on a workload's inbound side or on a route. */
export interface RateLimitPolicySpec {
  targetRef: { group?: string; kind: 'Workload' | 'HTTPRoute' | 'GRPCRoute'; name: string };
  limits: RateLimit[];
}
export interface RateLimit {
  requests: number;
  /** Gateway API duration. */
  per: string;
  /** Default: requests. */
  burst?: number;
  /** Default "none": one bucket for every request the limit counts. */
  by: 'none' | 'sourcePrincipal' | 'sourceIP' | 'path' | { header: string };
  match?: HTTPRouteMatch;
}
export type RateLimitPolicy = Resource<'RateLimitPolicy', RateLimitPolicySpec>;
export type Kind = AnyResource['kind'];

/** Where an object came from, for errors and for `weft up -f` file sync. */
export interface SourceRef {
  file: string;
  line: number;
  column: number;
}

/** Stable identity of an object in the store. */
export function keyOf(r: { kind: string; metadata: { name: string; namespace?: string } }): string {
  return `${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`;
}

// ---- Security (Istio's shapes; apiVersion weft.dev/v1alpha1, security.istio.io/v1 accepted too) ----

export type MtlsMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';
export interface WorkloadSelector {
  matchLabels: Record<string, string>;
}
export interface PeerAuthenticationSpec {
  /** No selector: applies to the whole namespace (or mesh-wide in the root namespace, "weft-system"). */
  selector?: WorkloadSelector;
  mtls?: { mode: MtlsMode | 'UNSET' };
  /** Keyed by the workload's port (local mode: the app port given in Workload.spec.port, or the Service targetPort). */
  portLevelMtls?: Record<string, { mode: MtlsMode | 'UNSET' }>;
}
export type PeerAuthentication = Resource<'PeerAuthentication', PeerAuthenticationSpec>;

export interface AuthzSource {
  principals?: string[];
  notPrincipals?: string[];
  namespaces?: string[];
  notNamespaces?: string[];
  ipBlocks?: string[];
  notIpBlocks?: string[];
}
export interface AuthzOperation {
  methods?: string[];
  notMethods?: string[];
  paths?: string[];
  notPaths?: string[];
  ports?: string[];
  notPorts?: string[];
  hosts?: string[];
  notHosts?: string[];
}
export interface AuthzCondition {
  /** request.headers[<name>], source.principal, source.namespace, source.ip, destination.port, request.method, request.path... */
  key: string;
  values?: string[];
  notValues?: string[];
}
export interface AuthzRule {
  from?: { source: AuthzSource }[];
  to?: { operation: AuthzOperation }[];
  when?: AuthzCondition[];
}
export interface AuthorizationPolicySpec {
  selector?: WorkloadSelector;
  /** Default ALLOW. */
  action: 'ALLOW' | 'DENY' | 'AUDIT';
  /** Absent or empty with ALLOW: matches nothing, so the workload denies everything (the default-deny idiom). */
  rules?: AuthzRule[];
}
export type AuthorizationPolicy = Resource<'AuthorizationPolicy', AuthorizationPolicySpec>;

// ---- Telemetry (Istio's telemetry.istio.io shape, simplified: no extension providers) ----------------
// Levels inherit field by field (mesh < namespace < workload), so the fields that inherit have no default
// here: left out means "as the level above". src/api/telemetry.ts resolves what applies to a workload.

export interface AccessLogFilterSpec {
  /** Log only failed requests (status >= 400, or a response flag such as DC). Default false. */
  errorsOnly: boolean;
  /** Log only requests whose status is at least this. Default 0 (every status). */
  minStatus: number;
}
export interface TelemetryAccessLogging {
  /** Inherited when left out; with no level setting it, access logs are on. */
  disabled?: boolean;
  /** Replaces the inherited filter as a whole. */
  filter?: AccessLogFilterSpec;
}
export interface TelemetryTracing {
  /** 0..100; inherited when left out; 1 when no level sets it. */
  randomSamplingPercentage?: number;
  /** Spans are not reported (trace context is still propagated). Inherited when left out; false at the top. */
  disableSpanReporting?: boolean;
  /** Where spans go: OTLP over HTTP (protobuf), POSTed to `endpoint` as given. Inherited when left out. */
  provider?: { otlpHttp: { endpoint: string } };
}
export interface TelemetryMetrics {
  /** Inherited when left out; with no level setting it, metrics are on. */
  disabled?: boolean;
}
export interface TelemetrySpec {
  /** No selector: the whole namespace (mesh-wide in the root namespace "weft-system", where a selector is refused). */
  selector?: WorkloadSelector;
  /** At most one entry each (weft has one access log, one trace exporter, one metrics pipeline). */
  accessLogging?: TelemetryAccessLogging[];
  tracing?: TelemetryTracing[];
  metrics?: TelemetryMetrics[];
}
export type Telemetry = Resource<'Telemetry', TelemetrySpec>;
