// The downstream side of the engine: one ServerConn per accepted socket (plain or TLS). It parses request
// heads, builds one Ctx per request for the layer stack, relays the request body to whoever asks for it
// (or drops it when nobody does), and writes the response. Requests on one connection are served one at a
// time, in order: a pipelined request waits in the buffer until the response before it is complete.
//
// The connection itself is the response object the layers see (Responder): only one response is in
// flight per connection, so nothing is allocated per request for it.
import type net from 'node:net';
import type { Service } from '../stack/index.js';
import type { BodySink, Ctx, Downstream, HeaderMap, Responder } from '../context.js';
import type { PeerIdentity } from '../tls/verify.js';
import { ProxyError } from '../errors.js';
import { type HeadParser, NEED_MORE, ERROR } from './head.js';
import { DEFAULT_LISTENER_LIMITS, type ListenerLimitsSnap } from '../../api/limits.js';
import { ChunkedScanner } from './chunked.js';
import { buildRequest } from './request.js';
import { STATUS_TEXT, serializeHeaders, writeHeadAndBody } from './wire.js';

export type ListenerLimits = ListenerLimitsSnap;
export { DEFAULT_LISTENER_LIMITS };

export type { BodySink } from '../context.js';

/** A connection as its listener sees it (HTTP/1 here, HTTP/2 in h2/server.ts): deadlines and draining. */
export interface ListenerConn {
  /** performance.now() past which expire() is called by the listener's sweep; 0 for none. */
  deadline: number;
  expire(): void;
  /** Close now if no request is in flight; otherwise once they are done. */
  closeIfIdle(): void;
  readonly sock: net.Socket;
}

/** What a connection needs from the listener that accepted it. */
export interface ConnOwner {
  readonly scheme: string;
  readonly limits: ListenerLimits;
  readonly parser: HeadParser;
  service: Service<Ctx>;
  prepare: ((ctx: Ctx) => void) | undefined;
  /** Called when a request starts and when its response is done (in-flight count, drain). */
  requestStarted(): void;
  requestDone(): void;
  forget(conn: ListenerConn): void;
  /** Serves `sock` as HTTP/2 from now on (`first`: bytes already read, the preface first). */
  serveH2(sock: net.Socket, peer: PeerIdentity | undefined, first?: Buffer): void;
  readonly draining: boolean;
  /** A request refused before it became a Ctx (unparseable, bad Host, head timeout): for the records. */
  rejected(conn: ServerConn, status: number, code: 'bad-request' | 'request-timeout', why: string): void;
}

const S_HEAD = 0; // waiting for (the rest of) a request head
const S_BODY = 1; // a request is in flight and its body is still arriving
const S_WAIT = 2; // a request is in flight and its body is complete
const S_TUNNEL = 3; // the connection is a byte tunnel (Upgrade)
const S_CLOSED = 4;

const BODY_NONE = 0;
const BODY_LENGTH = 1;
const BODY_CHUNKED = 2;

/** Body bytes held for a sink that has not attached yet (e.g. while the upstream connection opens). */
const MAX_QUEUED_BODY = 64 * 1024;

