// Keep-alive connection pools, one per endpoint address and transport. Pools outlive snapshots: a config
// push that keeps an endpoint keeps its warm connections; endpoints that disappear are closed.
import { UpstreamPool, plainConnect, type Connect, type PoolOptions } from './client.js';
import type { ConnectionPoolSnap } from '../../api/snapshot.js';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '../../api/traffic.js';
import { H2Pool } from '../h2/client.js';

export interface PoolsOptions {
  /** Most connections to one endpoint. */
  connections: number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** Builds the connect function for mTLS endpoints (peer proxies), offering `alpn` (http/1.1 unless said). */
  mtls?: (endpoint: string, host: string, port: number, alpn?: string) => Connect;
}

const SWEEP_MS = 1000;

export class Pools {
  private readonly pools = new Map<string, UpstreamPool>();
  /**
   * HTTP/1 requests to peer proxies go multiplexed over HTTP/2 too (WEFT_PEER_PROTOCOL=h2). Off: the
   * HTTP/1.1 pool carries them, which `npm run bench` measured faster (docs/performance.md).
   */
  peerHttp2 = process.env['WEFT_PEER_PROTOCOL'] === 'h2';
  /** HTTP/2 pools, keyed as the HTTP/1 ones: "address:port" or "mtls:address:port". */
  private readonly h2 = new Map<string, H2Pool>();
  private sweeper: NodeJS.Timeout | undefined;
  /** TrafficPolicy circuitBreaker limits by endpoint key, over the defaults above. */
  private endpointOpts = new Map<string, ConnectionPoolSnap>();

  constructor(private readonly opts: PoolsOptions = { connections: 256, connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS, idleTimeoutMs: 30_000 }) {}

  /** The mesh's connect timeout (Mesh spec.traffic.connectTimeout), for every pool, existing and new. */
  setConnectTimeout(ms: number): void {
    if (ms === this.opts.connectTimeoutMs) return;
    this.opts.connectTimeoutMs = ms;
    for (const [key, p] of this.pools) p.configure(this.optionsOf(key));
    for (const p of this.h2.values()) p.connectTimeoutMs = ms;
  }

  /**
   * Per-endpoint limits from the Services' circuit breakers (key: "address:port" or "mtls:address:port");
   * an endpoint not named gets the defaults back.
   */
  setEndpointOptions(m: Map<string, ConnectionPoolSnap>): void {
    this.endpointOpts = m;
    for (const [key, p] of this.pools) p.configure(this.optionsOf(key));
  }

  private optionsOf(key: string): PoolOptions {
    const e = this.endpointOpts.get(key);
    return {
      maxConnections: e?.maxConnections ?? this.opts.connections,
      idleTimeoutMs: e?.idleTimeoutMs ?? this.opts.idleTimeoutMs,
      connectTimeoutMs: e?.connectTimeoutMs ?? this.opts.connectTimeoutMs,
      maxPending: e?.maxPendingRequests,
    };
  }

  get(address: string, port: number, tls: 'mtls' | 'plaintext' = 'plaintext'): UpstreamPool {
    const endpoint = `${address}:${port}`;
    const key = tls === 'mtls' ? `mtls:${endpoint}` : endpoint;
    let p = this.pools.get(key);
    if (p === undefined) {
      if (tls === 'mtls' && this.opts.mtls === undefined) throw new Error(`no mTLS connector configured for ${endpoint}`);
      const connect = tls === 'mtls' ? this.opts.mtls!(endpoint, address, port) : plainConnect(address, port);
      p = new UpstreamPool(endpoint, connect, this.optionsOf(key));
      this.pools.set(key, p);
      // One timer for every pool's idle connections, instead of a timer per connection.
      this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
    }
    return p;
  }

  /** The HTTP/2 pool for an endpoint: h2c with prior knowledge, or ALPN h2 over mTLS to a peer proxy. */
  getH2(address: string, port: number, tls: 'mtls' | 'plaintext' = 'plaintext'): H2Pool {
    const endpoint = `${address}:${port}`;
    const key = tls === 'mtls' ? `mtls:${endpoint}` : endpoint;
    let p = this.h2.get(key);
    if (p === undefined) {
      if (tls === 'mtls' && this.opts.mtls === undefined) throw new Error(`no mTLS connector configured for ${endpoint}`);
      const connect = tls === 'mtls' ? this.opts.mtls!(endpoint, address, port, 'h2') : plainConnect(address, port);
      p = new H2Pool(endpoint, connect, { maxConnections: 4, idleTimeoutMs: this.opts.idleTimeoutMs, connectTimeoutMs: this.opts.connectTimeoutMs });
      this.h2.set(key, p);
      this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
    }
    return p;
  }

  private sweep(): void {
    const now = performance.now();
    for (const p of this.pools.values()) p.sweep(now);
    for (const p of this.h2.values()) p.sweep(now);
  }

  /** Closes pools whose endpoint key ("address:port" or "mtls:address:port") is not in `keep`. */
  retain(keep: Set<string>): void {
    for (const [key, p] of this.pools) {
      if (!keep.has(key)) {
        this.pools.delete(key);
        p.close();
      }
    }
    for (const [key, p] of this.h2) {
      if (!keep.has(key)) {
        this.h2.delete(key);
        p.close();
      }
    }
  }

  /** Fail closed: drops every mTLS pool and its connections now (e.g. our certificate expired). */
  dropMtls(): void {
    for (const [key, p] of this.pools) {
      if (key.startsWith('mtls:')) {
        this.pools.delete(key);
        p.destroy();
      }
    }
    for (const [key, p] of this.h2) {
      if (key.startsWith('mtls:')) {
        this.h2.delete(key);
        p.destroy();
      }
    }
  }

  /** Connection use summed over every pool, by transport, for the metrics gauges. */
  usage(): { tls: 'mtls' | 'plaintext'; connected: number; free: number; pending: number; running: number }[] {
    const sum = { mtls: { connected: 0, free: 0, pending: 0, running: 0 }, plaintext: { connected: 0, free: 0, pending: 0, running: 0 } };
    for (const [key, p] of [...this.pools, ...this.h2]) {
      const s = p.stats;
      const t = key.startsWith('mtls:') ? sum.mtls : sum.plaintext;
      t.connected += s.connected;
      t.free += s.free;
      t.pending += s.pending;
      t.running += s.running;
    }
    return [{ tls: 'mtls', ...sum.mtls }, { tls: 'plaintext', ...sum.plaintext }];
  }

  close(): void {
    for (const p of this.pools.values()) p.close();
    this.pools.clear();
    for (const p of this.h2.values()) p.close();
    this.h2.clear();
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}
