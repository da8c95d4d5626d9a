// The terminal service: sends the request to ctx.endpoint over a pooled keep-alive connection and relays
// the response back, bytes as they came: Content-Length and chunked bodies pass through without
// re-framing (trailers included), with backpressure both ways. One Exchange object per request, its
// methods on the prototype; the connections call into it, so no closure is made per request.
//
// An Upgrade request (WebSocket) is forwarded like any other; only a 101 from the endpoint turns both
// connections into a byte tunnel. Any other answer keeps the exchange HTTP.
import type net from 'node:net';
import type { Service } from '../stack/index.js';
import type { Ctx, HeaderMap } from '../context.js';
import { classifyUpstreamError, ProxyError, RetryableResponse } from '../errors.js';
import { HeadParser, NEED_MORE, ERROR, latin1 } from './head.js';
import { HOP_BY_HOP, STATUS_TEXT, connectionTokens, serializeHeaders, writeHeadAndBody } from './wire.js';
import type { UpConn, UpstreamPool, Acquirer, UpUser } from './client.js';
import type { BodySink, ServerConn } from './server.js';
import type { ServerStream } from '../h2/server.js';
import type { H2Pool } from '../h2/client.js';
import { sendH2 } from '../h2/forward.js';
import type { Pools } from './pools.js';
import { tunnel } from './tunnel.js';
import { Mirror, shadowHost, type MirrorStats } from './mirror.js';
import { MAX_TIMER_MS, type RouteTimeoutsSnap } from '../../api/traffic.js';

// Responses are parsed one at a time, synchronously: one parser serves every exchange in the process.
const parser = new HeadParser({ maxHeadBytes: 64 * 1024, maxHeaders: 200 });

export function forward(pools: Pools): Service<Ctx> {
  return (ctx) => {
    const ep = ctx.endpoint;
    if (ep === undefined) return Promise.reject(new ProxyError('internal', 'forward: no endpoint chosen'));
    // HTTP/2 stays HTTP/2 to a peer proxy (ALPN h2 over mTLS) and for gRPC anywhere; other HTTP/2 requests
    // to a plaintext endpoint go as HTTP/1.1, which every HTTP server speaks.
    if (ctx.conn.protocol === 2 ? ep.tls === 'mtls' || (ctx.conn as ServerStream).isGrpc : pools.peerHttp2 && ep.tls === 'mtls' && ctx.upgrade === undefined) {
      return sendH2(ctx, pools.getH2(ep.address, ep.port, ep.tls));
    }
    return send(ctx, pools.get(ep.address, ep.port, ep.tls));
  };
}

/** Forwards to a fixed pool (the inbound side's local app); gRPC goes by h2c when an HTTP/2 pool is given. */
export function forwardTo(pool: UpstreamPool, h2?: H2Pool): Service<Ctx> {
  return (ctx) => (h2 !== undefined && ctx.conn.protocol === 2 && (ctx.conn as ServerStream).isGrpc ? sendH2(ctx, h2) : send(ctx, pool));
}

function send(ctx: Ctx, pool: UpstreamPool): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const ex = new Exchange(ctx, pool, resolve, reject);
    const t = ctx.timeouts;
    if (t !== undefined) ex.startTimer(t);
    pool.acquire(ex);
  });
}

const M_NONE = 0;
const M_LENGTH = 1;
const M_CHUNKED = 2;
const M_CLOSE = 3;

const R_WAIT = 0; // no response head yet
const R_BODY = 1;
const R_DONE = 2;

const MAX_RESPONSE_HEAD = 64 * 1024;

/** The client side as this forwarder uses it: an HTTP/1 connection, or an HTTP/2 stream's HTTP/1 view. */
type H1Down = Pick<ServerConn, 'hasBody' | 'bodyChunked' | 'takeQueued' | 'attachBody' | 'resumeBody' | 'isHead' | 'isHttp10' | 'closeAfter'
  | 'connectionHeader' | 'destroyed' | 'headersSent' | 'sendHead' | 'write' | 'finishResponse' | 'exchange' | 'drainWaiter' | 'becomeTunnel' | 'sock'>;

