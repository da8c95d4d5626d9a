// The downstream side of HTTP/2: one H2ServerConn per connection (h2c with prior knowledge on a plain port,
// ALPN "h2" after TLS), one ServerStream per request. A stream is what the layers see as ctx.conn and
// ctx.res, as an HTTP/1 connection is: a request body to read, a response to write. Requests are checked as
// RFC 9113 section 8 says before they become a Ctx: pseudo-headers, lower-case names, no
// connection-specific fields, valid values and authority; a malformed request is a stream error
// (RST_STREAM PROTOCOL_ERROR) and never reaches routing or policy.
//
// Streams the client may open are bounded by our SETTINGS_MAX_CONCURRENT_STREAMS: before it acknowledged
// our settings an extra stream is refused (REFUSED_STREAM, the client may retry it); after, it is a
// connection error. Rapid resets and the other floods are the session's (session.ts).
import type net from 'node:net';
import type { BodySink, Ctx, Downstream, HeaderMap, Responder } from '../context.js';
import type { PeerIdentity } from '../tls/verify.js';
import type { ConnOwner } from '../engine/server.js';
import { validAuthority } from '../engine/request.js';
import { STATUS_TEXT, HOP_BY_HOP } from '../engine/wire.js';
import { H2Session, H2Stream, type Fields, type StreamEvents, type H2Limits } from './session.js';
import { ERROR, H2Error } from './frames.js';
import { isGrpcContentType, grpcStatusFor, encodeGrpcMessage } from './grpc.js';

const noop = (): void => {};

