// Keep-alive HTTP/1.1 connection pools, one per endpoint address. Pools outlive snapshots: a config push
// that keeps an endpoint keeps its warm connections; endpoints that disappear are closed gracefully.
import { Pool } from 'undici';

export interface PoolOptions {
  /** Most connections to one endpoint. */
  connections: number;
  connectTimeoutMs: number;
}

export class Pools {
  private readonly pools = new Map<string, Pool>();
  constructor(private readonly opts: PoolOptions = { connections: 256, connectTimeoutMs: 5000 }) {}

  get(address: string, port: number): Pool {
    const key = `${address}:${port}`;
    let p = this.pools.get(key);
    if (p === undefined) {
      p = new Pool(`http://${address.includes(':') ? `[${address}]` : address}:${port}`, {
        connections: this.opts.connections,
        connectTimeout: this.opts.connectTimeoutMs,
        keepAliveTimeout: 30_000,
        // Per-route timeouts are a routing policy, not a transport default: no implicit cut-off here.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      this.pools.set(key, p);
    }
    return p;
  }

  /** Closes pools whose address is not in `keep` (after their in-flight requests finish). */
  retain(keep: Set<string>): void {
    for (const [key, p] of this.pools) {
      if (!keep.has(key)) {
        this.pools.delete(key);
        p.close().catch(() => {});
      }
    }
  }

  async close(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled(all.map((p) => p.close()));
  }
}
