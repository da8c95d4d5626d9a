// The control plane side of config push: authenticates each proxy's stream, sends it its own snapshot
// whenever that snapshot's version changes, and records ACK/NACK per proxy for `weft status`.
import { listenOn } from '../../util/listen.js';
import http2 from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { Snapshot } from '../../api/snapshot.js';
import { lineReader, STREAM_PATH, type ControlMessage, type ProxyCertStatus, type ProxyHello, type ProxyMessage } from '../../api/push.js';
import type { ProxyRef } from '../translate/index.js';

export interface ProxyConn {
  ref: ProxyRef;
  proxyVersion: string;
  /** host:port of the proxy's admin listener. */
  admin?: string;
  connected: boolean;
  connectedAt: number;
  lastSeen: number;
  /** Version last sent. */
  sent?: string;
  acked?: string;
  nacked?: { version: string; error: string };
  /** The snapshot the proxy last ACKed: what it is running. */
  running?: Snapshot;
  /** Version reported in hello: what it ran before this connection. */
  helloVersion: string | null;
  /** The certificate the proxy says it presents, and any error it reports (e.g. expired: failing closed). */
  certificate?: ProxyCertStatus['certificate'];
  certError?: string;
  bundleSize?: number;
  bundleId?: string;
  /** Serial of the certificate last issued to it. */
  issuedSerial?: string;
  /** Endpoints its outlier detection has ejected now, by cluster (what it last reported). */
  ejected?: Record<string, string[]>;
}

export interface PushServerOptions {
  /** Checks the bootstrap credential; returns the identity it is bound to, or undefined. */
  authenticate: (name: string, token: string) => ProxyRef | undefined;
  snapshotFor: (ref: ProxyRef) => Snapshot;
  /** Signs a CSR for the identity the proxy's credential is bound to: the chain and the roots to trust. */
  signCsr: (ref: ProxyRef, csrPem: string) => Promise<{ chain: string[]; bundle: string[]; serial: string }>;
  log: (msg: string) => void;
  /** Serve over TLS with the control plane's own mesh certificate; proxies that present a certificate
   *  must present the identity their credential is bound to. Without it: cleartext HTTP/2 (tests). */
  tls?: { key: string; cert: string; ca: string[] };
  /** The SPIFFE ID a proxy's client certificate must carry, for a given credential identity. */
  expectedPeerId?: (ref: ProxyRef) => string;
  /**
   * Liveness of each proxy's connection, as the proxy checks the control plane's: a PING every `pingMs`;
   * a proxy that has answered none for `deadMs` is gone (a crashed host, a partition) and its stream is
   * closed, so status says STALE instead of SYNCED. Default 10 s / 30 s.
   */
  keepalive?: { pingMs: number; deadMs: number };
}

interface Live {
  conn: ProxyConn;
  stream: http2.ServerHttp2Stream;
  lastSnapshot?: Snapshot;
}

export class PushServer {
  private readonly server: http2.Http2Server | http2.Http2SecureServer;
  private readonly live = new Map<string, Live>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  readonly conns = new Map<string, ProxyConn>();