/** Fields RFC 9113 section 8.2.2 forbids in HTTP/2 (te only as "trailers"). */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);
// A field value: no NUL, CR or LF anywhere, no leading or trailing whitespace (RFC 9113 section 8.2.1).
const BAD_VALUE = /[\0\r\n]|^[ \t]|[ \t]$/;
const BAD_NAME = /[^!#$%&'*+\-.^_`|~0-9a-z]/;

export class H2ServerConn extends H2Session {
  /** New streams of one read, dispatched once all its frames are handled (so a body in the same read is whole). */
  private fresh: ServerStream[] = [];
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Deadline (performance.now()) for the idle wait; checked by the listener's sweep. */
  deadline = 0;
  private inflight = 0;

  constructor(sock: net.Socket, private readonly owner: ConnOwner, readonly peer: PeerIdentity | undefined, limits: Partial<H2Limits> = {}, first?: Buffer) {
    super(sock, limits, true);
    this.remoteAddress = sock.remoteAddress ?? '';
    this.remotePort = sock.remotePort ?? 0;
    this.armIdle();
    this.start(false, first);
  }

  get scheme(): string {
    return this.owner.scheme;
  }

  private armIdle(): void {
    const ms = this.owner.limits.idleTimeoutMs;
    this.deadline = this.streams.size === 0 && ms > 0 ? performance.now() + ms : 0;
  }

  /** The listener's sweep: idle past its timeout. */
  expire(): void {
    if (this.streams.size === 0) this.goaway(ERROR.NO_ERROR, 'idle');
  }

  /** Drain: GOAWAY now; open streams finish, then the connection closes. */
  closeIfIdle(): void {
    this.goaway(ERROR.NO_ERROR, 'shutting down');
  }

  protected override isIdle(id: number): boolean {
    return id > this.lastStream;
  }

  protected override onHeadersFrame(id: number, fields: Fields, endStream: boolean, size: number): void {
    const open = this.streams.get(id);
    if (open !== undefined) {
      // Trailers: the last header block of a request, after its body.
      const ss = open.events as ServerStream;
      if (open.endRemote) throw new H2Error(ERROR.STREAM_CLOSED, `HEADERS on half-closed stream ${id}`);
      if (!endStream) return this.streamError(open, ERROR.PROTOCOL_ERROR);
      for (const [k] of fields) if (k.charCodeAt(0) === 58 /* : */) return this.streamError(open, ERROR.PROTOCOL_ERROR);
      open.endRemote = true;
      ss.trailersIn(fields);
      this.maybeRemove(open);
      return;
    }
    if (id % 2 === 0) throw new H2Error(ERROR.PROTOCOL_ERROR, `client opened even stream ${id}`);
    if (id <= this.lastStream) throw new H2Error(ERROR.STREAM_CLOSED, `HEADERS on closed stream ${id}`);
    this.lastStream = id;
    if (this.goingAway) return; // after our GOAWAY: ignored, the client retries elsewhere
    this.totalStreams++;
    const s = new H2Stream(id, this);
    s.bytesIn = size;
    if (this.streams.size >= this.limits.maxConcurrentStreams) {
      if (this.settingsAcked) throw new H2Error(ERROR.PROTOCOL_ERROR, `stream ${id} over SETTINGS_MAX_CONCURRENT_STREAMS ${this.limits.maxConcurrentStreams}`);
      this.write(rst(id, ERROR.REFUSED_STREAM));
      return;
    }
    this.streams.set(id, s);
    s.endRemote = endStream;
    const req = parseRequest(fields);
    if (typeof req === 'string') {
      this.malformed++;
      this.streamError(s, ERROR.PROTOCOL_ERROR);
      // A client that sends nothing but malformed requests is not a client.
      if (this.malformed > this.limits.maxPrematureResets) throw new H2Error(ERROR.ENHANCE_YOUR_CALM, 'too many malformed requests');
      return;
    }
    const ss = new ServerStream(this, s, req, endStream);
    s.events = ss;
    this.fresh.push(ss);
    this.deadline = 0;
  }

  private malformed = 0;

  protected override afterFrames(): void {
    const f = this.fresh;
    if (f.length === 0) return;
    this.fresh = [];
    for (const ss of f) if (!ss.stream.closed) this.dispatch(ss);
  }

  private dispatch(ss: ServerStream): void {
    let ctx: Ctx;
    try {
      ctx = ss.buildCtx(this.owner.scheme);
    } catch (e) {
      ss.stream.reset(ERROR.PROTOCOL_ERROR);
      void e;
      return;
    }
    this.inflight++;
    ss.counted = true;
    this.owner.requestStarted();
    if (this.owner.prepare !== undefined) this.owner.prepare(ctx);
    this.owner.service(ctx).then(noop, () => ss.destroy());
  }

  /** A stream's request is done with (answered, or gone). */
  requestDone(): void {
    this.inflight--;
    this.owner.requestDone();
  }

  protected override onGoaway(): void {
    // A client going away: what it opened still gets answered; no new streams come.
    if (this.streams.size === 0) this.closeSoon();
  }

  protected override streamClosed(s: H2Stream): void {
    const ss = s.events as ServerStream | null;
    if (ss !== null) ss.closedStream();
    if (this.streams.size === 0) {
      if (this.goingAway || this.owner.draining) this.closeSoon();
      else this.armIdle();
    }
  }

  /** Stream errors and connection errors the client caused, counted for diagnostics. */
  errors = 0;
  protected override protocolError(): void {
    this.errors++;
  }

  protected override closed(): void {
    for (const ss of this.fresh) ss.closedStream();
    this.fresh = [];
    this.owner.forget(this);
  }

  get idle(): boolean {
    return this.streams.size === 0;
  }
}

function rst(id: number, code: number): Buffer {
  const b = Buffer.alloc(13);
  b.writeUIntBE(4, 0, 3);
  b[3] = 3;
  b.writeUInt32BE(id, 5);
  b.writeUInt32BE(code, 9);
  return b;
}

interface ParsedRequest {
  method: string;
  path: string;
  authority: string | undefined;
  fields: Fields;
}

/** The request's pseudo-headers and fields, checked (RFC 9113 section 8.3.1); a string says what is malformed. */
function parseRequest(fields: Fields): ParsedRequest | string {
  let method: string | undefined;
  let scheme: string | undefined;
  let path: string | undefined;
  let authority: string | undefined;
  let regular = false;
  for (let i = 0; i < fields.length; i++) {
    const [k, v] = fields[i]!;
    if (k.charCodeAt(0) === 58 /* : */) {
      if (regular) return 'pseudo-header after a regular field';
      switch (k) {
        case ':method': if (method !== undefined) return 'repeated :method'; method = v; break;
        case ':scheme': if (scheme !== undefined) return 'repeated :scheme'; scheme = v; break;
        case ':path': if (path !== undefined) return 'repeated :path'; path = v; break;
        case ':authority': if (authority !== undefined) return 'repeated :authority'; authority = v; break;
        default: return `pseudo-header ${k}`;
      }
      if (BAD_VALUE.test(v)) return `invalid ${k}`;
      continue;
    }
    regular = true;
    if (k === '' || BAD_NAME.test(k)) return 'invalid field name';
    if (CONNECTION_SPECIFIC.has(k)) return `connection-specific field ${k}`;
    if (k === 'te' && v !== 'trailers') return 'te other than trailers';
    if (BAD_VALUE.test(v)) return `invalid value of ${k}`;
  }
  if (method === undefined) return 'no :method';
  if (method === 'CONNECT') return 'CONNECT';
  if (scheme === undefined || path === undefined || path === '') return 'no :scheme or :path';
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(method)) return 'invalid :method';
  return { method, path, authority, fields };
}

