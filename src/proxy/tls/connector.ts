// Opens mTLS connections to peer proxies for the engine's connection pools. Reads the proxy's identity at connect
// time (so renewals apply to new connections), keeps one TLS session per peer for resumption, and counts
// handshakes so the cost of mTLS can be seen (`/stats` on the admin listener).
import tls from 'node:tls';
import type { Connect } from '../engine/client.js';
import type { IdentityManager } from './manager.js';
import { serverIdentityCheck } from './verify.js';

export interface TlsStats {
  clientHandshakes: number;
  clientResumed: number;
  serverHandshakes: number;
  serverResumed: number;
  rejectedPeers: number;
}

export function newTlsStats(): TlsStats {
  return { clientHandshakes: 0, clientResumed: 0, serverHandshakes: 0, serverResumed: 0, rejectedPeers: 0 };
}

export interface MtlsClientDeps {
  identity: IdentityManager;
  trustDomain: () => string;
  /** SPIFFE IDs allowed to answer at this endpoint (address:port). */
  allowed: (endpoint: string) => ReadonlySet<string> | undefined;
  stats: TlsStats;
}

/** ALPN a sidecar offers for an opaque TCP tunnel; the peer's inbound port then relays bytes to its app. */
export const TCP_ALPN = 'weft-tcp';

export function mtlsConnector(deps: MtlsClientDeps, endpoint: string, host: string, port: number, alpn = 'http/1.1'): Connect {
  let session: Buffer | undefined;
  const check = serverIdentityCheck(deps.trustDomain(), () => deps.allowed(endpoint));
  return (callback) => {
    const id = deps.identity.current;
    if (id === undefined || deps.identity.expired) {
      // Fail closed: without a valid certificate there is no connection, never a plaintext one.
      callback(Object.assign(new Error(`no valid workload certificate${deps.identity.expired ? ' (expired)' : ''}`), { code: 'ECONNREFUSED' }), null);
      return;
    }
    const socket = tls.connect({
      host,
      port,
      secureContext: id.clientContext,
      ALPNProtocols: [alpn],
      // A tunnel passes a half-close on; HTTP connections never half-close.
      allowHalfOpen: alpn === TCP_ALPN,
      session,
      rejectUnauthorized: true,
      checkServerIdentity: check,
    } as tls.ConnectionOptions);
    socket.setNoDelay(true);
    socket.on('session', (s: Buffer) => { session = s; });
    const onError = (e: Error) => {
      socket.off('secureConnect', onConnect);
      if ((e as { code?: string }).code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /identity|SAN|EKU|CA|trust domain/.test(e.message)) deps.stats.rejectedPeers++;
      socket.destroy();
      callback(e, null);
    };
    const onConnect = () => {
      socket.off('error', onError);
      deps.stats.clientHandshakes++;
      if (socket.isSessionReused()) deps.stats.clientResumed++;
      callback(null, socket);
    };
    socket.once('error', onError);
    socket.once('secureConnect', onConnect);
  };
}