const noop = (): void => {};
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export class ServerConn implements Responder, Downstream, ListenerConn {
  readonly protocol = 1 as const;
  readonly remoteAddress: string;
  readonly remotePort: number;
  peer: PeerIdentity | undefined;
  private state = S_HEAD;
  private pending: Buffer | null = null;
  /** How far the incomplete head in `pending` has been checked already. */
  private scanned = 0;
  /** Deadline (performance.now()) for the current wait; checked by the listener's sweep. */
  deadline = 0;
  private deadlineWhat = '';

  // The request in flight.
  private ctx: Ctx | undefined = undefined;
  bodyMode = BODY_NONE;
  private bodyLeft = 0;
  private declaredLength = 0;
  private readonly scanner: ChunkedScanner;
  private sink: BodySink | null = null;
  private queue: Buffer[] | null = null;
  private queued = 0;
  private bodyEnded = false;
  private discard = false;
  private readPaused = false;
  keepAlive = true;
  private http10 = false;
  private headMethod = false;
  /** The forwarder's exchange in flight: told when the client goes away. */
  exchange: { abort(): void } | null = null;
  /** The forwarder waiting for the client's socket to drain. */
  drainWaiter: { onDownDrain(): void } | null = null;

  // The response in flight (Responder).
  statusCode = 0;
  headersSent = false;
  writableFinished = false;
  destroyed = false;
  private closeCbs: (() => void)[] = [];
  private headText = '';
  private closeAfterResponse = false;

  constructor(readonly sock: net.Socket, private readonly owner: ConnOwner, peer?: PeerIdentity) {
    this.peer = peer;
    this.remoteAddress = sock.remoteAddress ?? '';
    this.remotePort = sock.remotePort ?? 0;
    this.scanner = new ChunkedScanner(owner.limits.maxHeadBytes);
    sock.setNoDelay(true);
    sock.on('data', this.onData);
    sock.on('end', this.onEnd);
    sock.on('close', this.onSockClose);
    sock.on('error', noop);
    sock.on('drain', this.onDrain);
    this.arm(owner.limits.headerTimeoutMs, 'request head');
  }

  get bytesRead(): number {
    return this.sock.bytesRead;
  }
  get bytesWritten(): number {
    return this.sock.bytesWritten;
  }
  get idle(): boolean {
    return this.state === S_HEAD && this.pending === null;
  }

  private arm(ms: number, what: string): void {
    this.deadline = ms > 0 ? performance.now() + ms : 0;
    this.deadlineWhat = what;
  }

  /** The client spoke the HTTP/2 preface: the socket goes to an HTTP/2 connection, with what was read. */
  private handOver(first: Buffer): void {
    this.state = S_CLOSED;
    this.pending = null;
    const s = this.sock;
    s.off('data', this.onData);
    s.off('end', this.onEnd);
    s.off('close', this.onSockClose);
    s.off('drain', this.onDrain);
    this.owner.forget(this);
    this.owner.serveH2(s, this.peer, first);
  }

  /** The listener's sweep found this connection past its deadline. */
  expire(): void {
    if (this.state === S_HEAD && this.pending !== null && this.deadlineWhat === 'request head') {
      this.rejectRaw(408, 'request head not received in time');
    } else {
      this.sock.destroy();
    }
  }

  /** No request yet: the connection may still turn out to be HTTP/2 with prior knowledge (h2c). */
  private fresh = true;

  private readonly onData = (chunk: Buffer): void => {
    switch (this.state) {
      case S_HEAD:
        this.append(chunk);
        if (this.fresh) {
          const p = this.pending!;
          const n = Math.min(p.length, H2_PREFACE.length);
          if (p.compare(H2_PREFACE, 0, n, 0, n) === 0) {
            if (n < H2_PREFACE.length) return;
            this.handOver(p);
            return;
          }
          this.fresh = false;
        }
        if (this.deadlineWhat !== 'request head') this.arm(this.owner.limits.headerTimeoutMs, 'request head');
        this.next();
        return;
      case S_BODY:
        this.feedBody(chunk, 0);
        return;
      case S_WAIT:
        // A pipelined request: kept until the response before it is done, read no further meanwhile.
        this.append(chunk);
        if (this.pending!.length > this.owner.limits.maxHeadBytes) this.pauseRead();
        return;
      default:
        return;
    }
  };

  /** A buffer of our own that a head arriving in pieces grows into (doubling), so it is copied O(n) times in all. */
  private acc: Buffer | null = null;
  private accOwned = false;

  private append(chunk: Buffer): void {
    const p = this.pending;
    if (p === null) {
      this.pending = chunk;
      this.accOwned = false;
      return;
    }
    const len = p.length + chunk.length;
    let acc = this.acc;
    if (this.accOwned && acc !== null && acc.length >= len) {
      chunk.copy(acc, p.length);
    } else {
      const next = Buffer.allocUnsafe(Math.max(4096, len * 2));
      p.copy(next, 0);
      chunk.copy(next, p.length);
      // Large one-off buffers are not kept past this head.
      acc = next;
      this.acc = next.length <= 128 * 1024 ? next : null;
      this.accOwned = true;
    }
    this.pending = acc!.subarray(0, len);
  }

  private pauseRead(): void {
    if (!this.readPaused) {
      this.readPaused = true;
      this.sock.pause();
    }
  }

  private resumeRead(): void {
    if (this.readPaused) {
      this.readPaused = false;
      this.sock.resume();
    }
  }

  /** Parses and dispatches the next request in the buffer, if there is a whole head. */
  private next(): void {
    const buf = this.pending;
    if (buf === null || this.state !== S_HEAD) return;
    const p = this.owner.parser;
    const r = p.parseRequest(buf, 0, buf.length, this.scanned);
    if (r === NEED_MORE) {
      this.scanned = p.scanned;
      return;
    }
    this.scanned = 0;
    if (r === ERROR) {
      this.rejectRaw(p.errorStatus, p.error);
      return;
    }
    const headEnd = p.headEnd;
    this.statusCode = 0;
    this.headersSent = false;
    this.writableFinished = false;
    this.headText = '';
    this.closeAfterResponse = false;
    this.http10 = p.minor === 0;
    this.keepAlive = p.keepAliveOk && !this.owner.draining;
    this.headMethod = p.methodEnd - p.lineStart === 4 && buf[p.lineStart] === 0x48 && buf[p.lineStart + 1] === 0x45;
    this.bodyMode = p.chunked ? BODY_CHUNKED : p.contentLength > 0 ? BODY_LENGTH : BODY_NONE;
    this.bodyLeft = p.contentLength > 0 ? p.contentLength : 0;
    this.declaredLength = this.bodyLeft;
    if (this.bodyMode === BODY_CHUNKED) this.scanner.reset();
    this.sink = null;
    this.queue = null;
    this.queued = 0;
    this.bodyEnded = this.bodyMode === BODY_NONE;
    this.discard = false;
    const expectContinue = p.expectContinue && this.bodyMode !== BODY_NONE && !this.http10;

    let ctx: Ctx;
    try {
      ctx = buildRequest(p, buf, this, this.owner.scheme);
    } catch (e) {
      const pe = e instanceof ProxyError ? e : new ProxyError('bad-request', String(e));
      this.rejectRaw(400, pe.message);
      return;
    }
    this.ctx = ctx;
    this.arm(0, '');
    this.state = this.bodyEnded ? S_WAIT : S_BODY;
    const rest = headEnd < buf.length ? buf.subarray(headEnd) : null;
    this.pending = null;
    this.accOwned = false;
    // The client waits for this before it sends the body; the proxy answers for the whole path, as
    // node:http and nginx do, so the body streams on to the endpoint without a second round trip.
    if (expectContinue) this.sock.write('HTTP/1.1 100 Continue\r\n\r\n');
    if (rest !== null) {
      if (this.state === S_BODY) this.feedBody(rest, 0);
      else this.pending = rest;
    }
    this.owner.requestStarted();
    if (this.owner.prepare !== undefined) this.owner.prepare(ctx);
    this.owner.service(ctx).then(noop, (e: unknown) => this.fail(e));
  }

  /** Answers a request that never became a Ctx (unparseable, bad Host) and closes the connection. */
  private rejectRaw(status: number, why: string): void {
    const code = status === 408 ? 'request-timeout' : 'bad-request';
    const body = `${code}: ${why}\n`;
    this.owner.rejected(this, status, code, why);
    this.state = S_CLOSED;
    this.pending = null;
    this.sock.end(
      `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-weft-error: ${code}\r\nconnection: close\r\n\r\n${body}`,
    );
    this.sock.destroySoon();
  }

  private feedBody(buf: Buffer, off: number): void {
    let end: number;
    if (this.bodyMode === BODY_LENGTH) {
      const n = Math.min(this.bodyLeft, buf.length - off);
      end = off + n;
      this.bodyLeft -= n;
    } else {
      end = this.scanner.scan(buf, off, buf.length);
      if (end === -1) {
        this.bodyError(`invalid chunked body: ${this.scanner.error}`);
        return;
      }
    }
    if (end > off) this.deliver(off === 0 && end === buf.length ? buf : buf.subarray(off, end));
    const complete = this.bodyMode === BODY_LENGTH ? this.bodyLeft === 0 : this.scanner.done;
    if (complete) {
      if (end < buf.length) this.append(buf.subarray(end));
      this.endBody();
    }
  }

  private deliver(chunk: Buffer): void {
    if (this.discard) return;
    if (this.sink !== null) {
      if (!this.sink.write(chunk)) this.pauseRead();
      return;
    }
    (this.queue ??= []).push(chunk);
    this.queued += chunk.length;
    if (this.queued > MAX_QUEUED_BODY) this.pauseRead();
  }

  private endBody(): void {
    this.bodyEnded = true;
    if (this.state === S_BODY) this.state = S_WAIT;
    if (this.sink !== null && !this.discard) this.sink.end();
    if (this.writableFinished) this.afterResponse();
    else if (this.pending !== null && this.pending.length > this.owner.limits.maxHeadBytes) this.pauseRead();
  }

  private bodyError(why: string): void {
    const ctx = this.ctx;
    if (!this.headersSent && ctx !== undefined) {
      // The body cannot be delimited: answer 400 and close, whatever the layers are doing.
      this.closeAfterResponse = true;
      this.keepAlive = false;
      this.state = S_CLOSED;
      this.exchange?.abort();
      ctx.error = 'bad-request';
      this.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', 'x-weft-error': 'bad-request' });
      this.end(`bad-request: ${why}\n`);
      this.sock.destroySoon();
      return;
    }
    this.sock.destroy();
  }

  // ---- request body, for the forwarder ----

  /** Whether the request in flight has a body (Content-Length > 0 or chunked). */
  get hasBody(): boolean {
    return this.bodyMode !== BODY_NONE;
  }
  get bodyChunked(): boolean {
    return this.bodyMode === BODY_CHUNKED;
  }
  get bodyLength(): number {
    return this.bodyMode === BODY_NONE ? 0 : this.bodyMode === BODY_LENGTH ? this.declaredLength : -1;
  }
  get bodyComplete(): boolean {
    return this.bodyEnded;
  }

  /** Hands the request body to `sink`; bytes that arrived before are given at once. */
  attachBody(sink: BodySink): void {
    this.sink = sink;
    const q = this.queue;
    if (q !== null) {
      this.queue = null;
      this.queued = 0;
      let ok = true;
      for (let i = 0; i < q.length; i++) ok = sink.write(q[i]!);
      if (ok) this.resumeRead();
    }
    if (this.bodyEnded) sink.end();
  }

  /** Bytes of the body already received, taken now (sent with the head in one write). */
  takeQueued(): Buffer | null {
    const q = this.queue;
    if (q === null) return null;
    this.queue = null;
    this.queued = 0;
    this.resumeRead();
    return q.length === 1 ? q[0]! : Buffer.concat(q);
  }

  /** The sink has room again. */
  resumeBody(): void {
    this.resumeRead();
  }

  /** Nobody will read the rest of the body (early response, failed upstream): drop it as it arrives. */
  dropBody(): void {
    this.sink = null;
    this.queue = null;
    this.queued = 0;
    this.discard = true;
    this.resumeRead();
  }

  // ---- response (Responder) ----

  onClose(fn: () => void): void {
    this.closeCbs.push(fn);
  }

  /** A proxy-generated response head; the body follows with end(). */
  writeHead(status: number, headers: HeaderMap): void {
    if (this.headersSent || this.state === S_CLOSED && this.destroyed) return;
    this.statusCode = status;
    this.headersSent = true;
    if (!this.keepAlive) this.closeAfterResponse = true;
    this.headText = `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Unknown'}\r\n${serializeHeaders(headers)}`;
  }

  end(body?: string | Buffer): void {
    if (this.writableFinished || this.destroyed) return;
    if (!this.headersSent) this.writeHead(200, {});
    const noBody = this.headMethod || this.statusCode === 204 || this.statusCode === 304;
    let head = this.headText;
    if (!/\r\ncontent-length:|^content-length:/i.test(head) && !noBody) head += `content-length: ${body === undefined ? 0 : Buffer.byteLength(body)}\r\n`;
    head += this.connectionHeader();
    this.headText = '';
    if (body === undefined || noBody) this.sock.write(head, 'latin1');
    else if (typeof body === 'string') this.sock.write(head + body, 'utf8');
    else writeHeadAndBody(this.sock, head, body);
    this.finishResponse();
  }

  /** The Connection header the response carries, and the blank line. */
  connectionHeader(): string {
    if (!this.keepAlive || this.closeAfterResponse) {
      this.closeAfterResponse = true;
      return 'connection: close\r\n\r\n';
    }
    return this.http10 ? 'connection: keep-alive\r\n\r\n' : '\r\n';
  }

  destroy(_err?: Error): void {
    this.sock.destroy();
  }

  // ---- response, for the forwarder: a relayed head and body ----

  get isHttp10(): boolean {
    return this.http10;
  }
  get isHead(): boolean {
    return this.headMethod;
  }

  /** Writes a relayed response head (ending in its blank line) and the body bytes that came with it. */
  sendHead(status: number, head: string, first: Buffer | null): boolean {
    this.statusCode = status;
    this.headersSent = true;
    if (first === null || first.length === 0) return this.sock.write(head, 'latin1');
    return writeHeadAndBody(this.sock, head, first);
  }

  /** Relayed body bytes; false when the client's socket is full (wait for drain). */
  write(chunk: Buffer): boolean {
    return this.sock.write(chunk);
  }

  /** The connection must close once this response is out (close-delimited body, upgrade refused, ...). */
  closeAfter(): void {
    this.closeAfterResponse = true;
    this.keepAlive = false;
  }

  /** The relayed response is complete. */
  finishResponse(): void {
    if (this.writableFinished) return;
    this.writableFinished = true;
    this.responseDone();
    if (this.bodyEnded) this.afterResponse();
    else if (this.closeAfterResponse || this.bodyMode === BODY_NONE) this.afterResponse();
    else {
      // The response is out before the request body: keep reading and drop the rest (as nginx does),
      // so the client can finish sending and read the response, and the connection stays usable.
      this.dropBody();
    }
  }

  /** Switches the connection to a byte tunnel (after a 101); the caller owns the socket's data from now on. */
  becomeTunnel(): Buffer | null {
    this.state = S_TUNNEL;
    this.sock.off('data', this.onData);
    this.sock.off('end', this.onEnd);
    this.writableFinished = true;
    this.responseDone();
    this.resumeRead();
    const rest = this.pending;
    this.pending = null;
    return rest;
  }

  private responseDone(): void {
    const cbs = this.closeCbs;
    if (cbs.length > 0) {
      this.closeCbs = [];
      for (let i = 0; i < cbs.length; i++) {
        try {
          cbs[i]!();
        } catch {
          // An observer must never break the connection.
        }
      }
    }
    if (this.ctx !== undefined) {
      this.ctx = undefined;
      this.drainWaiter = null;
      this.owner.requestDone();
    }
  }

  private afterResponse(): void {
    if (this.state === S_TUNNEL || this.state === S_CLOSED) return;
    if (this.closeAfterResponse || !this.keepAlive || this.owner.draining) {
      this.state = S_CLOSED;
      this.sock.end();
      this.sock.destroySoon();
      return;
    }
    this.state = S_HEAD;
    this.sink = null;
    this.discard = false;
    this.resumeRead();
    if (this.pending !== null) {
      this.arm(this.owner.limits.headerTimeoutMs, 'request head');
      // The next request may be answered synchronously; a microtask keeps a long pipeline off the stack.
      queueMicrotask(() => this.next());
    } else this.arm(this.owner.limits.idleTimeoutMs, 'idle');
  }

  /** A layer below rejected after it could no longer answer (or a bug): cut the connection. */
  private fail(e: unknown): void {
    void e;
    if (!this.writableFinished) this.sock.destroy();
  }

  /** Close now if no request is in flight (drain); otherwise after the current response. */
  closeIfIdle(): void {
    if (this.state === S_HEAD) this.sock.destroy();
    else this.closeAfterResponse = true;
  }

  private readonly onDrain = (): void => {
    const w = this.drainWaiter;
    if (w !== null) {
      this.drainWaiter = null;
      w.onDownDrain();
    }
  };

  private readonly onEnd = (): void => {
    // The client half-closed. A request in flight still gets its response; then the connection closes.
    if (this.state === S_BODY) {
      this.sock.destroy();
      return;
    }
    this.closeAfterResponse = true;
    if (this.state === S_HEAD) this.sock.destroy();
  };

  private readonly onSockClose = (): void => {
    this.destroyed = true;
    const inFlight = this.ctx !== undefined;
    this.state = S_CLOSED;
    this.pending = null;
    const ex = this.exchange;
    this.exchange = null;
    if (inFlight) this.responseDone();
    ex?.abort();
    this.owner.forget(this);
  };
}
