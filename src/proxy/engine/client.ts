// The upstream side of the engine: keep-alive pools of raw sockets (plain or mTLS), one pool per endpoint.
// A pool hands out a connection per exchange and takes it back when the exchange left it clean (whole
// request sent, whole response read, neither side asked to close). Idle connections close after the
// pool's idle timeout, or earlier when the server's Keep-Alive header says it closes sooner.
import net from 'node:net';
import { ChunkedScanner } from './chunked.js';

/** Opens one connection; calls back once, with the socket ready for bytes (TLS handshake done). */
export type Connect = (cb: (err: Error | null, sock: net.Socket | null) => void) => void;

/** What a pool calls when a connection is ready for an exchange (or none could be had). */
export interface Acquirer {
  connected(err: Error | null, conn: UpConn | null): void;
}

/** What a connection tells the exchange that holds it. */
export interface UpUser {
  onUpData(chunk: Buffer): void;
  onUpClose(err: Error | undefined): void;
  onUpDrain(): void;
}

export interface PoolOptions {
  maxConnections: number;
  idleTimeoutMs: number;
  connectTimeoutMs: number;
  /** Exchanges that may wait for a connection while all maxConnections are busy; past it: overflow. Default: no bound. */
  maxPending?: number;
}

export class UpConn {
  user: UpUser | null = null;
  /** Has carried an exchange before: a failure before any response byte may be a stale keep-alive. */
  reused = false;
  idleDeadline = 0;
  /** The server's own idle limit from its Keep-Alive header, ms (0: unknown). */
  serverIdleMs = 0;
  closed = false;
  private err: Error | undefined = undefined;
  /** Reused per exchange to follow a chunked response. */
  readonly scanner = new ChunkedScanner();

  constructor(readonly sock: net.Socket, readonly pool: UpstreamPool) {
    sock.on('data', this.onData);
    sock.on('end', this.onEnd);
    sock.on('error', this.onError);
    sock.on('close', this.onClose);
    sock.on('drain', this.onDrain);
  }

  private readonly onData = (chunk: Buffer): void => {
    const u = this.user;
    if (u !== null) u.onUpData(chunk);
    // Bytes on an idle connection are a protocol error: it can never carry a request again.
    else this.sock.destroy();
  };
  private readonly onEnd = (): void => {
    // The server half-closed: nothing more can be read, so the connection is done once the exchange ends.
    this.closed = true;
    if (this.user === null) this.sock.destroy();
    else this.user.onUpClose(undefined);
  };
  private readonly onError = (e: Error): void => {
    this.err = e;
  };
  private readonly onClose = (): void => {
    this.closed = true;
    this.pool.removed(this);
    const u = this.user;
    this.user = null;
    if (u !== null) u.onUpClose(this.err);
  };
  private readonly onDrain = (): void => {
    this.user?.onUpDrain();
  };

  /** Back to the pool, clean. */
  release(): void {
    this.user = null;
    this.reused = true;
    this.pool.release(this);
  }

  /** Not reusable (the exchange did not leave it clean): close it. */
  discard(): void {
    this.user = null;
    this.closed = true;
    this.sock.destroy();
  }

  /** Taken out of the pool for good (a tunnel); the caller owns the socket. */
  detach(): net.Socket {
    this.user = null;
    this.closed = true;
    this.sock.off('data', this.onData);
    this.sock.off('end', this.onEnd);
    this.sock.off('drain', this.onDrain);
    this.pool.removed(this);
    return this.sock;
  }
}

export class UpstreamPool {
  private readonly idle: UpConn[] = [];
  private readonly waiters: Acquirer[] = [];
  private readonly all = new Set<UpConn>();
  private connecting = 0;
  private closing = false;

  constructor(
    readonly name: string,
    private readonly connect: Connect,
    private readonly opts: PoolOptions,
  ) {}

  set connectTimeoutMs(ms: number) {
    this.opts.connectTimeoutMs = ms;
  }

  /** Every connection is busy and no more may be opened: an acquire now would wait in line. */
  get saturated(): boolean {
    return this.idle.length === 0 && this.all.size + this.connecting >= this.opts.maxConnections;
  }

  acquire(a: Acquirer): void {
    if (this.closing) {
      a.connected(Object.assign(new Error(`pool for ${this.name} is closed`), { code: 'ECONNREFUSED' }), null);
      return;
    }
    const idle = this.idle;
    while (idle.length > 0) {
      const c = idle.pop()!;
      if (!c.closed) {
        a.connected(null, c);
        return;
      }
    }
    if (this.all.size + this.connecting < this.opts.maxConnections) this.open(a);
    else if (this.waiters.length < (this.opts.maxPending ?? Infinity)) this.waiters.push(a);
    else {
      const err = Object.assign(new Error(`${this.opts.maxConnections} connections busy and ${this.waiters.length} requests waiting (circuitBreaker.maxPendingRequests ${this.opts.maxPending})`), { code: 'WEFT_OVERFLOW', limit: 'max_pending_requests' });
      a.connected(err, null);
    }
  }

