// The HTTP/2 terminal service: an HTTP/2 request (a ServerStream) sent on as a stream of an HTTP/2
// connection to the endpoint, frames relayed both ways with flow control end to end (a slow reader on
// either side stops the credit on the other), trailers both ways, resets passed on (a client's CANCEL
// reaches the server, a server's reset reaches the client). gRPC always goes this way; its grpc-status
// (in trailers, or in a trailers-only answer) is recorded for metrics and offered to the retry layer,
// and grpc-timeout from the client bounds the call as a route timeout does.
import type { Ctx, HeaderMap, BodySink } from '../context.js';
import { classifyUpstreamError, ProxyError, RetryableResponse } from '../errors.js';
import { MAX_TIMER_MS, type RouteTimeoutsSnap } from '../../api/traffic.js';
import type { H2Pool, H2Acquirer, H2ClientConn } from './client.js';
import type { H2Stream, StreamEvents, Fields } from './session.js';
import type { ServerStream } from './server.js';
import type { ServerConn } from '../engine/server.js';
import { ChunkedScanner } from '../engine/chunked.js';
import { STATUS_TEXT } from '../engine/wire.js';
import { ERROR } from './frames.js';
import { HOP_BY_HOP } from '../engine/wire.js';
import { parseGrpcTimeout } from './grpc.js';
import { Mirror, shadowHost } from '../engine/mirror.js';
import { mirrorStats, reportLoad, routeTimerMs } from '../engine/forward.js';
import { serializeHeaders } from '../engine/wire.js';
import type { UpstreamPool } from '../engine/client.js';

export function sendH2(ctx: Ctx, pool: H2Pool): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const ex = new H2Exchange(ctx, pool, resolve, reject);
    ex.startTimer(ctx.timeouts);
    pool.acquire(ex);
  });
}

const R_WAIT = 0;
const R_BODY = 1;
const R_DONE = 2;

/** The client side as the HTTP/2 forwarder uses it: an HTTP/2 stream (ServerStream), or an HTTP/1 connection's adapter (H1Client). */
export interface H2Down {
  readonly isGrpc: boolean;
  readonly isHead: boolean;
  readonly headersSent: boolean;
  readonly destroyed: boolean;
  readonly hasBody: boolean;
  exchange: { abort(): void } | null;
  drainWaiter: { onDownDrain(): void } | null;
  attachBody(sink: BodySink): void;
  resumeBody(): void;
  respond(status: number, fields: Fields, endStream: boolean): void;
  send(data: Buffer, end: boolean): boolean;
  sendTrailers(fields: Fields): void;
  resetWith(code: number): void;
}

class H2Exchange implements H2Acquirer, StreamEvents, BodySink {
  private readonly down: H2Down;
  private up: H2Stream | null = null;
  private state = R_WAIT;
  private settled = false;
  private timer: NodeJS.Timeout | null = null;
  private timerMs = 0;
  private headOnly = false;
  private resent = false;
  private bodySent = false;
  private grpcDeadline = false;
  /** Shadow copies (RequestMirror), sent as HTTP/1.1 with the body chunk-framed unless its length is known. */
  private mirrors: Mirror[] | null = null;
  private mirrorChunked = false;

  constructor(
    private readonly ctx: Ctx,
    private readonly pool: H2Pool,
    private readonly resolve: () => void,
    private readonly reject: (e: unknown) => void,
  ) {
    const c = ctx.conn;
    this.down = c.protocol === 2 ? (c as ServerStream) : new H1Client(c as ServerConn);
  }

  /** Route timeouts as the HTTP/1 forwarder applies them, and the client's grpc-timeout when shorter. */
  startTimer(t: RouteTimeoutsSnap | undefined): void {
    let ms = t === undefined ? 0 : routeTimerMs(t, this.ctx.start);
    const g = this.down.isGrpc ? parseGrpcTimeout(this.ctx.reqHeaders['grpc-timeout']) : undefined;
    if (g !== undefined && (ms === 0 || g < ms)) {
      ms = g;
      this.grpcDeadline = true;
    }
    if (ms === 0 && t !== undefined && t.responseHeadersMs > 0 && !this.down.isGrpc) {
      // The mesh default bounds the wait for a response head only (a gRPC stream may wait long for its first message).
      ms = t.responseHeadersMs;
      this.headOnly = true;
    }
    if (ms === 0) return;
    this.timerMs = ms;
    this.timer = setTimeout(onTimeout, Math.min(Math.max(1, ms), MAX_TIMER_MS), this);
  }

