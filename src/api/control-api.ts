// The control plane's HTTP API as types: what each endpoint takes and answers. The control plane, the
// local runtime and the CLI all import these from here, so a change to a shape is one edit, checked by
// the compiler on both sides.
import type { Snapshot } from './snapshot.js';

/** A proxy the control plane should expect (a runtime reports these; gateways come from config). */
export interface ProxyRef {
  name: string;
  kind: 'sidecar' | 'gateway';
  workload: string;
  namespace: string;
  serviceAccount: string;
}

/** One replica's inbound endpoint as a runtime reports it. */
export interface RegisteredEndpoint {
  proxy: string;
  workload: string;
  namespace: string;
  serviceAccount: string;
  address: string;
  port: number;
  ready: boolean;
  labels: Record<string, string>;
  /** The app's own port (what PeerAuthentication portLevelMtls keys on). */
  appPort?: number;
}

/** How a runtime sees one of the processes it supervises (status and `weft check` show these). */
export interface ProcessReport {
  /** The proxy this process belongs to (a replica's app and sidecar share it; a gateway is its proxy). */
  proxy: string;
  /** 'app': a workload's own process; 'proxy': its sidecar or a gateway. */
  role: 'app' | 'proxy';
  pid: number | null;
  running: boolean;
  /** Apps only: the readiness probe's last answer. */
  ready?: boolean;
  restarts: number;
  /** Why it last exited, e.g. "code 1" or "SIGKILL"; absent while it never did. */
  lastExit?: string;
  /** Anything the runtime could not do for it, e.g. "cannot start node: ENOENT". */
  error?: string;
  /** Apps only: it exited and its restartPolicy says it is done (a one-shot job); lastExit says how. */
  completed?: boolean;
}

/** PUT /v1/registry/:runtime — full state of one runtime, idempotent. */
export interface RuntimeReport {
  endpoints: RegisteredEndpoint[];
  proxies: ProxyRef[];
  processes?: ProcessReport[];
}

/** DONE: a one-shot workload's sidecar that stopped with its app (restartPolicy OnFailure or Never). */
export type SyncState = 'SYNCED' | 'STALE' | 'NACKED' | 'DONE';

/** GET /v1/status */
export interface ControlStatus {
  control: { version: string; url: string; pid: number; startedAt: string; mesh: string; stateDir?: string; /** With several replicas (HA): this replica's name. */ replica?: string };
  proxies: {
    name: string; kind: string; workload: string; namespace: string; version: string | null; configVersion: string | null; state: SyncState; error?: string; certError?: string;
    /** From the runtime's report, when it sent one. */
    app?: { running: boolean; ready: boolean; restarts: number; lastExit?: string; error?: string; completed?: boolean };
    /** With several control-plane replicas (HA): the replica whose stream this proxy is on. */
    servedBy?: string;
    restarts?: number;
  }[];
  gateways: { name: string; listener: string; url: string }[];
}

/** GET /v1/stat?by=service|workload&window= */
export interface StatRow {
  name: string;
  namespace: string;
  requests: number;
  rps: number;
  /** Share of requests that did not end in a 5xx, 0..1; null with no requests. */
  successRate: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** With `backends=1`, by service: one row per backend Service the callers' requests were sent to. */
  backends?: StatRow[];
}

/** GET /v1/edges?window= */
export interface EdgeRow {
  source: string;
  destination: string;
  destinationNamespace: string;
  tls: boolean;
  requests: number;
}

export type CheckStatus = 'PASS' | 'WARN' | 'FAIL';
/** GET /v1/check: one row per check. */
export interface CheckResult { category: string; check: string; status: CheckStatus; message: string; hint?: string }

/** GET /v1/tap: one NDJSON line per request seen. */
export interface TapEvent {
  proxy: string; time: string; direction: string; method: string; path: string; authority: string; status: number; flags: string;
  latencyMs: number; source: string | null; destination: string | null; destinationService: string | null; destinationWorkload: string | null; tls: boolean;
  /** "<namespace>/<name>" of the HTTPRoute or GRPCRoute that matched, or "default". */
  route?: string | null;
  /** The Service the caller named (catalog), when a route sent the request to a backend (catalog-v2). */
  service?: string | null;
}

/** POST /v1/apply */
export interface ApplyResult { applied: string[]; unchanged: string[]; revision: number; warnings?: string[] }
/** POST /v1/delete */
export interface DeleteResult { deleted: string[]; notFound: string[]; revision: number; /** References the deletion left pointing at nothing. */ warnings?: string[] }
/** 400 from apply/delete: every problem, each "file:line:col: message". */
export interface ApplyErrors { errors: string[] }
/** 409 from apply/delete when an object belongs to another source (a watched file owns what it defines). */
export interface SourceConflict { errors: string[] }

/** GET /v1/objects[?kind=K]: every stored object with where it came from. */
/** A stored object; a Secret comes with its `type` and `keys` only (values are never sent). */
export type ObjectRow = { kind: string; metadata: { name: string; namespace?: string }; spec?: unknown; type?: string; keys?: string[]; source: string };

/** The largest request body the control API reads (apply/delete text, reports); larger ones get 413. */
export const CONTROL_API_MAX_BODY = 4 * 1024 * 1024;

/** Error bodies: every non-2xx answer carries at least `error` (or `errors` for validation). */
export interface ApiError { error: string; suggestion?: string }

/** POST /v1/rollout/restart: replace every replica of a workload, one at a time. 404 (ApiError with suggestion) for an unknown workload. */
export interface RolloutRestartRequest { workload: string; namespace?: string }
export interface RolloutRestartResult { workload: string; namespace: string; restartedAt: string }
/** GET /v1/rollouts: the last restart asked for each workload, keyed "namespace/name" (ISO time). */
export interface Rollouts { restarts: Record<string, string> }

/** GET /v1/identity/:proxy */
export interface IdentityView {
  proxy: string;
  expected: string;
  certificate: { spiffeId: string; serial: string; notBefore: string; notAfter: string; renewAt: string } | null;
  error: string | null;
  connected: boolean;
  bundleSize: number | null;
}

/** GET /v1/proxy-config/:proxy: the snapshot the proxy runs (the last it accepted) and its sync state. */
export interface ProxyConfigView {
  proxy: string;
  state: { state: string; error?: string };
  snapshot: Snapshot | null;
  /** Endpoints the proxy's outlier detection keeps out now, by cluster ("address:port"), as it last reported. */
  ejected?: Record<string, string[]>;
}

/** POST /v1/authz/explain */
export interface ExplainQuery {
  from: string;
  to: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
}
export interface ExplainView { allowed: boolean; status: number; lines: string[] }

/** GET /v1/prometheus-sd: Prometheus HTTP service discovery targets. */
export interface PrometheusSdGroup { targets: string[]; labels: Record<string, string> }

/** A handler's answer with its status: the body is one of the contract's shapes. */
export interface Answer<T> { status: number; body: T | ApiError | ApplyErrors | SourceConflict }

/** POST /v1/join-tokens: a one-time token for `weft join` (shown once; only its digest is kept). */
export interface JoinTokenView { token: string; expiresAt: string }

/** POST /v1/join: what a joining host needs to run its workloads' proxies. */
export interface JoinView {
  host: string;
  /** The host's identity from the mesh CA (leaf first), for its own key (the request's CSR). */
  certificate: string[];
  /** The API for joined hosts (mTLS with that certificate), one address per control-plane replica. */
  hostApi: string;
  /** The config-push address(es) for its proxies, and what to verify the control plane with. */
  xds: string;
  trustDomain: string;
  bundle: string[];
}