  /** New limits from a config push; connections over a lowered maxConnections close as they come back. */
  configure(o: PoolOptions): void {
    this.opts.maxConnections = o.maxConnections;
    this.opts.idleTimeoutMs = o.idleTimeoutMs;
    this.opts.connectTimeoutMs = o.connectTimeoutMs;
    this.opts.maxPending = o.maxPending;
  }

  private open(a: Acquirer): void {
    this.connecting++;
    connectWithin(this.connect, this.opts.connectTimeoutMs, (err, sock) => {
      this.connecting--;
      if (err !== null || sock === null) {
        a.connected(err ?? new Error('connect failed'), null);
        this.serveWaiter();
        return;
      }
      const c = new UpConn(sock, this);
      this.all.add(c);
      if (this.closing) {
        c.discard();
        a.connected(Object.assign(new Error(`pool for ${this.name} is closed`), { code: 'ECONNREFUSED' }), null);
        return;
      }
      a.connected(null, c);
    });
  }

  /** A waiting exchange gets a new connection when one slot frees up. */
  private serveWaiter(): void {
    const w = this.waiters.shift();
    if (w !== undefined) this.acquire(w);
  }

  release(c: UpConn): void {
    if (c.closed || this.closing || this.all.size > this.opts.maxConnections) {
      c.discard();
      return;
    }
    const w = this.waiters.shift();
    if (w !== undefined) {
      w.connected(null, c);
      return;
    }
    const limit = c.serverIdleMs > 0 ? Math.min(c.serverIdleMs, this.opts.idleTimeoutMs) : this.opts.idleTimeoutMs;
    c.idleDeadline = performance.now() + limit;
    this.idle.push(c);
  }

  removed(c: UpConn): void {
    if (!this.all.delete(c)) return;
    const i = this.idle.indexOf(c);
    if (i !== -1) this.idle.splice(i, 1);
    this.serveWaiter();
  }

  /** Closes idle connections past their deadline (called by the pools' sweep). */
  sweep(now: number): void {
    const idle = this.idle;
    for (let i = idle.length - 1; i >= 0; i--) {
      const c = idle[i]!;
      if (c.idleDeadline <= now) {
        idle.splice(i, 1);
        c.discard();
      }
    }
  }

  /** Every open socket of this pool (buffer checks in tests, diagnostics). */
  sockets(): net.Socket[] {
    return [...this.all].map((c) => c.sock);
  }

  get stats(): { connected: number; free: number; pending: number; running: number } {
    return { connected: this.all.size, free: this.idle.length, pending: this.waiters.length, running: this.all.size - this.idle.length };
  }

  /** Closes idle connections now and the busy ones as their exchanges finish. */
  close(): void {
    this.closing = true;
    for (const c of this.idle.splice(0)) c.discard();
    for (const w of this.waiters.splice(0)) w.connected(Object.assign(new Error(`pool for ${this.name} is closed`), { code: 'ECONNREFUSED' }), null);
  }

  /** Closes every connection now, busy or not. */
  destroy(): void {
    this.close();
    for (const c of [...this.all]) c.sock.destroy();
  }
}

/**
 * Runs `connect` with a deadline: `cb` is called once, with the socket or the error (a timeout is
 * WEFT_CONNECT_TIMEOUT); a socket that arrives after the deadline is closed.
 */
export function connectWithin(connect: Connect, ms: number, cb: (err: Error | null, sock: net.Socket | null) => void): void {
  let done = false;
  const timer = setTimeout(() => {
    if (done) return;
    done = true;
    cb(Object.assign(new Error(`connect timeout after ${ms} ms`), { code: 'WEFT_CONNECT_TIMEOUT' }), null);
  }, ms);
  connect((err, sock) => {
    if (done) {
      sock?.destroy();
      return;
    }
    done = true;
    clearTimeout(timer);
    cb(err, sock);
  });
}

/** A plain TCP connect. */
export function plainConnect(host: string, port: number): Connect {
  return (cb) => {
    const s = net.connect({ host, port, noDelay: true });
    const onError = (e: Error): void => {
      s.off('connect', onConnect);
      s.destroy();
      cb(e, null);
    };
    const onConnect = (): void => {
      s.off('error', onError);
      cb(null, s);
    };
    s.once('error', onError);
    s.once('connect', onConnect);
  };
}
