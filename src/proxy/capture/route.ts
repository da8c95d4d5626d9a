// Where a captured connection goes: the service port its original destination belongs to, else outside the
// mesh under the Mesh's outboundTrafficPolicy. Built once per snapshot.
import net from 'node:net';
import type { RecordSink, RequestRecord } from '../observe/record.js';
import { tcpRecord } from '../engine/tcp.js';
import { tunnel } from '../engine/tunnel.js';
import type { CaptureRoute } from './listener.js';

export interface CaptureTargets {
  /** "<virtual IP>:<port>" -> the service port's upstream key. */
  byAddress: ReadonlyMap<string, string>;
  /** The service port's per-service HTTP listener (routes, retries, mTLS: the whole outbound stack). */
  http: (key: string) => { serve(s: net.Socket): void } | undefined;
  /** The service port's opaque TCP tunnel. */
  tcp: (key: string) => { serve(s: net.Socket): void } | undefined;
  policy: 'ALLOW_ANY' | 'REGISTRY_ONLY';
  sinks: readonly RecordSink[];
  self: { workload: string; namespace: string; principal: string };
  connectTimeoutMs: number;
}

export function captureRoute(t: CaptureTargets): CaptureRoute {
  const record = (r: RequestRecord): void => {
    for (const k of t.sinks) {
      try { k.record(r); } catch { /* never break a connection */ }
    }
  };
  return (s, dst) => {
    const key = t.byAddress.get(`${dst.address}:${dst.port}`);
    if (key !== undefined) {
      const tcp = t.tcp(key);
      if (tcp !== undefined) return tcp.serve(s);
      const http = t.http(key);
      if (http !== undefined) {
        // The HTTP server side closes on the client's FIN, as its own listener's sockets do.
        s.allowHalfOpen = false;
        return http.serve(s);
      }
    }
    const start = Date.now();
    const t0 = process.hrtime.bigint();
    const authority = `${dst.address}:${dst.port}`;
    const base: Partial<RequestRecord> = { authority, tls: false, sourcePrincipal: t.self.principal, sourceWorkload: t.self.workload, sourceNamespace: t.self.namespace };
    if (t.policy === 'REGISTRY_ONLY') {
      s.destroy();
      record(tcpRecord('outbound', start, t0, { ...base, flags: 'NR', error: 'registry-only' }));
      return;
    }
    // ALLOW_ANY: bytes go on to where the app sent them (this proxy's own connections are not captured).
    s.pause();
    const up = net.connect({ host: dst.address, port: dst.port, allowHalfOpen: true, noDelay: true, timeout: t.connectTimeoutMs });
    const failed = (): void => {
      up.destroy();
      s.destroy();
      record(tcpRecord('outbound', start, t0, { ...base, upstreamHost: authority, flags: 'UF', error: 'connect-failure' }));
    };
    up.once('error', failed);
    up.once('timeout', failed);
    up.once('connect', () => {
      up.off('error', failed);
      up.off('timeout', failed);
      up.setTimeout(0);
      tunnel(s, up, (st) => record(tcpRecord('outbound', start, t0, { ...base, upstreamHost: authority, bytesIn: st.aToB, bytesOut: st.bToA })));
    });
  };
}
