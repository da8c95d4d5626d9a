// Keep-alive HTTP/1.1 connection pools, one per endpoint address and transport. Pools outlive snapshots:
// a config push that keeps an endpoint keeps its warm connections; endpoints that disappear are closed.
import type { buildConnector } from 'undici';
import { Pool } from './undici.js';

export interface PoolOptions {
  /** Most connections to one endpoint. */
  connections: number;
  connectTimeoutMs: number;
  /** Builds the connector for mTLS endpoints (peer proxies). */
  mtls?: (endpoint: string) => buildConnector.connector;
}

export class Pools {
  private readonly pools = new Map<string, Pool>();
  constructor(private readonly opts: PoolOptions = { connections: 256, connectTimeoutMs: 5000 }) {}

  get(address: string, port: number, tls: 'mtls' | 'plaintext' = 'plaintext'): Pool {
    const endpoint = `${address}:${port}`;
    const key = tls === 'mtls' ? `mtls:${endpoint}` : endpoint;
    let p = this.pools.get(key);
    if (p === undefined) {
      if (tls === 'mtls' && this.opts.mtls === undefined) throw new Error(`no mTLS connector configured for ${endpoint}`);
      p = new Pool(`http://${address.includes(':') ? `[${address}]` : address}:${port}`, {
        connections: this.opts.connections,
        connectTimeout: this.opts.connectTimeoutMs,
        keepAliveTimeout: 30_000,
        // Per-route timeouts are a routing policy, not a transport default: no implicit cut-off here.
        headersTimeout: 0,
        bodyTimeout: 0,
        ...(tls === 'mtls' ? { connect: this.opts.mtls!(endpoint) } : {}),
      });
      this.pools.set(key, p);
    }
    return p;
  }

  /** Closes pools whose endpoint key ("address:port" or "mtls:address:port") is not in `keep`. */
  retain(keep: Set<string>): void {
    for (const [key, p] of this.pools) {
      if (!keep.has(key)) {
        this.pools.delete(key);
        p.close().catch(() => {});
      }
    }
  }

  /** Fail closed: drops every mTLS pool and its connections now (e.g. our certificate expired). */
  dropMtls(): void {
    for (const [key, p] of this.pools) {
      if (key.startsWith('mtls:')) {
        this.pools.delete(key);
        p.destroy().catch(() => {});
      }
    }
  }

  /** Connection use summed over every pool, by transport, for the metrics gauges. */
  usage(): { tls: 'mtls' | 'plaintext'; connected: number; free: number; pending: number; running: number }[] {
    const sum = { mtls: { connected: 0, free: 0, pending: 0, running: 0 }, plaintext: { connected: 0, free: 0, pending: 0, running: 0 } };
    for (const [key, p] of this.pools) {
      const s = p.stats;
      const t = key.startsWith('mtls:') ? sum.mtls : sum.plaintext;
      t.connected += s.connected;
      t.free += s.free;
      t.pending += s.pending;
      t.running += s.running;
    }
    return [{ tls: 'mtls', ...sum.mtls }, { tls: 'plaintext', ...sum.plaintext }];
  }

  async close(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled(all.map((p) => p.close()));
  }
}