/**
 * One request on an HTTP/2 connection: its body for whoever reads it, and its response. Also what the
 * HTTP/1 forwarder talks to when this request goes to an HTTP/1 endpoint (h1View).
 */
export class ServerStream implements Downstream, Responder, StreamEvents {
  readonly protocol = 2 as const;
  // body in
  private queue: Buffer[] | null = null;
  private queuedBytes = 0;
  private sink: BodySink | null = null;
  private trailers: Fields | undefined;
  private declaredLength = -1;
  private receivedLength = 0;
  // response out
  statusCode = 0;
  headersSent = false;
  writableFinished = false;
  private pendingHead: HeaderMap | null = null;
  private closeCbs: (() => void)[] | null = null;
  private done = false;
  counted = false;
  isGrpc = false;
  isHead = false;
  /** The forwarder's exchange in flight: told when the client resets the stream. */
  exchange: { abort(): void } | null = null;
  /** The forwarder waiting for room to send more of the response. */
  drainWaiter: { onDownDrain(): void } | null = null;
  private view: H1View | null = null;

  constructor(readonly session: H2ServerConn, readonly stream: H2Stream, private readonly req: ParsedRequest, private ended: boolean) {}

  get remoteAddress(): string {
    return this.session.remoteAddress;
  }
  get remotePort(): number {
    return this.session.remotePort;
  }
  get peer(): PeerIdentity | undefined {
    return this.session.peer;
  }
  get bytesRead(): number {
    return this.stream.bytesIn;
  }
  get bytesWritten(): number {
    return this.stream.bytesOut;
  }
  get destroyed(): boolean {
    return this.stream.closed && !this.writableFinished;
  }

  /** The Ctx for the layers; throws on what cannot be routed (bad authority, bad path). */
  buildCtx(scheme: string): Ctx {
    const start = process.hrtime.bigint();
    const r = this.req;
    const reqHeaders: HeaderMap = {};
    const headers: HeaderMap = {};
    let host: string | undefined;
    for (const [k, v] of r.fields) {
      if (k.charCodeAt(0) === 58) continue;
      const had = reqHeaders[k];
      if (had === undefined) reqHeaders[k] = v;
      else if (typeof had === 'string') reqHeaders[k] = [had, v];
      else had.push(v);
      if (k === 'host') {
        if (host !== undefined) throw new Error('more than one host field');
        host = v;
      }
    }
    // RFC 9113 section 8.3.1: a Host naming another entity than :authority makes the request malformed.
    if (host !== undefined && r.authority !== undefined && host.toLowerCase() !== r.authority.toLowerCase()) throw new Error('host differs from :authority');
    for (const k in reqHeaders) if (!HOP_BY_HOP.has(k)) headers[k] = reqHeaders[k];
    // Cookie crumbs are joined for the next hop (RFC 9113 section 8.2.3).
    const ck = headers['cookie'];
    if (Array.isArray(ck)) headers['cookie'] = ck.join('; ');
    const cl = reqHeaders['content-length'];
    if (cl !== undefined) {
      if (typeof cl !== 'string' || !/^\d{1,15}$/.test(cl)) throw new Error('invalid content-length');
      this.declaredLength = Number(cl);
      if (this.ended && this.declaredLength !== this.receivedLength) throw new Error('content-length does not match the body');
    } else if (this.ended && this.receivedLength > 0) {
      // The whole body came with the head: an HTTP/1 endpoint gets it with its length.
      this.declaredLength = this.receivedLength;
      headers['content-length'] = String(this.receivedLength);
    }
    const authority = r.authority ?? host ?? '';
    if (authority === '' || !validAuthority(authority)) throw new Error('missing or invalid :authority');
    const target = r.path;
    if (target.charCodeAt(0) !== 47 /* / */ && !(r.method === 'OPTIONS' && target === '*')) throw new Error('invalid :path');
    if (target.includes('#')) throw new Error('fragment in :path');
    headers['host'] = authority;
    this.isGrpc = isGrpcContentType(reqHeaders['content-type']);
    this.isHead = r.method === 'HEAD';
    if (reqHeaders['te'] === 'trailers') headers['te'] = 'trailers';
    const qi = target.indexOf('?');
    return {
      conn: this,
      res: this,
      start,
      method: r.method,
      path: qi === -1 ? target : target.slice(0, qi),
      query: qi === -1 ? '' : target.slice(qi + 1),
      authority,
      scheme,
      version: '2',
      reqHeaders,
      headers,
      upgrade: undefined,
      peer: this.session.peer,
    };
  }