  private stopTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  timedOut(): void {
    this.timer = null;
    if (this.settled) return;
    const up = this.up;
    this.up = null;
    if (up !== null) up.reset(ERROR.CANCEL);
    const what = this.state === R_WAIT ? 'no response head' : 'the response did not finish';
    const started = this.state !== R_WAIT;
    this.state = R_DONE;
    if (started && this.down.isGrpc) {
      // Part of a gRPC response is out: its end says DEADLINE_EXCEEDED in the trailers.
      this.ctx.grpcStatus = 4;
      this.ctx.error = 'upstream-timeout';
      this.down.sendTrailers([['grpc-status', '4'], ['grpc-message', 'deadline exceeded (weft)'], ['x-weft-error', 'upstream-timeout']]);
      this.settle();
      return;
    }
    this.settle(new ProxyError('upstream-timeout', `endpoint ${this.pool.name}: ${what} within ${this.timerMs} ms${this.grpcDeadline ? ' (grpc-timeout)' : ''}`));
  }

  private settle(err?: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.stopTimer();
    const c = this.ctx;
    if (c.load !== undefined) reportLoad(c, err === undefined && c.res.statusCode < 500 && (c.grpcStatus === undefined || !SERVER_FAULT.has(c.grpcStatus)));
    if (this.down.exchange === this) this.down.exchange = null;
    if (err === undefined) this.resolve();
    else this.reject(err);
  }

  // ---- H2Acquirer ----

  h2Ready(err: Error | null, conn: H2ClientConn | null): void {
    if (err !== null || conn === null) {
      this.settle(classifyUpstreamError(err, this.pool.name, false));
      return;
    }
    const down = this.down;
    if (down.destroyed || this.settled) {
      this.settle();
      return;
    }
    down.exchange = this;
    const ctx = this.ctx;
    const replay = ctx.replayBody;
    const hasBody = replay !== undefined ? replay.length > 0 : down.hasBody;
    ctx.upstreamStart ??= process.hrtime.bigint();
    const mp = ctx.mirrors;
    if (mp !== undefined) {
      ctx.mirrors = undefined;
      this.startMirrors(mp, hasBody);
    }
    this.up = conn.open(this.requestFields(), !hasBody, this);
    if (!hasBody) return;
    this.bodySent = true;
    if (replay !== undefined) this.up.data(replay, true);
    else down.attachBody(this);
  }

  private startMirrors(pools: UpstreamPool[], hasBody: boolean): void {
    const ctx = this.ctx;
    const h: HeaderMap = { ...ctx.headers, host: shadowHost(ctx.authority) };
    delete h['te'];
    const replay = ctx.replayBody;
    this.mirrorChunked = hasBody && replay === undefined && h['content-length'] === undefined;
    if (replay !== undefined) h['content-length'] = String(replay.length);
    const head = `${ctx.method} ${ctx.query === '' ? ctx.path : `${ctx.path}?${ctx.query}`} HTTP/1.1\r\n${serializeHeaders(h)}${this.mirrorChunked ? 'transfer-encoding: chunked\r\n' : ''}\r\n`;
    const t = ctx.timeouts;
    const timeoutMs = t !== undefined && t.requestMs > 0 ? t.requestMs : 15_000;
    for (const pool of pools) {
      const m = Mirror.start(pool, head, mirrorStats, timeoutMs);
      if (m === null) continue;
      if (replay !== undefined) {
        m.write(replay);
        m.end();
      } else if (!hasBody) m.end();
      (this.mirrors ??= []).push(m);
    }
  }

  private requestFields(): Fields {
    const ctx = this.ctx;
    const f: Fields = [
      [':method', ctx.method],
      [':scheme', 'http'],
      [':authority', ctx.authority],
      [':path', ctx.query === '' ? ctx.path : `${ctx.path}?${ctx.query}`],
    ];
    const h = ctx.headers;
    for (const k in h) {
      const v = h[k];
      if (v === undefined || k === 'host' || (HOP_BY_HOP.has(k) && k !== 'te')) continue;
      if (typeof v === 'string') f.push([k, v]);
      else for (const x of v) f.push([k, x]);
    }
    return f;
  }

  // ---- BodySink: the request body, client -> endpoint ----