class Exchange implements Acquirer, UpUser, BodySink {
  private up: UpConn | null = null;
  private readonly conn: H1Down;
  private reqDone = false;
  private state = R_WAIT;
  private pending: Buffer | null = null;
  private mode = M_NONE;
  private left = 0;
  private dechunk = false;
  private upKeepAlive = true;
  private gotBytes = false;
  private settled = false;
  private pausedUp = false;
  private timer: NodeJS.Timeout | null = null;
  /** In HEAD_WATCH until its response head arrives; `deadline` is performance.now() time. */
  private headWatched = false;
  deadline = 0;
  /** Shadow copies of this request (RequestMirror), fed the body as it passes. */
  private mirrors: Mirror[] | null = null;
  /** The running timer ends at the response head (the mesh default), not at the end of the response. */
  private headOnly = false;
  private timerMs = 0;

  constructor(
    private readonly ctx: Ctx,
    private readonly pool: UpstreamPool,
    private readonly resolve: () => void,
    private readonly reject: (e: unknown) => void,
  ) {
    const c = ctx.conn;
    this.conn = c.protocol === 2 ? (c as ServerStream).h1View() : (c as ServerConn);
  }

  /**
   * Gateway API timeouts: `request` counts from the request's arrival and `backendRequest` from now, both
   * to the end of the response; the mesh default (responseHeadersMs) only until the response head.
   */
  startTimer(t: RouteTimeoutsSnap): void {
    const ms = routeTimerMs(t, this.ctx.start);
    if (ms === 0 && t.responseHeadersMs > 0) {
      // The mesh default: checked by one sweep for all exchanges, not a timer each (see watchHead).
      this.timerMs = t.responseHeadersMs;
      this.headOnly = true;
      this.deadline = performance.now() + t.responseHeadersMs;
      this.headWatched = true;
      watchHead(this);
      return;
    }
    if (ms === 0) return;
    this.timerMs = ms;
    this.timer = setTimeout(onExchangeTimeout, Math.min(Math.max(1, ms), MAX_TIMER_MS), this);
  }

