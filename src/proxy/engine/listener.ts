// An HTTP/1.1 listener on the engine: owns its connections, holds the layer stack in a slot that a new
// snapshot replaces atomically (requests in flight finish on the stack they started with), enforces the
// listener limits, and drains: stop accepting, let in-flight requests finish, then close what is left.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { listenOn } from '../../util/listen.js';
import type { Service } from '../stack/index.js';
import type { Ctx } from '../context.js';
import type { PeerIdentity } from '../tls/verify.js';
import { HeadParser } from './head.js';
import { ServerConn, DEFAULT_LISTENER_LIMITS, type ConnOwner, type ListenerConn, type ListenerLimits } from './server.js';
import { H2ServerConn } from '../h2/server.js';
import type { H2Limits } from '../h2/session.js';

const SWEEP_MS = 500;

export class HttpListener implements ConnOwner {
  /** The accepting server; a listener fed by another one (the inbound TLS front) never listens itself. */
  readonly server: net.Server;
  service: Service<Ctx>;
  /** Called before layers run, e.g. to pin the authority for a per-service port. */
  prepare: ((ctx: Ctx) => void) | undefined;
  limits: ListenerLimits;
  parser: HeadParser;
  draining = false;
  private readonly conns = new Set<ListenerConn>();
  private inflight = 0;
  private idleWaiters: (() => void)[] = [];
  private sweeper: NodeJS.Timeout | undefined;
  /** Connections refused because the listener was at maxConnections. */
  refused = 0;
  /** Told about requests refused before they reached the layers (the proxy records them). */
  onRejected: ((conn: ServerConn, status: number, code: 'bad-request' | 'request-timeout', why: string) => void) | undefined;

  rejected(conn: ServerConn, status: number, code: 'bad-request' | 'request-timeout', why: string): void {
    this.onRejected?.(conn, status, code, why);
  }

  constructor(service: Service<Ctx>, readonly scheme = 'http', limits: Partial<ListenerLimits> = {}) {
    this.service = service;
    this.limits = { ...DEFAULT_LISTENER_LIMITS, ...limits };
    this.parser = new HeadParser(this.limits);
    this.server = net.createServer({ noDelay: true }, (s) => this.serve(s));
  }

  /** New limits (a Mesh change) apply to requests parsed from now on. */
  setLimits(limits: Partial<ListenerLimits>): void {
    const next = { ...DEFAULT_LISTENER_LIMITS, ...limits };
    const l = this.limits;
    if (next.maxHeadBytes !== l.maxHeadBytes || next.maxHeaders !== l.maxHeaders || next.maxRequestLine !== l.maxRequestLine) this.parser = new HeadParser(next);
    this.limits = next;
  }

  /** Serves an accepted socket (plain, or TLS after the handshake with its verified peer). */
  serve(sock: net.Socket, peer?: PeerIdentity): void {
    if (this.draining || this.conns.size >= this.limits.maxConnections) {
      if (!this.draining) this.refused++;
      sock.destroy();
      return;
    }
    // ALPN h2 after a TLS handshake; h2c with prior knowledge is noticed by ServerConn from the preface.
    if ((sock as { alpnProtocol?: string | false }).alpnProtocol === 'h2') this.serveH2(sock, peer);
    else this.conns.add(new ServerConn(sock, this, peer));
    this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
  }

  /** HTTP/2 settings from the listener limits: header lists bounded as HTTP/1 heads are. */
  h2Limits: Partial<H2Limits> = {};

  serveH2(sock: net.Socket, peer: PeerIdentity | undefined, first?: Buffer): void {
    const c = new H2ServerConn(sock, this, peer, { maxHeaderListSize: this.limits.maxHeadBytes, ...this.h2Limits }, first);
    this.conns.add(c);
    this.h2Conns++;
  }

  /** Connections that spoke HTTP/2. */
  h2Conns = 0;

  private sweep(): void {
    const now = performance.now();
    for (const c of this.conns) if (c.deadline !== 0 && c.deadline <= now) c.expire();
  }

  requestStarted(): void {
    this.inflight++;
  }

  requestDone(): void {
    if (--this.inflight === 0 && this.idleWaiters.length > 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  forget(conn: ListenerConn): void {
    this.conns.delete(conn);
    if (this.conns.size === 0 && this.sweeper !== undefined) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  get connections(): number {
    return this.conns.size;
  }

  listen(port: number, host: string): Promise<number> {
    return listenOn(this.server, port, host);
  }

  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Stops accepting, waits up to `graceMs` for in-flight requests, then closes every connection. */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    const closed = this.server.listening ? new Promise<void>((resolve) => this.server.close(() => resolve())) : Promise.resolve();
    for (const c of this.conns) c.closeIfIdle();
    if (this.inflight > 0) {
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref()),
      ]);
    }
    for (const c of this.conns) c.sock.destroy();
    await closed;
  }
}
