// One proxy process: a sidecar (outbound + inbound + a local port per service) or an ingress gateway
// (the Gateway's listeners). It owns the listeners and connection pools, swaps in each new snapshot
// atomically, and keeps serving the last good one when the control plane is away or sends a bad one.
import { OutlierState } from './balance/outlier.js';
import { prioritiesOf, type LevelView } from './balance/healthy.js';
import { HealthChecker, poolProbe } from './health/checker.js';
import type { CircuitParams } from './layers/circuit/layer.js';
import { snapshotHasFault } from './layers/fault/layer.js';
import type { ProxyPorts } from '../api/proxy-ipc.js';
import type { ClusterSnap, ConnectionPoolSnap, EndpointSnap, Snapshot } from '../api/snapshot.js';
import type { Ctx } from './context.js';
import type { Service } from './stack/index.js';
import { HttpListener } from './engine/listener.js';
import { Pools } from './engine/pools.js';
import { UpstreamPool, plainConnect } from './engine/client.js';
import { buildOutbound } from './outbound/index.js';
import { buildInbound } from './inbound/index.js';
import { compileConfig, type CompiledConfig } from './config.js';
import { startAdmin, type AdminServer } from './admin/index.js';
import type { IdentityManager } from './tls/manager.js';
import { InboundTlsListener } from './tls/inbound.js';
import { GatewayTlsFront } from './tls/gateway.js';
import { mtlsConnector, newTlsStats, TCP_ALPN } from './tls/connector.js';
import { H2Pool } from './h2/client.js';
import { TcpListener, tcpOutbound, tcpRecord } from './engine/tcp.js';
import type { Connect } from './engine/client.js';
import { tunnel } from './engine/tunnel.js';
import { authorize, compileAuthz, type CompiledAuthz } from '../policy/authz/index.js';
import type { PeerIdentity } from './tls/verify.js';
import net from 'node:net';
import { listenOn } from '../util/listen.js';
import type tls from 'node:tls';
import { Tap } from './observe/tap.js';
import { watchConnections, type ConnectionSink, type RecordSink, type RequestRecord } from './observe/record.js';
import { OtlpHttpExporter } from './layers/trace/exporter.js';
import { DEFAULT_LISTENER_LIMITS } from '../api/limits.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_RETRY_BUDGET } from '../api/traffic.js';
import { RetryBudgets } from './layers/retry/budget.js';
import { LoadTracker } from './balance/load.js';
import type { RetryParams } from './layers/retry/layer.js';
import { Limiters } from './layers/ratelimit/limiter.js';
import { CaptureListener } from './capture/listener.js';
import { captureRoute } from './capture/route.js';
import { routeLimiters, snapshotLimits } from './layers/ratelimit/layer.js';

export interface ProxyOptions {
  name: string;
  kind: 'sidecar' | 'gateway';
  workload: string;
  namespace: string;
  /** Sidecar: the local app's port. */
  appPort?: number;
  /** Address local listeners bind to (outbound, inbound, per-service ports, admin). */
  host: string;
  /** Where the inbound (mTLS) listener binds instead, when peers on other hosts must reach it. */
  inboundHost?: string;
  /** capture: the port iptables redirects the app's outbound TCP to (weft capture); absent: none. */
  ports: { outbound: number; inbound: number; admin: number; capture?: number };
  identity: IdentityManager;
  log: (msg: string) => void;
}

export type { ProxyPorts };

const unavailable: Service<Ctx> = async (ctx) => {
  ctx.res.writeHead(503, { 'x-weft-error': 'proxy-not-ready', 'content-type': 'text/plain' });
  ctx.res.end('proxy-not-ready: the proxy has not received its configuration yet\n');
};