  private stopTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.headWatched) {
      this.headWatched = false;
      HEAD_WATCH.delete(this);
    }
  }

  timedOut(): void {
    this.stopTimer();
    if (this.settled) return;
    const up = this.up;
    this.up = null;
    up?.discard();
    const what = this.headOnly || this.state === R_WAIT ? 'no response head' : 'the response did not finish';
    this.state = R_DONE;
    // With part of the response out, rescue cuts the client's connection; it still records the timeout.
    this.settle(new ProxyError('upstream-timeout', `endpoint ${this.pool.name}: ${what} within ${this.timerMs} ms`));
  }

  private settle(err?: unknown): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer !== null || this.headWatched) this.stopTimer();
    if (this.ctx.load !== undefined) reportLoad(this.ctx, err === undefined && this.ctx.res.statusCode < 500);
    const c = this.conn;
    if (c.exchange === this) c.exchange = null;
    if (err === undefined) this.resolve();
    else this.reject(err);
  }

  // ---- Acquirer ----

  connected(err: Error | null, up: UpConn | null): void {
    const conn = this.conn;
    if (err !== null || up === null) {
      this.settle(classifyUpstreamError(err, this.pool.name, false));
      return;
    }
    if (conn.destroyed || this.settled) {
      up.release();
      this.settle();
      return;
    }
    this.up = up;
    up.user = this;
    conn.exchange = this;
    let head: string;
    try {
      head = this.requestHead();
    } catch (e) {
      up.release();
      this.up = null;
      this.settle(new ProxyError('internal', `request head: ${(e as Error).message}`));
      return;
    }
    this.ctx.upstreamStart = process.hrtime.bigint();
    const mp = this.ctx.mirrors;
    if (mp !== undefined) {
      // Once per request, whatever the retries: the copies go out with the first attempt.
      this.ctx.mirrors = undefined;
      this.startMirrors(mp);
    }
    const s = up.sock;
    const replay = this.ctx.replayBody;
    if (replay !== undefined) {
      // The retry layer holds the whole body: each attempt sends it with the head, in one write.
      writeHeadAndBody(s, head, replay);
      this.reqDone = true;
    } else if (conn.hasBody) {
      const first = conn.takeQueued();
      if (first !== null && this.mirrors !== null) for (const m of this.mirrors) m.write(first);
      if (first !== null) writeHeadAndBody(s, head, first);
      else s.write(head, 'latin1');
      conn.attachBody(this);
    } else {
      s.write(head, 'latin1');
      this.reqDone = true;
    }
  }

  private startMirrors(pools: UpstreamPool[]): void {
    const ctx = this.ctx;
    const host = ctx.headers.host;
    const head = this.requestHead({ ...ctx.headers, host: shadowHost(typeof host === 'string' ? host : ctx.authority) });
    const t = ctx.timeouts;
    const timeoutMs = t !== undefined && t.requestMs > 0 ? t.requestMs : MIRROR_TIMEOUT_MS;
    const replay = ctx.replayBody;
    for (const pool of pools) {
      const m = Mirror.start(pool, head, mirrorStats, timeoutMs);
      if (m === null) continue;
      if (replay !== undefined) {
        m.write(replay);
        m.end();
      } else if (!this.conn.hasBody) m.end();
      (this.mirrors ??= []).push(m);
    }
  }

  private requestHead(headers: HeaderMap = this.ctx.headers): string {
    const ctx = this.ctx;
    const conn = this.conn;
    let head = `${ctx.method} ${ctx.query === '' ? ctx.path : `${ctx.path}?${ctx.query}`} HTTP/1.1\r\n${serializeHeaders(headers)}`;
    if (conn.bodyChunked) head += 'transfer-encoding: chunked\r\n';
    if (ctx.upgrade !== undefined) head += `connection: upgrade\r\nupgrade: ${ctx.upgrade}\r\n`;
    return head + '\r\n';
  }

  // ---- BodySink: the request body, downstream -> upstream ----

  write(chunk: Buffer): boolean {
    const ms = this.mirrors;
    if (ms !== null) for (const m of ms) m.write(chunk);
    const up = this.up;
    if (up === null) return true;
    return up.sock.write(chunk);
  }

  end(): void {
    const ms = this.mirrors;
    if (ms !== null) for (const m of ms) m.end();
    this.reqDone = true;
    if (this.state === R_DONE) this.finishUp();
  }

  onUpDrain(): void {
    if (!this.reqDone) this.conn.resumeBody();
  }

  // ---- the response, upstream -> downstream ----

  onUpData(chunk: Buffer): void {
    this.gotBytes = true;
    if (this.state === R_WAIT) {
      const buf = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
      this.pending = null;
      this.head(buf);
      return;
    }
    if (this.state === R_BODY) this.body(chunk, 0);
    else this.up?.discard();
  }

  private head(buf: Buffer): void {
    let start = 0;
    for (;;) {
      const r = parser.parseResponse(buf, start, buf.length);
      if (r === NEED_MORE) {
        if (buf.length - start > MAX_RESPONSE_HEAD) return this.upFailed(new Error('response head too large'), true);
        this.pending = start === 0 ? buf : buf.subarray(start);
        return;
      }
      if (r === ERROR) return this.upFailed(new Error(`invalid response: ${parser.error}`), true);
      const status = parser.status;
      if (status >= 100 && status < 200 && status !== 101) {
        // Informational (100 Continue, 103): the final response follows on the same connection.
        start = r;
        if (start === buf.length) return;
        continue;
      }
      if (status === 101) {
        if (this.ctx.upgrade !== undefined) return this.switchProtocols(buf, r);
        return this.upFailed(new Error('101 to a request that asked for no upgrade'), true);
      }
      const hold = this.ctx.retryStatus;
      if (hold !== undefined && hold(status)) return this.heldBack(status);
      return this.respond(buf, start, r, status);
    }
  }

  /** The retry layer claimed this response: nothing of it goes out, and its connection is not reused. */
  private heldBack(status: number): void {
    const up = this.up;
    this.up = null;
    up?.discard();
    this.state = R_DONE;
    this.settle(new RetryableResponse(status));
  }

  private respond(buf: Buffer, start: number, headEnd: number, status: number): void {
    const ctx = this.ctx;
    const conn = this.conn;
    ctx.upstreamHeaders = process.hrtime.bigint();
    if (this.headOnly) this.stopTimer();
    // How the body is delimited (RFC 9112 section 6.3).
    if (conn.isHead || status === 204 || status === 304) this.mode = M_NONE;
    else if (parser.chunked) this.mode = M_CHUNKED;
    else if (parser.hasTransferEncoding) this.mode = M_CLOSE;
    else if (parser.contentLength >= 0) {
      this.mode = parser.contentLength === 0 ? M_NONE : M_LENGTH;
      this.left = parser.contentLength;
    } else this.mode = M_CLOSE;
    this.upKeepAlive = parser.keepAliveOk && this.mode !== M_CLOSE;
    if (parser.keepAlive !== -1 && this.up !== null) this.up.serverIdleMs = serverIdle(parser.value(buf, parser.keepAlive));
    if (this.mode === M_CLOSE) conn.closeAfter();
    if (this.mode === M_CHUNKED) {
      const up = this.up!;
      up.scanner.reset();
      // An HTTP/1.0 client cannot read chunked framing: it gets the data, delimited by the close.
      this.dechunk = conn.isHttp10;
      up.scanner.sink = this.dechunk ? this : null;
      if (this.dechunk) conn.closeAfter();
    }

    let head: string;
    try {
      head = ctx.onResponseHeaders !== undefined || parser.connNamed ? this.rebuiltHead(buf, status) : `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Unknown'}\r\n${this.endToEndLines(buf)}`;
    } catch (e) {
      return this.upFailed(e as Error, true);
    }
    if (this.mode === M_CHUNKED && !this.dechunk) head += 'transfer-encoding: chunked\r\n';
    head += conn.connectionHeader();
    this.state = R_BODY;
    if (conn.destroyed) {
      this.up?.discard();
      this.settle();
      return;
    }
    if (this.mode === M_NONE) {
      conn.sendHead(status, head, null);
      if (headEnd < buf.length) this.up?.discard(); // bytes past a bodiless response: not reusable
      this.complete();
      return;
    }
    // The head and the first body bytes go out in one write.
    const end = this.bodyEnd(buf, headEnd);
    if (end === -1) return this.upFailed(new Error(`invalid chunked response: ${this.up!.scanner.error}`), true);
    const ok = this.dechunk ? (conn.sendHead(status, head, null), this.flushDechunked()) : conn.sendHead(status, head, end > headEnd ? buf.subarray(headEnd, end) : null);
    this.afterBody(buf, end, ok);
  }

  /** The header lines as the endpoint sent them (each "name: value" one slice), minus hop-by-hop fields. */
  private endToEndLines(buf: Buffer): string {
    let lines = '';
    const hdr = parser.hdr;
    for (let i = 0; i < parser.count; i++) {
      if (HOP_BY_HOP.has(parser.name(buf, i))) continue;
      lines += `${latin1(buf, hdr[i * 4]!, hdr[i * 4 + 3]!)}\r\n`;
    }
    return lines;
  }

  /** The head through a header map, for response filters and Connection-named fields. */
  private rebuiltHead(buf: Buffer, status: number): string {
    const h: HeaderMap = {};
    let named: string[] | undefined;
    for (let i = 0; i < parser.count; i++) {
      const k = parser.name(buf, i);
      const v = parser.value(buf, i);
      if (k === 'connection') named = (named ?? []).concat(connectionTokens(v));
      if (HOP_BY_HOP.has(k)) continue;
      const had = h[k];
      if (had === undefined) h[k] = v;
      else if (typeof had === 'string') h[k] = [had, v];
      else had.push(v);
    }
    if (named !== undefined) for (const n of named) delete h[n];
    this.ctx.onResponseHeaders?.(h);
    return `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Unknown'}\r\n${serializeHeaders(h)}`;
  }

  /** Where this response's body ends within buf[from, len), advancing the framing state; -1 on bad framing. */
  private bodyEnd(buf: Buffer, from: number): number {
    switch (this.mode) {
      case M_LENGTH: {
        const n = Math.min(this.left, buf.length - from);
        this.left -= n;
        return from + n;
      }
      case M_CHUNKED:
        return this.up!.scanner.scan(buf, from, buf.length);
      default:
        return buf.length;
    }
  }

  private get bodyFinished(): boolean {
    return this.mode === M_LENGTH ? this.left === 0 : this.mode === M_CHUNKED ? this.up!.scanner.done : false;
  }

  private body(chunk: Buffer, from: number): void {
    const end = this.bodyEnd(chunk, from);
    if (end === -1) return this.upFailed(new Error(`invalid chunked response: ${this.up!.scanner.error}`), true);
    const ok = this.dechunk ? this.flushDechunked() : end === from ? true : this.conn.write(from === 0 && end === chunk.length ? chunk : chunk.subarray(from, end));
    this.afterBody(chunk, end, ok);
  }

  /** HTTP/1.0 client: the scanner hands over chunk data alone, collected here while it scans. */
  private chunks: Buffer[] | null = null;
  chunkData(buf: Buffer, s: number, e: number): void {
    (this.chunks ??= []).push(buf.subarray(s, e));
  }
  private flushDechunked(): boolean {
    const c = this.chunks;
    this.chunks = null;
    let ok = true;
    if (c !== null) for (const b of c) ok = this.conn.write(b);
    return ok;
  }

  private afterBody(buf: Buffer, end: number, ok: boolean): void {
    if (this.bodyFinished) {
      // Bytes past the end of the response: the endpoint broke framing; never reuse that connection.
      if (end < buf.length) this.upKeepAlive = false;
      this.complete();
      return;
    }
    if (!ok && !this.pausedUp) {
      // The client's socket is full: stop reading from the endpoint until it drains.
      this.pausedUp = true;
      this.up?.sock.pause();
      this.conn.drainWaiter = this;
    }
  }

  /** The client's socket drained. */
  onDownDrain(): void {
    if (this.pausedUp) {
      this.pausedUp = false;
      this.up?.sock.resume();
    }
  }

  private complete(): void {
    this.state = R_DONE;
    this.conn.finishResponse();
    if (this.reqDone) this.finishUp();
    else {
      // The response is complete before the request body was sent (an early answer): the endpoint's
      // connection is in an unknown state, and the rest of the body is dropped by the client side.
      this.up?.discard();
      this.up = null;
    }
    this.settle();
  }

  private finishUp(): void {
    const up = this.up;
    if (up === null) return;
    this.up = null;
    if (this.upKeepAlive && !up.closed) up.release();
    else up.discard();
  }

  onUpClose(err: Error | undefined): void {
    if (this.state === R_DONE || this.settled && this.state !== R_BODY) return;
    if (this.state === R_BODY && this.mode === M_CLOSE) {
      // A close-delimited body ends with the connection.
      this.up?.discard();
      this.up = null;
      this.state = R_DONE;
      this.conn.finishResponse();
      this.settle();
      return;
    }
    this.upFailed(err ?? Object.assign(new Error('connection closed before the response was complete'), { code: 'ECONNRESET' }), false);
  }

  private upFailed(err: Error, protocol: boolean): void {
    const up = this.up;
    this.up = null;
    up?.discard();
    if (this.settled) return;
    const conn = this.conn;
    if (!protocol && up !== null && up.reused && !this.gotBytes && !conn.hasBody && this.state === R_WAIT) {
      // A keep-alive connection the endpoint closed just as the request went out: the request never
      // reached the app, so it is safe to send it again on another connection.
      this.pool.acquire(this);
      return;
    }
    // With part of the response out, rescue can only cut the client's connection; it still records why.
    this.state = R_DONE;
    this.settle(protocol ? new ProxyError('upstream-reset', `endpoint ${this.pool.name}: ${err.message}`) : classifyUpstreamError(err, this.pool.name, conn.headersSent));
  }

  /** The client went away: abandon the endpoint's connection. */
  abort(): void {
    const ms = this.mirrors;
    if (ms !== null) for (const m of ms) m.abort();
    const up = this.up;
    this.up = null;
    up?.discard();
    this.settle();
  }

  // ---- Upgrade ----

  private switchProtocols(buf: Buffer, headEnd: number): void {
    const ctx = this.ctx;
    const conn = this.conn;
    ctx.upstreamHeaders = process.hrtime.bigint();
    // A tunnel lives as long as its two ends want: no request timeout applies past the 101.
    this.stopTimer();
    const proto = parser.upgrade !== -1 ? parser.value(buf, parser.upgrade) : ctx.upgrade!;
    const head = `HTTP/1.1 101 Switching Protocols\r\n${this.endToEndLines(buf)}connection: upgrade\r\nupgrade: ${proto}\r\n\r\n`;
    const up = this.up!;
    this.up = null;
    const upSock: net.Socket = up.detach();
    conn.sendHead(101, head, headEnd < buf.length ? buf.subarray(headEnd) : null);
    this.state = R_DONE;
    const rest = conn.becomeTunnel();
    if (rest !== null) upSock.write(rest);
    tunnel(conn.sock, upSock);
    this.settle();
  }
}

