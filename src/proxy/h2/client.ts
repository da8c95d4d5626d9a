// The upstream side of HTTP/2: a client connection that opens streams, and a pool per endpoint that
// multiplexes requests over as few connections as the peer's SETTINGS_MAX_CONCURRENT_STREAMS allows.
// A connection that got GOAWAY takes no new streams; the streams above its last-stream-id were never
// processed by the peer and are reported as refused, so the forwarder may send them again.
import type net from 'node:net';
import { connectWithin, type Connect } from '../engine/client.js';
import { H2Session, H2Stream, type Fields, type StreamEvents, type H2Limits } from './session.js';
import { ERROR, H2Error } from './frames.js';

/** Streams a client connection opens before it is retired for a fresh one (ids run out at 2^31). */
const MAX_STREAM_ID = 0x7ffffff0;

export class H2ClientConn extends H2Session {
  private nextId = 1;
  /** ms (performance.now()) since when the connection has had no streams. */
  idleSince = performance.now();

  constructor(sock: net.Socket, private readonly pool: H2Pool, limits: Partial<H2Limits>) {
    super(sock, limits, false);
    this.start(true);
  }

  /** Room for another stream now. */
  get available(): boolean {
    return !this.goingAway && !this.peerGoneAway && !this.destroyed && this.streams.size < this.peerMaxStreams && this.nextId < MAX_STREAM_ID;
  }

  get load(): number {
    return this.streams.size;
  }

  /** Opens a stream with its request head. */
  open(fields: Fields, endStream: boolean, events: StreamEvents): H2Stream {
    const id = this.nextId;
    this.nextId += 2;
    this.lastStream = id;
    this.totalStreams++;
    const s = new H2Stream(id, this);
    s.events = events;
    // A reset the server sends is never a "premature" one: that check is for clients.
    s.answered = true;
    this.streams.set(id, s);
    this.sendHeaders(s, fields, endStream);
    return s;
  }

  protected override isIdle(id: number): boolean {
    return id >= this.nextId;
  }

  protected override onHeadersFrame(id: number, fields: Fields, endStream: boolean): void {
    const s = this.streams.get(id);
    if (s === undefined) {
      if (id % 2 === 0) throw new H2Error(ERROR.PROTOCOL_ERROR, `server opened stream ${id} (push is disabled)`);
      if (this.isIdle(id)) throw new H2Error(ERROR.PROTOCOL_ERROR, `HEADERS on idle stream ${id}`);
      return;
    }
    if (s.endRemote) return this.streamError(s, ERROR.STREAM_CLOSED);
    if (endStream) s.endRemote = true;
    s.events?.onHeaders(s, fields, endStream);
    if (endStream) this.maybeRemove(s);
  }

  protected override onGoaway(last: number): void {
    // Streams above `last` were not processed: refused, safe to send again.
    for (const s of [...this.streams.values()]) {
      if (s.id > last) {
        this.remove(s);
        s.events?.onReset(s, ERROR.REFUSED_STREAM, true);
      }
    }
    this.pool.retire(this);
    if (this.streams.size === 0) this.closeSoon();
  }

  protected override streamClosed(): void {
    if (this.streams.size === 0) {
      this.idleSince = performance.now();
      if (this.peerGoneAway || this.goingAway) this.closeSoon();
    }
    this.pool.streamDone(this);
  }

  protected override closed(): void {
    this.pool.retire(this);
  }
}

/** Told when a stream can be opened (or why none can). */
export interface H2Acquirer {
  h2Ready(err: Error | null, conn: H2ClientConn | null): void;
}

export interface H2PoolOptions {
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** Most connections to the endpoint (each multiplexes up to the peer's stream limit). */
  maxConnections: number;
  limits?: Partial<H2Limits>;
}

export class H2Pool {
  private readonly conns: H2ClientConn[] = [];
  private connecting = 0;
  private readonly waiters: H2Acquirer[] = [];
  private closing = false;