export class Proxy {
  readonly stats = { ...newTlsStats(), rejectedPlaintext: 0 };
  readonly tap = new Tap();
  /** Every finished request's record goes to each of these (tap first; metrics and access log are added by main). */
  readonly sinks: RecordSink[] = [this.tap];
  metricsText: (() => string) | undefined;
  inflight: { inc(direction: string): void; dec(direction: string): void } | undefined;
  /** Told about each applied snapshot's telemetry settings (access log on/off and filters). */
  onTelemetry: ((t: Snapshot['telemetry']) => void) | undefined;
  /** What the balancers learn about endpoints (in flight, latency, age), kept across snapshots. */
  readonly load = new LoadTracker();
  /** Retry budgets per destination cluster, kept across snapshots. */
  readonly retryBudgets = new RetryBudgets();
  /** Outlier detection's record of each endpoint (outlives snapshots). */
  readonly outliers = new OutlierState();
  /** Active health checks of the clusters that ask for them (probes and verdicts outlive snapshots). */
  readonly healthChecks: HealthChecker;
  /** Requests in flight per cluster, for circuit breaking (outlives snapshots). */
  readonly activeRequests = new Map<string, number>();
  /** TCP connections open per cluster (circuitBreaker.maxConnections of opaque TCP services). */
  readonly tcpActive = new Map<string, number>();
  /** Told about each request refused by a circuit breaker (weft_overflow_total; set by main). */
  overflowCounter: CircuitParams['overflow'];
  /** Rate limit buckets by limit (outlive snapshots that keep the limit). */
  readonly limiters = new Limiters();
  /** Told about each request a rate limit refused (weft_rate_limited_total; set by main). */
  rateLimitCounter: ((policy: string, direction: 'inbound' | 'outbound' | 'gateway') => void) | undefined;
  /** Told about each retry decision (weft_retries_total; set by main). */
  retryCounter: RetryParams['count'];
  /** Told about every downstream connection a listener accepts (weft_tcp_* metrics). */
  connections: ConnectionSink | undefined;
  private exporter: { endpoint: string; exporter: OtlpHttpExporter } | undefined;
  private readonly pools: Pools;
  private outbound: HttpListener | undefined;
  private inbound: HttpListener | undefined;
  private inboundTls: InboundTlsListener | undefined;
  private readonly upstreamListeners = new Map<string, HttpListener>();
  /** Opaque TCP service ports: one byte-tunnel listener each, keyed by cluster like the HTTP ones. */
  private readonly tcpListeners = new Map<string, TcpListener>();
  /** mTLS connects with ALPN weft-tcp, one per endpoint (each keeps its TLS session for resumption). */
  private readonly tcpConnects = new Map<string, Connect>();
  private inboundAuthz: CompiledAuthz | undefined;
  /** Transparent capture: connections iptables redirected here, routed by their original destination. */
  private capture: CaptureListener | undefined;
  private readonly gatewayListeners = new Map<string, HttpListener>();
  /** HTTPS gateway ports: the TLS front that listens and hands handshaken sockets to the port's HttpListener. */
  private readonly gatewayTls = new Map<string, GatewayTlsFront>();
  private admin: AdminServer | undefined;
  private current: CompiledConfig | undefined;
  private appPool: UpstreamPool | undefined;
  /** h2c to the app, for gRPC. */
  private appH2Pool: H2Pool | undefined;
  private applying: Promise<void> = Promise.resolve();
  draining = false;

  constructor(readonly opts: ProxyOptions) {
    opts.identity.onChange(() => {
      if (opts.identity.expired) {
        // Fail closed: no request rides on a connection authenticated by an expired certificate.
        this.pools.dropMtls();
        this.inboundTls?.dropTls();
      }
    });
    this.pools = new Pools({
      connections: 256,
      connectTimeoutMs: 5000,
      idleTimeoutMs: 30_000,
      mtls: (endpoint, host, port, alpn) => mtlsConnector({
        identity: opts.identity,
        trustDomain: () => this.current?.snapshot.security.trustDomain ?? '',
        allowed: (ep) => this.current?.identities.get(ep),
        stats: this.stats,
      }, endpoint, host, port, alpn),
    });
    this.healthChecks = new HealthChecker(poolProbe(this.pools, () => opts.identity.current !== undefined && !opts.identity.expired));
  }