/**
 * Gateway API timeouts as one timer to the end of the response: `request` counts from the request's arrival,
 * `backendRequest` from now; the shorter wins. 0: none (the mesh default, head-only, is the caller's).
 */
export function routeTimerMs(t: RouteTimeoutsSnap, start: bigint): number {
  let ms = t.backendRequestMs;
  if (t.requestMs > 0) {
    const left = t.requestMs - Number((process.hrtime.bigint() - start) / 1_000_000n);
    ms = ms > 0 ? Math.min(ms, left) : left;
  }
  return ms;
}

/** The balancer's view of the endpoint once the attempt settles: time to the response head, or a failure. */
export function reportLoad(ctx: Ctx, ok: boolean): void {
  const load = ctx.load!;
  ctx.load = undefined;
  load.done(ctx.loadStart!, ok && ctx.upstreamHeaders !== undefined && ctx.upstreamStart !== undefined ? Number(ctx.upstreamHeaders - ctx.upstreamStart) / 1e6 : undefined);
}

/** How long a shadow copy may take when its route sets no request timeout. */
const MIRROR_TIMEOUT_MS = 15_000;
/** Shadow copies started, skipped and failed, for weft_mirror_requests_total. */
export const mirrorStats: MirrorStats = { sent: 0, skipped: 0, failed: 0 };