  // ---- StreamEvents: what the client sends on this stream ----

  onHeaders(): void {}

  onData(_s: H2Stream, data: Buffer, end: boolean): void {
    this.receivedLength += data.length;
    if (this.declaredLength >= 0 && this.receivedLength > this.declaredLength) {
      this.stream.reset(ERROR.PROTOCOL_ERROR);
      this.closedStream();
      return;
    }
    if (data.length > 0) this.deliver(data);
    if (end) this.bodyEnd();
  }

  trailersIn(fields: Fields): void {
    this.trailers = fields;
    this.bodyEnd();
  }

  onReset(): void {
    this.closedStream();
  }

  onWritable(): void {
    const w = this.drainWaiter;
    if (w !== null) {
      this.drainWaiter = null;
      w.onDownDrain();
    }
  }

  onLocalEnd(): void {
    this.finished();
  }

  // ---- the body, for the layers and the forwarder ----

  get hasBody(): boolean {
    return !this.ended || this.receivedLength > 0;
  }

  get bodyLength(): number {
    if (this.ended) return this.receivedLength;
    return this.declaredLength;
  }

  /** The length the request declared (or the whole body's, when it came with the head); -1 when unknown. */
  get declared(): number {
    return this.declaredLength;
  }

  private deliver(data: Buffer): void {
    const sink = this.sink;
    if (sink !== null) {
      this.stream.credit(data.length);
      if (!sink.write(data)) this.stream.pause();
      return;
    }
    (this.queue ??= []).push(data);
    this.queuedBytes += data.length;
  }

  private bodyEnd(): void {
    this.ended = true;
    if (this.declaredLength >= 0 && this.receivedLength !== this.declaredLength) {
      this.stream.reset(ERROR.PROTOCOL_ERROR);
      this.closedStream();
      return;
    }
    if (this.sink !== null) this.sink.end(this.trailers);
  }

  attachBody(sink: BodySink): void {
    this.sink = sink;
    const q = this.queue;
    if (q !== null) {
      this.queue = null;
      const n = this.queuedBytes;
      this.queuedBytes = 0;
      let ok = true;
      for (const b of q) ok = sink.write(b);
      this.stream.credit(n);
      if (!ok) this.stream.pause();
    }
    if (this.ended) sink.end(this.trailers);
  }

  /** Body bytes already here, taken now. */
  takeQueued(): Buffer | null {
    const q = this.queue;
    if (q === null) return null;
    this.queue = null;
    this.stream.credit(this.queuedBytes);
    this.queuedBytes = 0;
    return q.length === 1 ? q[0]! : Buffer.concat(q);
  }

  get bodyComplete(): boolean {
    return this.ended;
  }

  get requestTrailers(): Fields | undefined {
    return this.trailers;
  }

  resumeBody(): void {
    this.stream.resume();
  }