  get version(): string | null {
    return this.current?.snapshot.version ?? null;
  }
  get snapshot(): Snapshot | undefined {
    return this.current?.snapshot;
  }
  get ready(): boolean {
    return this.current !== undefined && !this.draining && this.opts.identity.current !== undefined && !this.opts.identity.expired;
  }

  async start(): Promise<void> {
    const o = this.opts;
    this.admin = await startAdmin(this, o.host, o.ports.admin);
    if (o.kind === 'sidecar') {
      this.outbound = this.recordRejects(new HttpListener(unavailable), 'outbound');
      watchConnections(this.outbound.server, 'outbound', () => this.connections);
      await this.outbound.listen(o.ports.outbound, o.host);
      if (o.appPort !== undefined) {
        this.appPool = new UpstreamPool(`app 127.0.0.1:${o.appPort}`, plainConnect('127.0.0.1', o.appPort), { maxConnections: 256, idleTimeoutMs: 30_000, connectTimeoutMs: 5000 });
        this.appH2Pool = new H2Pool(`app 127.0.0.1:${o.appPort}`, plainConnect('127.0.0.1', o.appPort), { maxConnections: 4, idleTimeoutMs: 30_000, connectTimeoutMs: 5000 });
        // Requests reach the inbound HTTP server only through the TLS front, which verifies and tags peers.
        this.inbound = this.recordRejects(new HttpListener(unavailable), 'inbound');
        this.inboundTls = new InboundTlsListener({
          http: this.inbound,
          identity: o.identity,
          trustDomain: () => this.current?.snapshot.security.trustDomain ?? '',
          mode: () => this.current?.snapshot.security.mtls ?? 'STRICT',
          stats: this.stats,
          log: o.log,
          tcp: (s, peer) => this.inboundTcp(s, peer),
        });
        watchConnections(this.inboundTls.server, 'inbound', () => this.connections);
        await this.inboundTls.listen(o.ports.inbound, o.inboundHost ?? o.host);
      }
      if (o.ports.capture !== undefined) {
        // Until the first snapshot says where anything goes, captured connections are closed.
        this.capture = new CaptureListener((s) => s.destroy(), undefined, o.log);
        watchConnections(this.capture.server, 'outbound', () => this.connections);
        await this.capture.listen(o.ports.capture, o.host);
      }
    }
  }

  /** Each locality-failover cluster's priority levels and their shares now (admin /config_dump). */
  priorities(): Record<string, LevelView[]> {
    return this.current === undefined ? {} : prioritiesOf(this.current.balancers);
  }

  poolUsage(): ReturnType<Pools['usage']> {
    return this.pools.usage();
  }

  ports(): ProxyPorts {
    const upstreams: Record<string, number> = {};
    for (const [k, l] of this.upstreamListeners) upstreams[k] = l.port;
    for (const [k, l] of this.tcpListeners) upstreams[k] = l.port;
    const listeners: ProxyPorts['listeners'] = [];
    for (const [k, l] of this.gatewayListeners) {
      const g = this.current?.gatewayPorts.get(k);
      const front = this.gatewayTls.get(k);
      for (const name of g?.listeners ?? []) listeners.push({ name, address: g!.address, port: front?.port ?? l.port, ...(front !== undefined ? { tls: true } : {}) });
    }
    return { admin: this.admin?.port ?? 0, outbound: this.outbound?.port, inbound: this.inboundTls?.port, upstreams, listeners };
  }

  /** Applies a snapshot all-or-nothing. Throws (and changes nothing) when it cannot be applied. */
  apply(snap: Snapshot): Promise<void> {
    const run = this.applying.then(() => this.applyNow(snap));
    this.applying = run.catch(() => {});
    return run;
  }

