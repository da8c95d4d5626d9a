// Opaque TCP: a Service port with appProtocol tcp (or a server-first port, src/api/protocol.ts) gets a local
// port on each caller's sidecar that tunnels each connection byte for byte, over mTLS with ALPN "weft-tcp",
// to the inbound port of a ready endpoint, whose sidecar checks L4 policy and relays to its app. Half-close
// is honoured end to end. Each connection becomes one record (protocol "TCP") for the access log and tap.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { listenOn } from '../../util/listen.js';
import type { EndpointSnap } from '../../api/snapshot.js';
import type { Balancer } from '../balance/index.js';
import type { RecordSink, RequestRecord } from '../observe/record.js';
import type { Connect } from './client.js';
import { tunnel } from './tunnel.js';

export interface TcpOutboundParams {
  cluster: string;
  service: string;
  namespace: string;
  balancer: Balancer;
  /** The mTLS connect (ALPN weft-tcp) for an endpoint. */
  connect: (ep: EndpointSnap) => Connect;
  sinks: readonly RecordSink[];
  self: { workload: string; namespace: string; principal: string };
  connectTimeoutMs: number;
  /** TrafficPolicy circuitBreaker.maxConnections: connections from this proxy to the service at once. */
  maxConnections?: number;
  /** Open connections per cluster; outlives snapshots (owned by the proxy). */
  active?: Map<string, number>;
  overflow?: (cluster: string, limit: 'max_connections') => void;
}

/** Handles one accepted connection on a TCP listener. */
export type TcpHandler = (sock: net.Socket) => void;

/** A TCP listener whose handler a new snapshot replaces; connections in flight keep theirs. */
export class TcpListener {
  readonly server: net.Server;
  private readonly socks = new Set<net.Socket>();
  draining = false;

  constructor(public handler: TcpHandler, public maxConnections = 10_000) {
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => this.serve(s));
  }

  /** Tunnels an accepted connection (its own, or one the capture listener hands over). */
  serve(s: net.Socket): void {
    if (this.draining || this.socks.size >= this.maxConnections) {
      s.destroy();
      return;
    }
    this.socks.add(s);
    s.once('close', () => this.socks.delete(s));
    this.handler(s);
  }

  listen(port: number, host: string): Promise<number> {
    return listenOn(this.server, port, host);
  }

  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Stops accepting; tunnels in flight get `graceMs` to finish, then are cut. */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.socks.size > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, graceMs).unref();
        const check = setInterval(() => {
          if (this.socks.size === 0) {
            clearTimeout(t);
            clearInterval(check);
            resolve();
          }
        }, 50).unref();
        t.unref();
      });
    }
    for (const s of this.socks) s.destroy();
    await closed;
  }
}

/** One record for a finished TCP connection. */
export function tcpRecord(direction: RequestRecord['direction'], start: number, t0: bigint, r: Partial<RequestRecord>): RequestRecord {
  return {
    direction,
    start,
    durationMs: Number(process.hrtime.bigint() - t0) / 1e6,
    method: '',
    path: '',
    protocol: 'TCP',
    authority: '',
    status: 0,
    flags: '-',
    bytesIn: 0,
    bytesOut: 0,
    tls: true,
    ...r,
  };
}

function emit(sinks: readonly RecordSink[], r: RequestRecord): void {
  for (const s of sinks) {
    try {
      s.record(r);
    } catch {
      // A broken sink must never break a connection.
    }
  }
}

/** The caller's side: each connection to the local port goes to one ready endpoint of the cluster. */
export function tcpOutbound(p: TcpOutboundParams): TcpHandler {
  return (down) => {
    const start = Date.now();
    const t0 = process.hrtime.bigint();
    down.pause();
    const base: Partial<RequestRecord> = {
      authority: p.cluster, cluster: p.cluster, destService: p.service, destNamespace: p.namespace,
      sourcePrincipal: p.self.principal, sourceWorkload: p.self.workload, sourceNamespace: p.self.namespace,
    };
    const active = p.active;
    if (p.maxConnections !== undefined && active !== undefined) {
      const n = active.get(p.cluster) ?? 0;
      if (n >= p.maxConnections) {
        // Over the circuit breaker's connection limit: refused at once, as Envoy's tcp_proxy does (flag UO).
        down.destroy();
        p.overflow?.(p.cluster, 'max_connections');
        emit(p.sinks, tcpRecord('outbound', start, t0, { ...base, flags: 'UO', error: 'overflow' }));
        return;
      }
      active.set(p.cluster, n + 1);
      down.once('close', () => {
        const left = (active.get(p.cluster) ?? 1) - 1;
        if (left <= 0) active.delete(p.cluster);
        else active.set(p.cluster, left);
      });
    }
    const ep = p.balancer.pick();
    if (ep === undefined) {
      down.destroy();
      emit(p.sinks, tcpRecord('outbound', start, t0, { ...base, flags: 'UH', error: 'no-healthy-endpoint' }));
      return;
    }
    const upstreamHost = `${ep.address}:${ep.port}`;
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      down.destroy();
      emit(p.sinks, tcpRecord('outbound', start, t0, { ...base, upstreamHost, destWorkload: ep.workload || undefined, flags: 'UF', error: 'connect-failure' }));
    }, p.connectTimeoutMs);
    down.once('close', () => {
      if (done) return;
      // The caller gave up before the endpoint answered.
      done = true;
      clearTimeout(timer);
    });
    p.connect(ep)((err, up) => {
      clearTimeout(timer);
      if (done) {
        up?.destroy();
        return;
      }
      done = true;
      if (err !== null || up === null) {
        down.destroy();
        emit(p.sinks, tcpRecord('outbound', start, t0, { ...base, upstreamHost, destWorkload: ep.workload || undefined, flags: 'UF', error: 'connect-failure' }));
        return;
      }
      tunnel(down, up, (st) => {
        emit(p.sinks, tcpRecord('outbound', start, t0, { ...base, upstreamHost, destWorkload: ep.workload || undefined, bytesIn: st.aToB, bytesOut: st.bToA }));
      });
    });
  };
}