  constructor(private readonly opts: PushServerOptions) {
    this.server = opts.tls
      ? http2.createSecureServer({ key: opts.tls.key, cert: opts.tls.cert, ca: opts.tls.ca, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' })
      : http2.createServer();
    this.server.on('stream', (stream, headers) => this.onStream(stream, headers));
    this.server.on('sessionError', () => {});
    this.server.on('session', (s) => {
      this.sessions.add(s);
      const { pingMs, deadMs } = this.opts.keepalive ?? { pingMs: 10_000, deadMs: 30_000 };
      let answered = Date.now();
      const ping = setInterval(() => {
        if (s.destroyed) return;
        if (Date.now() - answered > deadMs) {
          s.destroy();
          return;
        }
        try {
          s.ping((err) => {
            if (err === null) answered = Date.now();
          });
        } catch {
          // Too many unanswered PINGs in flight: the next tick decides.
        }
      }, pingMs);
      ping.unref();
      s.on('close', () => {
        clearInterval(ping);
        this.sessions.delete(s);
      });
    });
  }

  listen(port: number, host: string): Promise<number> {
    return listenOn(this.server, port, host);
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on('error', () => {});
    if (headers[':path'] !== STREAM_PATH || headers[':method'] !== 'POST') {
      stream.respond({ ':status': 404 });
      stream.end();
      return;
    }
    const name = String(headers['x-weft-proxy'] ?? '');
    const auth = String(headers['authorization'] ?? '');
    const ref = auth.startsWith('Bearer ') ? this.opts.authenticate(name, auth.slice(7)) : undefined;
    if (ref === undefined) {
      this.opts.log(`refused config stream for "${name}": bad or missing credential`);
      stream.respond({ ':status': 401 });
      stream.end();
      return;
    }
    // Client auth once issued: a proxy that presents a certificate must present its own identity.
    const sock = stream.session?.socket as TLSSocket | undefined;
    if (sock !== undefined && typeof sock.getPeerX509Certificate === 'function' && this.opts.expectedPeerId) {
      const cert = sock.getPeerX509Certificate();
      if (cert !== undefined) {
        const want = this.opts.expectedPeerId(ref);
        if (!sock.authorized || !(cert.subjectAltName ?? '').split(', ').includes(`URI:${want}`)) {
          this.opts.log(`refused config stream for "${name}": client certificate is not ${want}${sock.authorized ? '' : ` (${sock.authorizationError})`}`);
          stream.respond({ ':status': 403 });
          stream.end();
          return;
        }
      }
    }
    stream.respond({ ':status': 200, 'content-type': 'application/x-ndjson' });
    let live: Live | undefined;
    stream.on('data', lineReader(
      (m) => {
        const msg = m as ProxyMessage;
        if (msg.type === 'hello') live = this.onHello(ref, msg as ProxyHello, stream);
        else if (live !== undefined) this.onReply(live, msg);
      },
      (e) => this.opts.log(`bad message from ${name}: ${e.message}`),
    ));
    stream.on('close', () => {
      if (live !== undefined && this.live.get(name) === live) {
        this.live.delete(name);
        live.conn.connected = false;
        live.conn.lastSeen = Date.now();
        this.opts.log(`proxy ${name} disconnected`);
      }
    });
  }

  private onHello(ref: ProxyRef, hello: ProxyHello, stream: http2.ServerHttp2Stream): Live {
    const prev = this.live.get(ref.name);
    if (prev !== undefined) prev.stream.close(); // a reconnect replaces a half-dead stream
    const old = this.conns.get(ref.name);
    const conn: ProxyConn = {
      ref, proxyVersion: hello.proxy.version, admin: hello.proxy.admin, connected: true, connectedAt: Date.now(), lastSeen: Date.now(),
      helloVersion: hello.configVersion, running: old?.running, certificate: old?.certificate, issuedSerial: old?.issuedSerial,
      acked: old?.running?.version === hello.configVersion ? hello.configVersion ?? undefined : undefined,
    };
    this.conns.set(ref.name, conn);
    const live: Live = { conn, stream };
    this.live.set(ref.name, live);
    this.opts.log(`proxy ${ref.name} connected (serving ${hello.configVersion ?? 'nothing yet'})`);
    this.pushTo(live);
    return live;
  }

  private onReply(live: Live, msg: ProxyMessage): void {
    const c = live.conn;
    c.lastSeen = Date.now();
    if (msg.type === 'ack') {
      c.acked = msg.version;
      if (c.nacked && c.nacked.version === msg.version) c.nacked = undefined;
      if (live.lastSnapshot?.version === msg.version) c.running = live.lastSnapshot;
      if (c.nacked && c.nacked.version !== c.sent) c.nacked = undefined;
    } else if (msg.type === 'nack') {
      c.nacked = { version: msg.version, error: msg.error };
      this.opts.log(`proxy ${c.ref.name} rejected config ${msg.version}: ${msg.error}`);
    } else if (msg.type === 'csr') {
      this.opts.signCsr(c.ref, msg.csr).then(
        (r) => {
          c.issuedSerial = r.serial;
          this.send(live, { type: 'certificate', chain: r.chain, bundle: r.bundle });
        },
        (e) => {
          this.opts.log(`refused CSR from ${c.ref.name}: ${(e as Error).message}`);
          this.send(live, { type: 'error', error: `CSR refused: ${(e as Error).message}` });
        },
      );
    } else if (msg.type === 'endpoint-health') {
      c.ejected = msg.ejected;
    } else if (msg.type === 'cert-status') {
      c.certificate = msg.certificate;
      c.certError = msg.error;
      if (msg.bundleSize !== undefined) c.bundleSize = msg.bundleSize;
      if (msg.bundleId !== undefined) c.bundleId = msg.bundleId;
      if (msg.error) this.opts.log(`proxy ${c.ref.name}: ${msg.error}`);
    }
  }

  private send(live: Live, m: ControlMessage): void {
    if (!live.stream.destroyed) live.stream.write(JSON.stringify(m) + '\n');
  }

  /** Sends a message to every connected proxy (trust bundle updates, renew requests). */
  broadcast(m: ControlMessage): void {
    for (const l of this.live.values()) this.send(l, m);
  }

  connected(): ProxyConn[] {
    return [...this.live.values()].map((l) => l.conn);
  }

  /** Recomputes every connected proxy's snapshot and sends those that changed. */
  pushAll(): void {
    for (const live of this.live.values()) this.pushTo(live);
  }

  private pushTo(live: Live): void {
    let snap: Snapshot;
    try {
      snap = this.opts.snapshotFor(live.conn.ref);
    } catch (e) {
      this.opts.log(`cannot build config for ${live.conn.ref.name}: ${(e as Error).message}`);
      return;
    }
    if (snap.version === live.conn.sent) return;
    live.conn.sent = snap.version;
    live.lastSnapshot = snap;
    if (live.conn.helloVersion === snap.version && live.conn.running === undefined) live.conn.running = snap;
    live.stream.write(JSON.stringify({ type: 'snapshot', version: snap.version, snapshot: snap }) + '\n');
  }

  /** What `weft status` shows for a proxy. */
  stateOf(c: ProxyConn): { state: 'SYNCED' | 'STALE' | 'NACKED'; error?: string } {
    if (c.nacked !== undefined && c.nacked.version === c.sent) return { state: 'NACKED', error: c.nacked.error };
    if (!c.connected) return { state: 'STALE', error: `disconnected since ${new Date(c.lastSeen).toISOString()}` };
    if (c.sent !== undefined && c.acked === c.sent) return { state: 'SYNCED' };
    return { state: 'STALE', error: c.sent === undefined ? 'no config sent yet' : `waiting for ACK of ${c.sent}` };
  }

  /** Swaps the control plane's own certificate and trust bundle (renewal, CA rotation). */
  setTls(t: { key: string; cert: string; ca: string[] }): void {
    const s = this.server as http2.Http2SecureServer;
    if (typeof s.setSecureContext === 'function') s.setSecureContext({ key: t.key, cert: t.cert, ca: t.ca, requestCert: true, rejectUnauthorized: false } as never);
  }

  async close(): Promise<void> {
    for (const l of this.live.values()) l.stream.close();
    for (const s of this.sessions) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