/**
 * The mesh default (a 15 s wait for a response head, src/api/traffic.ts) applies to nearly every request, and
 * a timer each costs more than the rest of the forwarder's bookkeeping; its precision does not matter, so
 * one sweep every 250 ms checks every exchange still waiting for a head.
 */
const HEAD_WATCH = new Set<Exchange>();
let headSweeper: NodeJS.Timeout | undefined;
const SWEEP_MS = 250;

function watchHead(ex: Exchange): void {
  HEAD_WATCH.add(ex);
  if (headSweeper === undefined) {
    headSweeper = setInterval(sweepHeads, SWEEP_MS);
    headSweeper.unref();
  }
}

function sweepHeads(): void {
  if (HEAD_WATCH.size === 0) {
    clearInterval(headSweeper);
    headSweeper = undefined;
    return;
  }
  const now = performance.now();
  for (const ex of HEAD_WATCH) if (now >= ex.deadline) ex.timedOut();
}

function onExchangeTimeout(ex: Exchange): void {
  ex.timedOut();
}

/** The idle timeout a Keep-Alive response header announces (timeout=N seconds), less a second of margin. */
function serverIdle(v: string): number {
  const m = /(?:^|[,;\s])timeout\s*=\s*(\d+)/i.exec(v);
  if (m === null) return 0;
  const s = Number(m[1]);
  return s <= 1 ? 1 : (s - 1) * 1000;
}