  constructor(readonly name: string, private readonly connect: Connect, private readonly opts: H2PoolOptions) {}

  set connectTimeoutMs(ms: number) {
    this.opts.connectTimeoutMs = ms;
  }

  acquire(a: H2Acquirer): void {
    if (this.closing) {
      a.h2Ready(Object.assign(new Error(`pool for ${this.name} is closed`), { code: 'ECONNREFUSED' }), null);
      return;
    }
    // The least loaded connection with room.
    let best: H2ClientConn | null = null;
    for (const c of this.conns) if (c.available && (best === null || c.load < best.load)) best = c;
    if (best !== null) {
      a.h2Ready(null, best);
      return;
    }
    this.waiters.push(a);
    if (this.connecting === 0 && this.conns.length < this.opts.maxConnections) this.open();
  }

  private open(): void {
    this.connecting++;
    connectWithin(this.connect, this.opts.connectTimeoutMs, (err, sock) => {
      this.connecting--;
      if (err !== null || sock === null) {
        this.failWaiters(err ?? new Error('connect failed'));
        return;
      }
      if (this.closing) {
        sock.destroy();
        this.failWaiters(Object.assign(new Error(`pool for ${this.name} is closed`), { code: 'ECONNREFUSED' }));
        return;
      }
      const alpn = (sock as { alpnProtocol?: string | false }).alpnProtocol;
      if (alpn !== undefined && alpn !== 'h2') {
        sock.destroy();
        this.failWaiters(Object.assign(new Error(`the endpoint does not speak HTTP/2 (ALPN ${alpn || 'none'})`), { code: 'ECONNREFUSED' }));
        return;
      }
      const c = new H2ClientConn(sock, this, this.opts.limits ?? {});
      this.conns.push(c);
      this.serveWaiters();
    });
  }

  private failWaiters(err: Error): void {
    for (const w of this.waiters.splice(0)) w.h2Ready(err, null);
  }

  /** Hands waiting requests to connections with room; opens another connection when all are full. */
  private serveWaiters(): void {
    while (this.waiters.length > 0) {
      let best: H2ClientConn | null = null;
      for (const c of this.conns) if (c.available && (best === null || c.load < best.load)) best = c;
      if (best === null) break;
      this.waiters.shift()!.h2Ready(null, best);
    }
    if (this.waiters.length > 0 && this.connecting === 0 && this.conns.length < this.opts.maxConnections) this.open();
  }

  streamDone(_c: H2ClientConn): void {
    if (this.waiters.length > 0) this.serveWaiters();
  }

  /** The connection takes no new streams (GOAWAY, closed): out of the pool. */
  retire(c: H2ClientConn): void {
    const i = this.conns.indexOf(c);
    if (i !== -1) this.conns.splice(i, 1);
    if (this.waiters.length > 0) this.serveWaiters();
  }

  /** Closes connections idle past the idle timeout (called by the pools' sweep). */
  sweep(now: number): void {
    for (const c of [...this.conns]) if (c.load === 0 && now - c.idleSince > this.opts.idleTimeoutMs) {
      this.retire(c);
      c.goaway();
    }
  }

  get stats(): { connected: number; free: number; pending: number; running: number } {
    let running = 0;
    for (const c of this.conns) running += c.load;
    return { connected: this.conns.length, free: this.conns.filter((c) => c.load === 0).length, pending: this.waiters.length, running };
  }

  /** Every open socket (diagnostics, tests). */
  sockets(): net.Socket[] {
    return this.conns.map((c) => c.sock);
  }

  close(): void {
    this.closing = true;
    this.failWaiters(Object.assign(new Error(`pool for ${this.name} is closed`), { code: 'ECONNREFUSED' }));
    for (const c of [...this.conns]) c.goaway();
    this.conns.length = 0;
  }

  destroy(): void {
    const all = [...this.conns];
    this.close();
    for (const c of all) c.destroy();
  }
}
