// TLS termination at the ingress gateway (Gateway listeners with protocol HTTPS). One front per bound port:
// it accepts TCP, runs the handshake with the certificate the client's server name (SNI) selects, and hands
// each handshaken socket to the port's HttpListener. Certificates change in place (a new name table, and
// setSecureContext for clients that send no name): the port stays bound and open connections keep theirs.
import net from 'node:net';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { ListenerCertificateSnap } from '../../api/snapshot.js';
import { listenOn } from '../../util/listen.js';
import type { HttpListener } from '../engine/listener.js';

/** HTTP/2 first: the engine looks at the negotiated protocol of each socket it is given. */
export const GATEWAY_ALPN = ['h2', 'http/1.1'];
const MIN_VERSION = 'TLSv1.2' as const;

/** An HTTPS listener of one port, as the snapshot gives it. */
export interface TlsListenerSpec {
  name: string;
  hostname?: string;
  certificates: ListenerCertificateSnap[];
}

/** Which certificate a server name gets: exact names, then the longest matching wildcard, then the default. */
export interface ServerNames {
  exact: Map<string, tls.SecureContext>;
  /** ".example.com" for "*.example.com", longest first. */
  wildcards: { suffix: string; ctx: tls.SecureContext }[];
  /** The listener without a hostname: clients whose name matches nothing, or who send none. */
  fallback: { ctx: tls.SecureContext; options: tls.SecureContextOptions } | undefined;
}

function contextOptions(certs: ListenerCertificateSnap[]): tls.SecureContextOptions {
  // One chain per key: a listener may name an RSA and an ECDSA certificate, and OpenSSL picks per client.
  return { cert: certs.map((c) => c.certPem), key: certs.map((c) => c.keyPem), minVersion: MIN_VERSION };
}

/**
 * Builds the name table; throws (naming the listener and Secret, never key material) when a certificate or
 * key is refused, so the snapshot is NACKed and the running certificates stay.
 */
export function compileServerNames(listeners: TlsListenerSpec[]): ServerNames {
  const names: ServerNames = { exact: new Map(), wildcards: [], fallback: undefined };
  for (const l of listeners) {
    // A listener whose Secrets did not resolve has no certificate: its names fail the handshake.
    if (l.certificates.length === 0) continue;
    const options = contextOptions(l.certificates);
    let ctx: tls.SecureContext;
    try {
      ctx = tls.createSecureContext(options);
    } catch (e) {
      throw new Error(`listener ${l.name}: certificate from Secret ${l.certificates.map((c) => c.secret).join(', ')} refused: ${(e as Error).message}`);
    }
    if (l.hostname === undefined) names.fallback = { ctx, options };
    else if (l.hostname.startsWith('*.')) names.wildcards.push({ suffix: l.hostname.slice(1), ctx });
    else names.exact.set(l.hostname, ctx);
  }
  names.wildcards.sort((a, b) => b.suffix.length - a.suffix.length);
  return names;
}

/** Gateway API hostname matching: "*.example.com" covers any name below example.com, not example.com itself. */
export function selectContext(names: ServerNames, servername: string): tls.SecureContext | undefined {
  const host = servername.toLowerCase().replace(/\.$/, '');
  const exact = names.exact.get(host);
  if (exact !== undefined) return exact;
  for (const w of names.wildcards) if (host.length > w.suffix.length && host.endsWith(w.suffix)) return w.ctx;
  return names.fallback?.ctx;
}

export class GatewayTlsFront {
  /** Accepts TCP; what it accepts is handshaken by `engine`, then served by `http`. */
  readonly server: net.Server;
  private engine: tls.Server;
  private names: ServerNames;
  private readonly sockets = new Set<net.Socket>();
  private handshakeTimeoutMs = 10_000;
  /** Handshakes that failed (bad client, no certificate for its name, timeout). */
  failedHandshakes = 0;

  constructor(readonly http: HttpListener, names: ServerNames) {
    this.names = names;
    this.server = net.createServer({ noDelay: true }, (s) => this.accept(s));
    this.engine = this.newEngine();
  }

  /** A TLS server that never listens itself: it handshakes the sockets `accept` gives it. */
  private newEngine(ticketKeys?: Buffer): tls.Server {
    const e = tls.createServer({
      ...(this.names.fallback?.options ?? { minVersion: MIN_VERSION }),
      minVersion: MIN_VERSION,
      ALPNProtocols: GATEWAY_ALPN,
      handshakeTimeout: this.handshakeTimeoutMs,
      SNICallback: (servername, cb) => {
        const ctx = selectContext(this.names, servername);
        if (ctx === undefined) cb(new Error(`no certificate for server name ${servername}`));
        else cb(null, ctx);
      },
    });
    if (ticketKeys !== undefined) e.setTicketKeys(ticketKeys);
    e.on('secureConnection', (s: tls.TLSSocket) => this.http.serve(s));
    // Node leaves a failed handshake's socket open once anyone listens for this event: close it here.
    e.on('tlsClientError', (_err, s) => {
      this.failedHandshakes++;
      s.destroy();
    });
    return e;
  }

  /** New certificates apply to handshakes from now on; connections already open keep theirs. */
  setServerNames(names: ServerNames): void {
    this.names = names;
    const keys = this.engine.getTicketKeys();
    // Clients that send no server name get the default listener's certificate (or none: no handshake).
    this.engine.setSecureContext(names.fallback?.options ?? { minVersion: MIN_VERSION });
    this.engine.setTicketKeys(keys);
  }

  /** The Mesh's requestHeadersTimeout bounds the handshake too; maxConnections counts handshakes in progress. */
  setLimits(l: { headerTimeoutMs: number }): void {
    if (l.headerTimeoutMs === this.handshakeTimeoutMs) return;
    this.handshakeTimeoutMs = l.headerTimeoutMs;
    // Node reads the handshake timeout once, when the TLS server is made; handshakes under way finish on the old one.
    this.engine = this.newEngine(this.engine.getTicketKeys());
  }

  private accept(s: net.Socket): void {
    if (this.http.draining || this.sockets.size >= this.http.limits.maxConnections) {
      if (!this.http.draining) this.http.refused++;
      s.destroy();
      return;
    }
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
    s.on('error', () => s.destroy());
    this.engine.emit('connection', s);
  }

  listen(port: number, host: string): Promise<number> {
    return listenOn(this.server, port, host);
  }

  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Stops accepting, lets the HTTP listener finish what is in flight (up to graceMs), then closes everything. */
  async drain(graceMs: number): Promise<void> {
    const closed = this.server.listening ? new Promise<void>((resolve) => this.server.close(() => resolve())) : Promise.resolve();
    await this.http.drain(graceMs);
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}