  // ---- Responder: answers the proxy makes itself ----

  onClose(fn: () => void): void {
    if (this.done) {
      fn();
      return;
    }
    (this.closeCbs ??= []).push(fn);
  }

  writeHead(status: number, headers: HeaderMap): void {
    if (this.headersSent || this.stream.closed) return;
    this.statusCode = status;
    this.headersSent = true;
    this.pendingHead = headers;
  }

  end(body?: string | Buffer): void {
    if (this.writableFinished || this.stream.closed) return;
    if (!this.headersSent) this.writeHead(200, {});
    const h = this.pendingHead ?? {};
    this.pendingHead = null;
    const status = this.statusCode;
    const given = h['grpc-status'];
    if (this.isGrpc && (status !== 200 || typeof given === 'string')) {
      // A gRPC client reads its status from grpc-status, not from HTTP: a trailers-only answer. The status is
      // the one given (an injected gRPC abort), else the one the HTTP status maps to.
      const code = typeof h['x-weft-error'] === 'string' ? h['x-weft-error'] : undefined;
      const msg = body === undefined ? (STATUS_TEXT[status] ?? 'error') : String(body).trim();
      const f: Fields = [[':status', '200'], ['content-type', 'application/grpc'], ['grpc-status', typeof given === 'string' ? given : String(grpcStatusFor(status, code))], ['grpc-message', encodeGrpcMessage(msg)]];
      if (code !== undefined) f.push(['x-weft-error', code]);
      // A rate-limited call says when to come back, in gRPC terms too.
      const retryAfter = h['retry-after'];
      if (typeof retryAfter === 'string') f.push(['retry-after', retryAfter]);
      this.stream.answered = true;
      this.stream.headers(f, true);
      return;
    }
    const f = toFields(status, h, true);
    const noBody = this.isHead || status === 204 || status === 304 || body === undefined || Buffer.byteLength(body) === 0;
    this.stream.answered = true;
    if (noBody) {
      this.stream.headers(f, true);
      return;
    }
    this.stream.headers(f, false);
    this.stream.data(typeof body === 'string' ? Buffer.from(body) : body, true);
  }

  destroy(): void {
    if (this.stream.closed) return;
    this.stream.reset(ERROR.INTERNAL_ERROR);
    this.closedStream();
  }

  // ---- the relayed response, for the forwarders ----

  /** The response head; `fields` without pseudo-headers. */
  respond(status: number, fields: Fields, endStream: boolean): void {
    this.statusCode = status;
    this.headersSent = true;
    this.stream.answered = true;
    fields.unshift([':status', String(status)]);
    this.stream.headers(fields, endStream || this.isHead);
  }

  /** Response body; false when the client cannot take more now (wait for onDownDrain). */
  send(data: Buffer, end: boolean): boolean {
    return this.stream.data(data, end);
  }

  sendTrailers(fields: Fields): void {
    this.stream.trailers(fields);
  }

  /** Cuts the stream with `code` (the upstream reset its side, or the response cannot be completed). */
  resetWith(code: number): void {
    if (this.stream.closed) return;
    this.stream.reset(code);
    this.closedStream();
  }

  private finished(): void {
    if (this.writableFinished) return;
    this.writableFinished = true;
    // The whole response is out; a body still coming is not wanted (RFC 9113 section 8.1).
    if (!this.stream.endRemote && !this.stream.closed) this.stream.reset(ERROR.NO_ERROR);
    this.closedStream();
  }

  /** The stream is over, answered or not: the exchange is told, observers hear of it once. */
  closedStream(): void {
    if (this.done) return;
    this.done = true;
    const ex = this.exchange;
    this.exchange = null;
    if (ex !== null && !this.writableFinished) ex.abort();
    this.queue = null;
    const cbs = this.closeCbs;
    this.closeCbs = null;
    if (cbs !== null) {
      for (const fn of cbs) {
        try {
          fn();
        } catch {
          // An observer must never break the connection.
        }
      }
    }
    if (this.counted) {
      this.counted = false;
      this.session.requestDone();
    }
  }

  /** What the HTTP/1 forwarder sees when this request goes to an HTTP/1 endpoint. */
  h1View(): H1View {
    return (this.view ??= new H1View(this));
  }
}