  write(chunk: Buffer): boolean {
    const ms = this.mirrors;
    if (ms !== null) {
      const c = this.mirrorChunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`, 'latin1'), chunk, CRLF]) : chunk;
      for (const m of ms) m.write(c);
    }
    const up = this.up;
    if (up === null) return true;
    return up.data(chunk, false);
  }

  end(trailers?: Fields): void {
    const ms = this.mirrors;
    if (ms !== null) {
      for (const m of ms) {
        if (this.mirrorChunked) m.write(Buffer.from('0\r\n\r\n', 'latin1'));
        m.end();
      }
    }
    const up = this.up;
    if (up === null) return;
    if (trailers !== undefined) up.trailers(trailers);
    else up.data(Buffer.alloc(0), true);
  }

  // ---- StreamEvents: the endpoint's side ----

  onWritable(): void {
    this.down.resumeBody();
  }

  onHeaders(s: H2Stream, fields: Fields, endStream: boolean): void {
    if (s !== this.up || this.settled && this.state !== R_BODY) return;
    if (this.state === R_BODY) {
      // Trailers.
      const g = fields.find((f) => f[0] === 'grpc-status');
      if (g !== undefined) this.ctx.grpcStatus = Number(g[1]);
      this.down.sendTrailers(fields.filter((f) => f[0].charCodeAt(0) !== 58));
      this.complete();
      return;
    }
    let status = 0;
    for (const [k, v] of fields) if (k === ':status') status = Number(v);
    if (status < 200) {
      if (status >= 100) return; // informational: the final head follows
      return this.failed(new Error('response without :status'), true);
    }
    let grpc: number | undefined;
    if (endStream) for (const [k, v] of fields) if (k === 'grpc-status') grpc = Number(v);
    const hold = this.ctx.retryStatus;
    if (hold !== undefined && !this.downStarted() && hold(status, grpc)) {
      const up = this.up;
      this.up = null;
      up?.reset(ERROR.CANCEL);
      this.state = R_DONE;
      this.settle(new RetryableResponse(status));
      return;
    }
    if (grpc !== undefined) this.ctx.grpcStatus = grpc;
    this.ctx.upstreamHeaders = process.hrtime.bigint();
    if (this.headOnly) this.stopTimer();
    let out: Fields = [];
    for (const f of fields) if (f[0].charCodeAt(0) !== 58 && !HOP_BY_HOP.has(f[0])) out.push(f);
    if (this.ctx.onResponseHeaders !== undefined) out = this.filtered(out);
    this.state = endStream ? R_DONE : R_BODY;
    this.down.respond(status, out, endStream);
    if (endStream) this.complete();
  }

  private downStarted(): boolean {
    return this.down.headersSent;
  }

  /** Response header filters work on a header map. */
  private filtered(fields: Fields): Fields {
    const h: HeaderMap = {};
    for (const [k, v] of fields) {
      const had = h[k];
      if (had === undefined) h[k] = v;
      else if (typeof had === 'string') h[k] = [had, v];
      else had.push(v);
    }
    this.ctx.onResponseHeaders!(h);
    const out: Fields = [];
    for (const k in h) {
      const v = h[k];
      if (v === undefined) continue;
      const name = k.toLowerCase();
      if (typeof v === 'string') out.push([name, v]);
      else for (const x of v) out.push([name, x]);
    }
    return out;
  }

  onData(s: H2Stream, data: Buffer, endStream: boolean): void {
    if (s !== this.up || this.state !== R_BODY) {
      s.credit(data.length);
      return;
    }
    const ok = this.down.send(data, endStream);
    // Credit the endpoint as the client takes it: a slow client holds back the endpoint.
    s.credit(data.length);
    if (!ok) {
      s.pause();
      this.down.drainWaiter = this;
    }
    if (endStream) this.complete();
  }

  onDownDrain(): void {
    this.up?.resume();
  }

  onReset(s: H2Stream, code: number, refused: boolean): void {
    if (s !== this.up) return;
    this.up = null;
    if (this.settled && this.state !== R_BODY) return;
    if (this.state === R_WAIT && refused && !this.resent && !(this.bodySent && this.ctx.replayBody === undefined)) {
      // The endpoint never processed it (GOAWAY above it, REFUSED_STREAM): safe to send again.
      this.resent = true;
      this.pool.acquire(this);
      return;
    }
    if (this.state === R_BODY) {
      // Mid-response: the client's stream is cut the same way.
      this.state = R_DONE;
      this.down.resetWith(code === ERROR.NO_ERROR ? ERROR.INTERNAL_ERROR : code);
      this.settle(new ProxyError('upstream-reset', `endpoint ${this.pool.name}: stream reset (HTTP/2 error ${code}) mid-response`));
      return;
    }
    this.failed(Object.assign(new Error(`stream reset by the endpoint (HTTP/2 error ${code})`), { code: code === ERROR.REFUSED_STREAM ? 'ECONNREFUSED' : 'ECONNRESET' }), false);
  }

  private failed(err: Error, protocol: boolean): void {
    const up = this.up;
    this.up = null;
    up?.reset(ERROR.PROTOCOL_ERROR);
    this.state = R_DONE;
    this.settle(protocol ? new ProxyError('upstream-reset', `endpoint ${this.pool.name}: ${err.message}`) : classifyUpstreamError(err, this.pool.name, this.down.headersSent));
  }

  private complete(): void {
    this.state = R_DONE;
    this.up = null;
    this.settle();
  }

  /** The client reset its stream or went away: the endpoint's stream is cancelled too. */
  abort(): void {
    const ms = this.mirrors;
    if (ms !== null) for (const m of ms) m.abort();
    const up = this.up;
    this.up = null;
    up?.reset(ERROR.CANCEL);
    this.state = R_DONE;
    this.settle();
  }
}

/** gRPC statuses that say the server failed (for the balancer's view of an endpoint). */
const SERVER_FAULT = new Set([2, 4, 13, 14, 15]);

function onTimeout(ex: H2Exchange): void {
  ex.timedOut();
}

/**
 * An HTTP/1.1 request sent on as HTTP/2 (between proxies, when the mesh says so): the body de-chunked into
 * DATA, the response written back as HTTP/1.1 — Content-Length kept when the endpoint gave one, chunked
 * otherwise, with the endpoint's trailers in the last chunk.
 */
class H1Client implements H2Down {
  readonly isGrpc = false;
  private chunked = false;

  constructor(private readonly c: ServerConn) {}

  get isHead(): boolean {
    return this.c.isHead;
  }
  get headersSent(): boolean {
    return this.c.headersSent;
  }
  get destroyed(): boolean {
    return this.c.destroyed;
  }
  get hasBody(): boolean {
    return this.c.hasBody;
  }
  get exchange(): { abort(): void } | null {
    return this.c.exchange;
  }
  set exchange(e: { abort(): void } | null) {
    this.c.exchange = e;
  }
  get drainWaiter(): { onDownDrain(): void } | null {
    return this.c.drainWaiter;
  }
  set drainWaiter(w: { onDownDrain(): void } | null) {
    this.c.drainWaiter = w;
  }

  attachBody(sink: BodySink): void {
    if (!this.c.bodyChunked) {
      this.c.attachBody(sink);
      return;
    }
    // The connection hands over chunked framing as it came: only the chunk data goes on.
    const scanner = new ChunkedScanner();
    let ok = true;
    scanner.sink = { chunkData: (buf, s, e) => { ok = sink.write(buf.subarray(s, e)) && ok; } };
    this.c.attachBody({
      write: (b) => {
        ok = true;
        scanner.scan(b, 0, b.length);
        return ok;
      },
      end: () => sink.end(),
    });
  }

  resumeBody(): void {
    this.c.resumeBody();
  }

  respond(status: number, fields: Fields, endStream: boolean): void {
    let head = `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Unknown'}\r\n`;
    let length = false;
    for (const [k, v] of fields) {
      if (k === 'content-length') length = true;
      head += `${k}: ${v}\r\n`;
    }
    const bodiless = this.c.isHead || status === 204 || status === 304;
    if (!bodiless && !length) {
      if (endStream) head += 'content-length: 0\r\n';
      else if (this.c.isHttp10) this.c.closeAfter();
      else {
        this.chunked = true;
        head += 'transfer-encoding: chunked\r\n';
      }
    }
    head += this.c.connectionHeader();
    this.c.sendHead(status, head, null);
    if (endStream) this.c.finishResponse();
  }

  send(data: Buffer, end: boolean): boolean {
    let ok = true;
    if (data.length > 0) ok = this.c.write(this.chunked ? Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`, 'latin1'), data, CRLF]) : data);
    if (end) this.finish(undefined);
    return ok;
  }

  sendTrailers(fields: Fields): void {
    this.finish(fields);
  }

  private finish(trailers: Fields | undefined): void {
    if (this.chunked) {
      let last = '0\r\n';
      if (trailers !== undefined) for (const [k, v] of trailers) last += `${k}: ${v}\r\n`;
      this.c.write(Buffer.from(`${last}\r\n`, 'latin1'));
    }
    this.c.finishResponse();
  }

  resetWith(): void {
    this.c.destroy();
  }
}

const CRLF = Buffer.from('\r\n', 'latin1');
