// The inbound listener: one port that speaks mutual TLS, plaintext, or both (PERMISSIVE), decided per
// connection from its first byte (a TLS handshake starts with 0x16). Verified peers are tagged on the
// socket once per connection, so requests read their identity without any per-request TLS work.
import { listenOn } from '../../util/listen.js';
import net from 'node:net';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { MtlsMode } from '../../api/types.js';
import type { HttpListener } from '../engine/listener.js';
import type { IdentityManager } from './manager.js';
import { peerOf, type PeerIdentity } from './verify.js';
import { TCP_ALPN, type TlsStats } from './connector.js';

export interface InboundTlsOptions {
  http: HttpListener;
  identity: IdentityManager;
  trustDomain: () => string;
  mode: () => MtlsMode;
  stats: TlsStats & { rejectedPlaintext: number };
  log: (msg: string) => void;
  /** An opaque TCP tunnel a peer sidecar opened (ALPN weft-tcp): L4 policy, then bytes to the app. */
  tcp?: (s: tls.TLSSocket, peer: PeerIdentity) => void;
}

export class InboundTlsListener {
  readonly server: net.Server;
  private tlsServer: tls.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly tlsSockets = new Set<tls.TLSSocket>();

  constructor(private readonly o: InboundTlsOptions) {
    // Half-open allowed: a TCP tunnel passes a client's FIN on and still carries the answer back.
    this.server = net.createServer({ noDelay: true, allowHalfOpen: true }, (s) => this.accept(s));
    o.identity.onChange(() => this.refreshContext());
  }

  private refreshContext(): void {
    const id = this.o.identity.current;
    if (id === undefined) return;
    const opts = { key: id.keyPem, cert: id.chain.join('\n'), ca: id.bundle.join('\n'), requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' as const };
    if (this.tlsServer === undefined) {
      this.tlsServer = tls.createServer({ ...opts, ALPNProtocols: ['h2', 'http/1.1', TCP_ALPN], handshakeTimeout: this.handshakeTimeoutMs, allowHalfOpen: true });
      this.tlsServer.on('secureConnection', (s) => this.secured(s));
      this.tlsServer.on('tlsClientError', () => { this.o.stats.rejectedPeers++; });
    } else {
      // Keep session-ticket keys across renewals so peers can still resume.
      const keys = this.tlsServer.getTicketKeys();
      this.tlsServer.setSecureContext(opts);
      this.tlsServer.setTicketKeys(keys);
    }
  }

  /** A connection's first byte, and then its TLS handshake, must each come within the head timeout. */
  private handshakeTimeoutMs = 10_000;
  setLimits(l: { headerTimeoutMs: number }): void {
    this.handshakeTimeoutMs = l.headerTimeoutMs;
  }

  private accept(s: net.Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
    s.once('error', () => s.destroy());
    // A peer that opens a connection and never finishes its handshake must not hold it.
    const timer = setTimeout(() => s.destroy(), this.handshakeTimeoutMs).unref();
    s.once('close', () => clearTimeout(timer));
    s.once('data', (first: Buffer) => {
      s.pause();
      clearTimeout(timer);
      s.unshift(first);
      const isTls = first[0] === 0x16;
      const mode = this.o.mode();
      if (isTls) {
        if (mode === 'DISABLE' || this.tlsServer === undefined || this.o.identity.expired) {
          // No certificate to answer with (or TLS turned off): refuse rather than degrade.
          s.destroy();
          return;
        }
        this.tlsServer.emit('connection', s);
      } else {
        if (mode === 'STRICT') {
          this.o.stats.rejectedPlaintext++;
          s.destroy();
          return;
        }
        this.o.http.serve(s);
        s.resume();
      }
    });
  }

  /** Fail closed: cuts every mTLS connection now (e.g. our certificate expired). */
  dropTls(): void {
    for (const s of this.tlsSockets) s.destroy();
  }

  private secured(s: tls.TLSSocket): void {
    this.tlsSockets.add(s);
    s.once('close', () => this.tlsSockets.delete(s));
    const cert = s.getPeerX509Certificate();
    const p = cert === undefined ? 'no peer certificate' : peerOf(cert, this.o.trustDomain());
    if (typeof p === 'string') {
      this.o.stats.rejectedPeers++;
      this.o.log(`refused peer ${s.remoteAddress}: ${p}`);
      s.destroy();
      return;
    }
    this.o.stats.serverHandshakes++;
    if (s.isSessionReused()) this.o.stats.serverResumed++;
    if (s.alpnProtocol === TCP_ALPN) {
      if (this.o.tcp === undefined) s.destroy();
      else this.o.tcp(s, p);
      return;
    }
    this.o.http.serve(s, p);
  }

  listen(port: number, host: string): Promise<number> {
    return listenOn(this.server, port, host);
  }

  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0;
  }

  async drain(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.o.http.drain(graceMs);
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}