/** Response head fields from a header map: :status first, hop-by-hop and connection-specific fields left out. */
export function toFields(status: number, h: HeaderMap, lower: boolean): Fields {
  const f: Fields = [[':status', String(status)]];
  for (const k in h) {
    const v = h[k];
    if (v === undefined) continue;
    const name = lower ? k.toLowerCase() : k;
    if (HOP_BY_HOP.has(name)) continue;
    if (typeof v === 'string') f.push([name, v]);
    else for (const x of v) f.push([name, x]);
  }
  return f;
}

/**
 * An HTTP/2 request as the HTTP/1 forwarder (engine/forward.ts) sees a client connection: the request body
 * chunk-framed when its length is not declared (trailers go in the last chunk), the response head parsed
 * back from the HTTP/1 head the forwarder builds, and the response body de-chunked (isHttp10) into DATA.
 */
export class H1View {
  readonly isHttp10 = true;
  readonly sock = null as unknown as net.Socket;
  private readonly chunked: boolean;

  constructor(private readonly s: ServerStream) {
    this.chunked = s.hasBody && s.declared < 0;
  }

  get hasBody(): boolean {
    return this.s.hasBody;
  }
  get bodyChunked(): boolean {
    return this.chunked;
  }
  get isHead(): boolean {
    return this.s.isHead;
  }
  get destroyed(): boolean {
    return this.s.destroyed;
  }
  get headersSent(): boolean {
    return this.s.headersSent;
  }
  get exchange(): { abort(): void } | null {
    return this.s.exchange;
  }
  set exchange(e: { abort(): void } | null) {
    this.s.exchange = e;
  }
  get drainWaiter(): { onDownDrain(): void } | null {
    return this.s.drainWaiter;
  }
  set drainWaiter(w: { onDownDrain(): void } | null) {
    this.s.drainWaiter = w;
  }

  takeQueued(): Buffer | null {
    const b = this.s.takeQueued();
    if (b === null || !this.chunked) return b;
    return chunk(b);
  }

  attachBody(sink: BodySink): void {
    if (!this.chunked) {
      this.s.attachBody(sink);
      return;
    }
    this.s.attachBody({
      write: (b) => sink.write(chunk(b)),
      end: (trailers) => {
        let last = '0\r\n';
        if (trailers !== undefined) for (const [k, v] of trailers) if (!HOP_BY_HOP.has(k) && k !== 'content-length') last += `${k}: ${v}\r\n`;
        sink.write(Buffer.from(`${last}\r\n`, 'latin1'));
        sink.end();
      },
    });
  }

  resumeBody(): void {
    this.s.resumeBody();
  }

  closeAfter(): void {}

  connectionHeader(): string {
    return '\r\n';
  }

  /** The forwarder's HTTP/1 head ("HTTP/1.1 200 OK\r\nname: value\r\n...\r\n"), sent as HEADERS. */
  sendHead(status: number, head: string, first: Buffer | null): boolean {
    const f: Fields = [];
    const lines = head.split('\r\n');
    for (let i = 1; i < lines.length; i++) {
      const l = lines[i]!;
      if (l === '') continue;
      const c = l.indexOf(':');
      const k = l.slice(0, c).toLowerCase();
      if (HOP_BY_HOP.has(k)) continue;
      f.push([k, l.slice(c + 1).trim()]);
    }
    this.s.respond(status, f, false);
    if (first === null || first.length === 0) return true;
    return this.s.send(first, false);
  }

  write(b: Buffer): boolean {
    return this.s.send(b, false);
  }

  finishResponse(): void {
    if (this.s.writableFinished) return;
    this.s.send(Buffer.alloc(0), true);
  }

  becomeTunnel(): Buffer | null {
    throw new Error('no upgrade over HTTP/2');
  }
}

function chunk(b: Buffer): Buffer {
  const h = `${b.length.toString(16)}\r\n`;
  const out = Buffer.allocUnsafe(h.length + b.length + 2);
  out.write(h, 0, 'latin1');
  b.copy(out, h.length);
  out.write('\r\n', h.length + b.length, 'latin1');
  return out;
}