  private async applyNow(snap: Snapshot): Promise<void> {
    if (this.draining) throw new Error('proxy is shutting down');
    const cfg = compileConfig(snap, this.load, undefined, this.outliers, this.healthChecks);
    this.outliers.retain(new Set(snap.clusters.map((c) => c.name)));
    const log = this.opts.log;
    const budgetParams = new Map(snap.clusters.map((c) => [c.name, c.retryBudget ?? DEFAULT_RETRY_BUDGET]));
    const retry: RetryParams = { budgets: this.retryBudgets, budgetOf: (c) => budgetParams.get(c), count: this.retryCounter };
    const maxRequests = new Map(snap.clusters.filter((c) => c.maxRequests !== undefined).map((c) => [c.name, c.maxRequests!]));
    const poolLimits = endpointPoolOptions(snap.clusters);
    // In the stack when a circuit breaker could refuse something: its own maxRequests, or a pool's pending limit.
    const circuit: CircuitParams | undefined = maxRequests.size === 0 && poolLimits.size === 0 ? undefined : { limitOf: (c) => maxRequests.get(c), active: this.activeRequests, overflow: this.overflowCounter };
    const fault = snapshotHasFault(snap) ? {} : undefined;
    const rateLimits = snapshotLimits(snap, this.limiters);
    const limited = (direction: 'inbound' | 'outbound' | 'gateway') => (policy: string) => this.rateLimitCounter?.(policy, direction);
    const routeLimits = rateLimits.routes === undefined ? undefined : routeLimiters(rateLimits.routes);
    const outbound = (table: CompiledConfig['byHost'], edge: boolean, outsideMesh?: 'ALLOW_ANY' | 'REGISTRY_ONLY') =>
      buildOutbound({ table, balancers: cfg.balancers, pools: this.pools, edge, outsideMesh, escapedSlashes: snap.security.escapedSlashes, sinks: this.sinks, self, inflight: this.inflight, tracing, log, retry, circuit, fault,
        ...(routeLimits !== undefined ? { rateLimit: { limitersOf: routeLimits, limited: limited(edge ? 'gateway' : 'outbound') } } : {}) });
    const self = { workload: this.opts.workload, namespace: this.opts.namespace, principal: snap.security.identity };
    const tracing = { sampleRate: snap.telemetry.tracing.samplePercent / 100, exporter: this.exporterFor(snap.telemetry.tracing), proxy: { name: this.opts.name, workload: this.opts.workload, namespace: this.opts.namespace } };
    const inbound = this.appPool === undefined ? undefined : buildInbound({ app: this.appPool, appH2: this.appH2Pool, security: snap.security, appPort: this.opts.appPort ?? 0, sinks: this.sinks, self, inflight: this.inflight, tracing, log,
      ...(rateLimits.inbound !== undefined ? { rateLimit: { limitersOf: () => rateLimits.inbound, limited: limited('inbound') } } : {}) });

    // Bind what is new first; if any bind fails, undo those binds and keep everything as it was.
    const fresh: [Map<string, HttpListener>, string, HttpListener][] = [];
    const freshTcp: [string, TcpListener][] = [];
    const freshTls: [string, GatewayTlsFront][] = [];
    try {
      for (const [key, g] of cfg.gatewayPorts) {
        if (this.gatewayListeners.has(key)) {
          if ((g.tls !== undefined) === this.gatewayTls.has(key)) continue;
          // The port switches between HTTP and HTTPS: the old listener must let go of it before the new one
          // binds (its requests in flight finish). Only this case gives a port up before the new bind.
          this.retireGateway(key, 10_000);
          await new Promise((resolve) => setImmediate(resolve));
        }
        // HTTPS: requests see scheme https (X-Forwarded-Proto, redirects); the TLS front owns the port.
        const l = this.recordRejects(new HttpListener(unavailable, g.tls !== undefined ? 'https' : 'http'), 'gateway');
        const front = g.tls !== undefined ? new GatewayTlsFront(l, g.tls) : undefined;
        const server = front?.server ?? l.server;
        watchConnections(server, 'gateway', () => this.connections);
        try {
          await listenOn(server, g.port, g.address);
        } catch (e) {
          throw new Error(`listener ${g.listeners.join(',')}: cannot listen on ${key}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
        fresh.push([this.gatewayListeners, key, l]);
        if (front !== undefined) freshTls.push([key, front]);
      }
      for (const [key, u] of cfg.upstreams) {
        if (u.tcp) {
          if (this.tcpListeners.has(key)) continue;
          const t = new TcpListener(() => {});
          watchConnections(t.server, 'outbound', () => this.connections);
          await t.listen(0, this.opts.host);
          freshTcp.push([key, t]);
          continue;
        }
        if (this.upstreamListeners.has(key)) continue;
        const l = this.recordRejects(new HttpListener(unavailable), 'outbound');
        watchConnections(l.server, 'outbound', () => this.connections);
        await l.listen(0, this.opts.host);
        fresh.push([this.upstreamListeners, key, l]);
      }
    } catch (e) {
      await Promise.all([...fresh.map(([, , l]) => l.drain(0)), ...freshTcp.map(([, t]) => t.drain(0)), ...freshTls.map(([, f]) => f.drain(0))]);
      throw e;
    }
    for (const [map, key, l] of fresh) map.set(key, l);
    for (const [key, f] of freshTls) this.gatewayTls.set(key, f);
    for (const [key, t] of freshTcp) this.tcpListeners.set(key, t);

    // Listener protections from the Mesh apply to requests parsed from now on.
    const limits = snap.limits ?? DEFAULT_LISTENER_LIMITS;
    const connectTimeoutMs = snap.traffic?.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.pools.setConnectTimeout(connectTimeoutMs);
    this.pools.setEndpointOptions(poolLimits);
    for (const l of [this.outbound, this.inbound, ...this.gatewayListeners.values(), ...this.upstreamListeners.values()]) l?.setLimits(limits);
    this.inboundTls?.setLimits(limits);
    for (const f of this.gatewayTls.values()) f.setLimits(limits);

    // Swap: every listener gets a stack built from the new snapshot.
    if (this.outbound) this.outbound.service = outbound(cfg.byHost, false, snap.security.outboundTrafficPolicy);
    if (this.inbound && inbound) this.inbound.service = inbound;
    for (const [key, g] of cfg.gatewayPorts) {
      this.gatewayListeners.get(key)!.service = outbound(g.table, true);
      if (g.tls !== undefined) this.gatewayTls.get(key)!.setServerNames(g.tls);
    }
    for (const [key, u] of cfg.upstreams) {
      if (u.tcp) {
        const t = this.tcpListeners.get(key)!;
        t.maxConnections = limits.maxConnections;
        const balancer = cfg.balancers.get(u.cluster);
        t.handler = balancer === undefined ? (s) => s.destroy() : tcpOutbound({
          cluster: u.cluster, service: u.service, namespace: u.namespace, balancer,
          connect: (ep) => this.tcpConnect(ep), sinks: this.sinks, self,
          connectTimeoutMs: snap.clusters.find((c) => c.name === u.cluster)?.connectionPool?.connectTimeoutMs ?? connectTimeoutMs,
          maxConnections: snap.clusters.find((c) => c.name === u.cluster)?.connectionPool?.maxConnections, active: this.tcpActive, overflow: this.overflowCounter,
        });
        continue;
      }
      const l = this.upstreamListeners.get(key)!;
      l.service = outbound(u.table, false);
      const authority = u.authority;
      l.prepare = (ctx) => {
        ctx.authority = authority;
        ctx.headers['host'] = authority;
      };
    }
    if (this.capture !== undefined) this.capture.route = captureRoute({
      byAddress: cfg.captured, http: (k) => this.upstreamListeners.get(k), tcp: (k) => this.tcpListeners.get(k),
      policy: snap.security.outboundTrafficPolicy, sinks: this.sinks, self, connectTimeoutMs,
    });
    this.current = cfg;
    this.healthChecks.update(snap.clusters);
    this.onTelemetry?.(snap.telemetry);

    // Retire what the new snapshot no longer has.
    const retired: HttpListener[] = [];
    for (const key of [...this.gatewayListeners.keys()]) if (!cfg.gatewayPorts.has(key)) this.retireGateway(key, 10_000);
    for (const [key, l] of this.upstreamListeners) if (cfg.upstreams.get(key)?.tcp !== false) { this.upstreamListeners.delete(key); retired.push(l); }
    for (const [key, t] of this.tcpListeners) if (cfg.upstreams.get(key)?.tcp !== true) { this.tcpListeners.delete(key); void t.drain(10_000); }
    this.inboundAuthz = compileAuthz(snap.security.authz);
    this.limiters.retain(rateLimits.keys);
    void Promise.all(retired.map((l) => l.drain(10_000)));
    this.pools.retain(cfg.endpointKeys);
    this.load.retain(new Set(snap.clusters.flatMap((c) => c.endpoints.map((e) => `${e.address}:${e.port}`))));
  }

  /** Stops a gateway port (its TLS front too): it stops accepting now, in-flight requests get `graceMs`. */
  private retireGateway(key: string, graceMs: number): void {
    const l = this.gatewayListeners.get(key);
    const front = this.gatewayTls.get(key);
    this.gatewayListeners.delete(key);
    this.gatewayTls.delete(key);
    if (front !== undefined) void front.drain(graceMs);
    else void l?.drain(graceMs);
  }

  /** Requests a listener refuses before any layer runs (bad framing, bad Host, head timeout) still get a record. */
  private recordRejects(l: HttpListener, direction: RequestRecord['direction']): HttpListener {
    l.onRejected = (conn, status, code) => {
      const principal = this.current?.snapshot.security.identity;
      const r: RequestRecord = {
        direction, start: Date.now(), durationMs: 0, method: '', path: '', protocol: 'HTTP/1.1', authority: '',
        status, flags: 'DPE', error: code, bytesIn: conn.bytesRead, bytesOut: 0, tls: conn.peer !== undefined,
        sourcePrincipal: direction === 'inbound' ? conn.peer?.spiffeId : principal,
        destPrincipal: direction === 'inbound' ? principal : undefined,
        sourceWorkload: direction === 'inbound' ? undefined : this.opts.workload,
        destWorkload: direction === 'inbound' ? this.opts.workload : undefined,
      };
      for (const k of this.sinks) {
        try { k.record(r); } catch { /* never break a connection */ }
      }
    };
    return l;
  }

  /** The mTLS connect for an opaque TCP tunnel to `ep`'s inbound port (a plaintext endpoint cannot carry one). */
  private tcpConnect(ep: EndpointSnap): Connect {
    const key = `${ep.address}:${ep.port}`;
    if (ep.tls !== 'mtls') return (cb) => cb(Object.assign(new Error(`endpoint ${key}: opaque TCP needs mTLS, and its PeerAuthentication disables it`), { code: 'ECONNREFUSED' }), null);
    let c = this.tcpConnects.get(key);
    if (c === undefined) {
      c = mtlsConnector({
        identity: this.opts.identity,
        trustDomain: () => this.current?.snapshot.security.trustDomain ?? '',
        allowed: (e) => this.current?.identities.get(e),
        stats: this.stats,
      }, key, ep.address, ep.port, TCP_ALPN);
      this.tcpConnects.set(key, c);
    }
    return c;
  }

  /** A peer's TCP tunnel on the inbound port: L4 authorization, then bytes to and from the app. */
  private inboundTcp(s: tls.TLSSocket, peer: PeerIdentity): void {
    const start = Date.now();
    const t0 = process.hrtime.bigint();
    const snap = this.current?.snapshot;
    const self = { destPrincipal: snap?.security.identity, destWorkload: this.opts.workload, destNamespace: this.opts.namespace, sourcePrincipal: peer.spiffeId, authority: `127.0.0.1:${this.opts.appPort}` };
    const record = (r: Partial<RequestRecord>) => {
      const rec = tcpRecord('inbound', start, t0, { ...self, ...r });
      for (const k of this.sinks) {
        try { k.record(rec); } catch { /* never break a connection */ }
      }
    };
    if (this.appPort === undefined || this.inboundAuthz === undefined) {
      s.destroy();
      record({ flags: 'NC', error: 'proxy-not-ready' });
      return;
    }
    const d = authorize(this.inboundAuthz, { principal: peer.spiffeId, sourceIp: s.remoteAddress ?? '', method: '', path: '', host: '', port: this.appPort, headers: {} });
    if (!d.allowed) {
      this.opts.log(`denied TCP connection from ${peer.spiffeId}: ${d.policy ? `policy ${d.policy}` : d.reason}`);
      s.destroy();
      record({ flags: 'RBAC', error: 'rbac-denied' });
      return;
    }
    s.pause();
    const app = net.connect({ host: '127.0.0.1', port: this.appPort, allowHalfOpen: true, noDelay: true });
    const refused = (): void => {
      s.destroy();
      record({ flags: 'UF', error: 'connect-failure' });
    };
    app.once('error', refused);
    app.once('connect', () => {
      app.off('error', refused);
      tunnel(s, app, (st) => record({ bytesIn: st.aToB, bytesOut: st.bToA }));
    });
  }

  private get appPort(): number | undefined {
    return this.opts.appPort;
  }

  /** One OTLP exporter per endpoint; replaced (after flushing) when the Telemetry endpoint changes. */
  private exporterFor(t: Snapshot['telemetry']['tracing']): OtlpHttpExporter | undefined {
    const endpoint = t.enabled ? t.endpoint : undefined;
    if (this.exporter?.endpoint === endpoint) return this.exporter?.exporter;
    void this.exporter?.exporter.shutdown();
    this.exporter = endpoint === undefined ? undefined : { endpoint, exporter: new OtlpHttpExporter({ endpoint, log: this.opts.log }) };
    return this.exporter?.exporter;
  }

  private inboundDrained: Promise<void> | undefined;

  /**
   * Stops the inbound side only (the first step of stopping a replica): no new requests from peers, the
   * ones in flight finish (up to graceMs, with `connection: close` / GOAWAY), while the outbound side keeps
   * carrying the app's own calls until the app has exited.
   */
  drainInbound(graceMs: number): Promise<void> {
    return (this.inboundDrained ??= this.inboundTls?.drain(graceMs) ?? Promise.resolve());
  }

  /** Graceful stop: refuse new requests, finish in-flight ones (up to graceMs), close everything. */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    const fronted = new Set([...this.gatewayTls.values()].map((f) => f.http));
    const all = [this.outbound, ...this.upstreamListeners.values(), ...this.gatewayListeners.values()].filter((l): l is HttpListener => l !== undefined && !fronted.has(l));
    await Promise.all([...[...this.gatewayTls.values()].map((f) => f.drain(graceMs)), ...all.map((l) => l.drain(graceMs)), ...[...this.tcpListeners.values()].map((t) => t.drain(graceMs)), this.drainInbound(graceMs), this.capture?.drain(graceMs)]);
    this.opts.identity.stop();
    this.healthChecks.stop();
    this.pools.close();
    await this.exporter?.exporter.shutdown();
    this.appPool?.close();
    this.appH2Pool?.close();
    await this.admin?.close();
  }
}

/**
 * The circuit breakers' connection limits by endpoint pool key ("address:port" or "mtls:address:port").
 * An endpoint behind two Services with limits gets the smaller of each.
 */
function endpointPoolOptions(clusters: readonly ClusterSnap[]): Map<string, ConnectionPoolSnap> {
  const out = new Map<string, ConnectionPoolSnap>();
  const min = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));
  for (const c of clusters) {
    const l = c.connectionPool;
    if (l === undefined) continue;
    for (const e of c.endpoints) {
      const key = e.tls === 'mtls' ? `mtls:${e.address}:${e.port}` : `${e.address}:${e.port}`;
      const o = out.get(key) ?? {};
      out.set(key, {
        maxConnections: min(o.maxConnections, l.maxConnections), maxPendingRequests: min(o.maxPendingRequests, l.maxPendingRequests),
        connectTimeoutMs: min(o.connectTimeoutMs, l.connectTimeoutMs), idleTimeoutMs: min(o.idleTimeoutMs, l.idleTimeoutMs),
      });
    }
  }
  return out;
}

