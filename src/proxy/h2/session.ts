// One HTTP/2 connection (RFC 9113), the part both ends share: frames in and out, HPACK, SETTINGS, PING,
// GOAWAY, the stream table and flow control both ways. A server connection (server.ts) and a client
// connection (client.ts) add what is particular to their side: which streams the peer may open, and what a
// new stream means.
//
// Flow control: what the peer sends on a stream is credited back only as its consumer takes it (a
// consumer that pauses stops the credit, so the peer stops once the stream window is spent: backpressure
// without unbounded buffers); the connection window is credited on receipt, since the stream windows
// already bound what is held. What we send waits for both the stream's and the connection's window.
//
// The defences a proxy needs against a hostile peer live here too: header lists and blocks bounded (HPACK
// bombs, CONTINUATION floods), control frames that only make us write (PING, SETTINGS) stopped when the peer
// does not read, a cap on empty frames, and the rapid-reset check (streams the peer cancels before any
// answer, as in CVE-2023-44487).
import type net from 'node:net';
import {
  FrameReader, FRAME, FLAG, ERROR, SETTING, H2Error, PREFACE, DEFAULT_MAX_FRAME_SIZE,
  frame, settingsFrame, settingsAck, goawayFrame, rstStreamFrame, windowUpdateFrame, headersFrames, parseSettings, type Frame,
} from './frames.js';
import { Decoder, encode, HpackError } from './hpack.js';

export type Fields = [string, string][];

export interface H2Limits {
  /** SETTINGS_MAX_CONCURRENT_STREAMS we announce. */
  maxConcurrentStreams: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE we announce: what the peer may send on a stream before we credit it. */
  streamWindow: number;
  /** Our connection receive window. */
  connectionWindow: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE we announce and enforce (HPACK bombs stop here). */
  maxHeaderListSize: number;
  /** Streams the peer may cancel before any answer (and more than half of its streams) before we close. */
  maxPrematureResets: number;
  /** Bytes queued on the socket past which control frames we owe (PING/SETTINGS ACKs) mean a flood. */
  maxOutboundQueue: number;
}

export const DEFAULT_H2_LIMITS: H2Limits = {
  maxConcurrentStreams: 256,
  streamWindow: 256 * 1024,
  connectionWindow: 4 * 1024 * 1024,
  maxHeaderListSize: 64 * 1024,
  maxPrematureResets: 100,
  maxOutboundQueue: 4 * 1024 * 1024,
};

const MAX_WINDOW = 0x7fffffff;

function uncork(s: H2Session): void {
  s.uncork();
}
/** DATA frames without data and without END_STREAM, and other frames that carry nothing, per connection. */
const MAX_EMPTY_FRAMES = 1000;

/** What a stream's owner hears from the peer. */
export interface StreamEvents {
  /** A header block: the response head (client side), 1xx heads, or trailers (endStream set). */
  onHeaders(s: H2Stream, fields: Fields, endStream: boolean): void;
  onData(s: H2Stream, data: Buffer, endStream: boolean): void;
  /** The stream ended abnormally: reset by the peer (`code`), or the connection went away. */
  onReset(s: H2Stream, code: number, refused: boolean): void;
  /** What we send can go on: the stream's window opened or the socket drained. */
  onWritable(s: H2Stream): void;
  /** Our side of the stream ended (END_STREAM went out). */
  onLocalEnd?(s: H2Stream): void;
}

export class H2Stream {
  events: StreamEvents | null = null;
  /** What we may still send before the peer credits more. */
  sendWindow: number;
  /** What the peer may still send. */
  recvWindow: number;
  /** Taken by the consumer, not credited back yet. */
  private unacked = 0;
  private paused = false;
  endRemote = false;
  endLocal = false;
  closed = false;
  /** Data (and then trailers / the end) waiting for window. */
  queue: Buffer[] | null = null;
  queueEnd = false;
  queueTrailers: Fields | null = null;
  wantsWritable = false;
  /** Bytes of DATA and header blocks each way, for per-request byte counts. */
  bytesIn = 0;
  bytesOut = 0;
  /** We sent a response (server) or a request head (client): a reset after this is not premature. */
  answered = false;

  constructor(readonly id: number, readonly session: H2Session) {
    this.sendWindow = session.peerInitialWindow;
    this.recvWindow = session.limits.streamWindow;
  }

  /** Sends a header block (request/response head, or trailers with endStream). */
  headers(fields: Fields, endStream: boolean): void {
    if (this.closed || this.endLocal) return;
    if (endStream && this.queue !== null) {
      this.queueTrailers = fields;
      this.queueEnd = true;
      return;
    }
    this.session.sendHeaders(this, fields, endStream);
  }

  /** Sends data; false when it waits for window or the socket is full (wait for onWritable). */
  data(buf: Buffer, endStream: boolean): boolean {
    if (this.closed || this.endLocal) return true;
    return this.session.sendData(this, buf, endStream);
  }

  /** Ends the stream with trailers after any queued data. */
  trailers(fields: Fields): void {
    this.headers(fields, true);
  }

  reset(code: number): void {
    if (this.closed) return;
    this.session.resetStream(this, code);
  }

  /** The consumer is full: stop crediting the peer. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.credit(0);
  }

  /** `n` bytes were taken from this stream; credit the peer once half the window is used. */
  credit(n: number): void {
    this.unacked += n;
    if (this.paused || this.closed || this.endRemote) return;
    if (this.unacked >= this.session.limits.streamWindow >> 1) {
      this.recvWindow += this.unacked;
      this.session.write(windowUpdateFrame(this.id, this.unacked));
      this.unacked = 0;
    }
  }
}

export abstract class H2Session {
  readonly streams = new Map<number, H2Stream>();
  readonly limits: H2Limits;
  private readonly reader: FrameReader;
  private readonly decoder: Decoder;
  /** The peer's settings as they apply to what we send. */
  peerInitialWindow = 65_535;
  peerMaxFrame = DEFAULT_MAX_FRAME_SIZE;
  peerMaxStreams = Infinity;
  /** Our SETTINGS were acknowledged: the peer knows our limits. */
  settingsAcked = false;
  private sendWindow = 65_535;
  private connUnacked = 0;
  private connRecv: number;
  /** Streams waiting for the connection window or the socket. */
  private readonly blocked = new Set<H2Stream>();
  private empty = 0;
  /** GOAWAY sent (or the socket is gone): no new streams. */
  goingAway = false;
  /** GOAWAY received: the peer takes no new streams above this id. */
  peerGoneAway = false;
  destroyed = false;
  /** Highest stream id the peer opened (server) or we opened (client). */
  lastStream = 0;
  protected totalStreams = 0;
  protected premature = 0;

  constructor(readonly sock: net.Socket, limits: Partial<H2Limits>, isServer: boolean) {
    this.limits = { ...DEFAULT_H2_LIMITS, ...limits };
    this.connRecv = 65_535;
    this.reader = new FrameReader({ expectPreface: isServer, maxHeaderBlock: this.limits.maxHeaderListSize });
    this.decoder = new Decoder({ maxHeaderListSize: this.limits.maxHeaderListSize });
    sock.setNoDelay(true);
    sock.on('data', this.onSockData);
    sock.on('close', this.onSockClose);
    sock.on('error', () => {});
    sock.on('drain', this.onSockDrain);
  }

  /** Our preface (client: the magic first) and SETTINGS, and the connection window raised to our limit. */
  protected start(client: boolean, first?: Buffer): void {
    const l = this.limits;
    const parts: Buffer[] = [];
    if (client) parts.push(PREFACE);
    parts.push(settingsFrame([
      [SETTING.ENABLE_PUSH, 0],
      [SETTING.MAX_CONCURRENT_STREAMS, l.maxConcurrentStreams],
      [SETTING.INITIAL_WINDOW_SIZE, l.streamWindow],
      [SETTING.MAX_HEADER_LIST_SIZE, l.maxHeaderListSize],
    ]));
    if (l.connectionWindow > 65_535) {
      parts.push(windowUpdateFrame(0, l.connectionWindow - 65_535));
      this.connRecv = l.connectionWindow;
    }
    this.sock.write(Buffer.concat(parts));
    if (first !== undefined && first.length > 0) this.onSockData(first);
  }

  /**
   * Frames written in one turn of the event loop leave in one write (one TLS record, one syscall): the
   * socket is corked at the first and uncorked on the next tick.
   */
  write(b: Buffer): boolean {
    if (this.destroyed) return false;
    if (!this.corked) {
      this.corked = true;
      this.sock.cork();
      process.nextTick(uncork, this);
    }
    return this.sock.write(b);
  }

  private corked = false;

  uncork(): void {
    this.corked = false;
    this.sock.uncork();
  }

  // ---- incoming ----

  private readonly onSockData = (chunk: Buffer): void => {
    if (this.destroyed) return;
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch (e) {
      this.connectionError(e);
      return;
    }
    try {
      for (let i = 0; i < frames.length && !this.destroyed; i++) this.frame(frames[i]!);
    } catch (e) {
      this.connectionError(e);
      return;
    }
    this.afterFrames();
  };

  /** Called once the frames of one read are handled (the server dispatches new requests here). */
  protected afterFrames(): void {}

  private frame(f: Frame): void {
    switch (f.type) {
      case FRAME.DATA:
        return this.onDataFrame(f);
      case FRAME.HEADERS: {
        let fields: Fields;
        try {
          // Decoded whatever becomes of the stream: the HPACK state is the connection's.
          fields = this.decoder.decode(f.payload);
        } catch (e) {
          throw new H2Error(e instanceof HpackError && /list/.test(e.message) ? ERROR.ENHANCE_YOUR_CALM : ERROR.COMPRESSION_ERROR, (e as Error).message);
        }
        const s = this.streams.get(f.stream);
        if (s !== undefined) s.bytesIn += f.payload.length;
        return this.onHeadersFrame(f.stream, fields, (f.flags & FLAG.END_STREAM) !== 0, f.payload.length);
      }
      case FRAME.PRIORITY:
        return;
      case FRAME.RST_STREAM: {
        const s = this.streams.get(f.stream);
        if (s === undefined) {
          if (this.isIdle(f.stream)) throw new H2Error(ERROR.PROTOCOL_ERROR, `RST_STREAM on idle stream ${f.stream}`);
          return;
        }
        const code = f.payload.readUInt32BE(0);
        if (!s.answered) this.premature++;
        this.remove(s);
        s.events?.onReset(s, code, code === ERROR.REFUSED_STREAM);
        this.checkResets();
        return;
      }
      case FRAME.SETTINGS:
        if (f.flags & FLAG.ACK) {
          this.settingsAcked = true;
          return;
        }
        this.applySettings(parseSettings(f.payload));
        this.write(settingsAck());
        this.checkQueue();
        return;
      case FRAME.PING:
        if ((f.flags & FLAG.ACK) === 0) {
          this.write(frame(FRAME.PING, FLAG.ACK, 0, f.payload));
          this.checkQueue();
        }
        return;
      case FRAME.GOAWAY: {
        const last = f.payload.readUInt32BE(0) & 0x7fffffff;
        this.peerGoneAway = true;
        this.onGoaway(last, f.payload.readUInt32BE(4));
        return;
      }
      case FRAME.WINDOW_UPDATE: {
        const inc = f.payload.readUInt32BE(0) & 0x7fffffff;
        if (f.stream === 0) {
          if (inc === 0) throw new H2Error(ERROR.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0 on the connection');
          this.sendWindow += inc;
          if (this.sendWindow > MAX_WINDOW) throw new H2Error(ERROR.FLOW_CONTROL_ERROR, 'connection window over 2^31-1');
          this.flushBlocked();
          return;
        }
        const s = this.streams.get(f.stream);
        if (s === undefined) {
          if (this.isIdle(f.stream)) throw new H2Error(ERROR.PROTOCOL_ERROR, `WINDOW_UPDATE on idle stream ${f.stream}`);
          return;
        }
        if (inc === 0) return this.streamError(s, ERROR.PROTOCOL_ERROR);
        s.sendWindow += inc;
        if (s.sendWindow > MAX_WINDOW) return this.streamError(s, ERROR.FLOW_CONTROL_ERROR);
        if (s.queue !== null) this.flushStream(s);
        return;
      }
      default:
        return;
    }
  }

  private onDataFrame(f: Frame): void {
    const size = f.size ?? f.payload.length;
    this.connRecv -= size;
    if (this.connRecv < 0) throw new H2Error(ERROR.FLOW_CONTROL_ERROR, 'DATA past the connection window');
    // The connection window is credited as data arrives: stream windows bound what is held.
    this.connUnacked += size;
    if (this.connUnacked >= this.limits.connectionWindow >> 2) {
      this.write(windowUpdateFrame(0, this.connUnacked));
      this.connRecv += this.connUnacked;
      this.connUnacked = 0;
    }
    const end = (f.flags & FLAG.END_STREAM) !== 0;
    if (size === 0 && !end && ++this.empty > MAX_EMPTY_FRAMES) throw new H2Error(ERROR.ENHANCE_YOUR_CALM, 'too many empty DATA frames');
    const s = this.streams.get(f.stream);
    if (s === undefined) {
      if (this.isIdle(f.stream)) throw new H2Error(ERROR.PROTOCOL_ERROR, `DATA on idle stream ${f.stream}`);
      // A stream we reset or finished: its data is dropped (RFC 9113 5.1, closed).
      return;
    }
    if (s.endRemote) return this.streamError(s, ERROR.STREAM_CLOSED);
    s.recvWindow -= size;
    if (s.recvWindow < 0) return this.streamError(s, ERROR.FLOW_CONTROL_ERROR);
    s.bytesIn += size;
    if (end) s.endRemote = true;
    // Padding is credited at once; the data when its consumer takes it (H2Stream.credit).
    if (size > f.payload.length) s.credit(size - f.payload.length);
    this.onStreamData(s, f.payload, end);
    if (end) this.maybeRemove(s);
  }

  /** DATA for a stream: the default hands it to the stream's owner, who credits it as it takes it. */
  protected onStreamData(s: H2Stream, data: Buffer, end: boolean): void {
    s.events?.onData(s, data, end);
  }

  /** A stream id that no one opened yet (frames on it, other than HEADERS, are a connection error). */
  protected abstract isIdle(id: number): boolean;
  protected abstract onHeadersFrame(id: number, fields: Fields, endStream: boolean, size: number): void;
  protected abstract onGoaway(lastStream: number, code: number): void;

  private applySettings(m: Map<number, number>): void {
    for (const [id, v] of m) {
      switch (id) {
        case SETTING.INITIAL_WINDOW_SIZE: {
          const delta = v - this.peerInitialWindow;
          this.peerInitialWindow = v;
          for (const s of this.streams.values()) {
            s.sendWindow += delta;
            if (s.sendWindow > MAX_WINDOW) throw new H2Error(ERROR.FLOW_CONTROL_ERROR, 'a stream window over 2^31-1');
          }
          if (delta > 0) this.flushBlocked();
          break;
        }
        case SETTING.MAX_FRAME_SIZE:
          this.peerMaxFrame = v;
          break;
        case SETTING.MAX_CONCURRENT_STREAMS:
          this.peerMaxStreams = v;
          break;
        default:
          break;
      }
    }
  }

  /** Control frames we owe pile up when the peer sends them and does not read: a flood. */
  private checkQueue(): void {
    if (this.sock.writableLength > this.limits.maxOutboundQueue) this.connectionError(new H2Error(ERROR.ENHANCE_YOUR_CALM, 'the peer does not read what it asks for'));
  }

  protected checkResets(): void {
    if (this.premature > this.limits.maxPrematureResets && this.premature * 2 > this.totalStreams) {
      this.connectionError(new H2Error(ERROR.ENHANCE_YOUR_CALM, `${this.premature} of ${this.totalStreams} streams reset before an answer`));
    }
  }

  // ---- outgoing ----

  sendHeaders(s: H2Stream, fields: Fields, endStream: boolean): void {
    const block = encode(fields);
    const frames = headersFrames(s.id, block, endStream, this.peerMaxFrame);
    s.bytesOut += block.length;
    if (frames.length === 1) this.write(frames[0]!);
    else this.write(Buffer.concat(frames));
    if (endStream) this.localEnd(s);
  }

  private localEnd(s: H2Stream): void {
    s.endLocal = true;
    s.events?.onLocalEnd?.(s);
    this.maybeRemove(s);
  }

  sendData(s: H2Stream, buf: Buffer, end: boolean): boolean {
    if (s.queue !== null) {
      if (buf.length > 0) s.queue.push(buf);
      if (end) s.queueEnd = true;
      s.wantsWritable = true;
      return false;
    }
    const sent = this.push(s, buf, 0, end);
    if (sent < buf.length) {
      s.queue = [buf.subarray(sent)];
      s.queueEnd = end;
      s.wantsWritable = true;
      this.blocked.add(s);
      return false;
    }
    if (this.sock.writableLength > this.limits.streamWindow) {
      s.wantsWritable = true;
      this.blocked.add(s);
      return false;
    }
    return true;
  }

  /** Writes as much of buf[from..] as the windows allow; returns the offset reached. */
  private push(s: H2Stream, buf: Buffer, from: number, end: boolean): number {
    let at = from;
    const max = this.peerMaxFrame;
    if (buf.length - at === 0) {
      if (end) {
        this.write(frame(FRAME.DATA, FLAG.END_STREAM, s.id));
        this.localEnd(s);
      }
      return at;
    }
    while (at < buf.length) {
      const room = Math.min(s.sendWindow, this.sendWindow, max);
      if (room <= 0) return at;
      const n = Math.min(room, buf.length - at);
      const last = at + n === buf.length;
      const flags = last && end ? FLAG.END_STREAM : 0;
      const h = Buffer.allocUnsafe(9);
      h.writeUIntBE(n, 0, 3);
      h[3] = FRAME.DATA;
      h[4] = flags;
      h.writeUInt32BE(s.id, 5);
      if (n <= 4096) {
        const out = Buffer.allocUnsafe(9 + n);
        h.copy(out, 0);
        buf.copy(out, 9, at, at + n);
        this.write(out);
      } else {
        this.write(h);
        this.write(at === 0 && n === buf.length ? buf : buf.subarray(at, at + n));
      }
      s.sendWindow -= n;
      this.sendWindow -= n;
      s.bytesOut += n;
      at += n;
      if (flags) this.localEnd(s);
    }
    return at;
  }

  private flushStream(s: H2Stream): void {
    const q = s.queue;
    if (q === null) return;
    while (q.length > 0) {
      const b = q[0]!;
      const last = q.length === 1;
      const at = this.push(s, b, 0, last && s.queueEnd && s.queueTrailers === null);
      if (at < b.length) {
        q[0] = b.subarray(at);
        this.blocked.add(s);
        return;
      }
      q.shift();
    }
    s.queue = null;
    if (s.queueTrailers !== null) {
      const t = s.queueTrailers;
      s.queueTrailers = null;
      this.sendHeaders(s, t, true);
    } else if (s.queueEnd && !s.endLocal) this.push(s, Buffer.alloc(0), 0, true);
    if (this.sock.writableLength <= this.limits.streamWindow) {
      this.blocked.delete(s);
      if (s.wantsWritable) {
        s.wantsWritable = false;
        s.events?.onWritable(s);
      }
    }
  }

  private flushBlocked(): void {
    for (const s of this.blocked) {
      if (s.closed) {
        this.blocked.delete(s);
        continue;
      }
      if (s.queue !== null) this.flushStream(s);
      else if (this.sock.writableLength <= this.limits.streamWindow) {
        this.blocked.delete(s);
        if (s.wantsWritable) {
          s.wantsWritable = false;
          s.events?.onWritable(s);
        }
      }
      if (this.sendWindow <= 0) return;
    }
  }

  private readonly onSockDrain = (): void => {
    this.flushBlocked();
  };

  resetStream(s: H2Stream, code: number): void {
    this.write(rstStreamFrame(s.id, code));
    this.remove(s);
  }

  /** A stream error (RFC 9113 5.4.2): RST_STREAM, and its owner hears of it. */
  protected streamError(s: H2Stream, code: number): void {
    this.resetStream(s, code);
    s.events?.onReset(s, code, false);
  }

  protected maybeRemove(s: H2Stream): void {
    if (s.endLocal && s.endRemote) this.remove(s);
  }

  protected remove(s: H2Stream): void {
    if (s.closed) return;
    s.closed = true;
    s.queue = null;
    this.streams.delete(s.id);
    this.blocked.delete(s);
    this.streamClosed(s);
  }

  /** A stream left the table (the subclasses count, drain and close here). */
  protected streamClosed(_s: H2Stream): void {}

  /** Sends GOAWAY and stops taking streams; the connection closes once the open ones are done. */
  goaway(code: number = ERROR.NO_ERROR, debug = ''): void {
    if (this.goingAway || this.destroyed) return;
    this.goingAway = true;
    this.write(goawayFrame(this.lastStream, code, debug));
    if (this.streams.size === 0) this.closeSoon();
  }

  protected closeSoon(): void {
    if (this.destroyed) return;
    this.sock.end();
    this.sock.destroySoon();
  }

  /** A connection error (RFC 9113 5.4.1): GOAWAY with the code, then the connection is closed. */
  protected connectionError(e: unknown): void {
    if (this.destroyed) return;
    const code = e instanceof H2Error ? e.code : ERROR.INTERNAL_ERROR;
    this.protocolError(code, (e as Error).message);
    if (!this.goingAway) {
      this.goingAway = true;
      this.write(goawayFrame(this.lastStream, code, (e as Error).message.slice(0, 200)));
    }
    this.sock.end();
    this.sock.destroySoon();
    // Whatever was open is gone with it.
    this.failAll(code);
  }

  /** Told of each connection error we raise (counters, logs). */
  protected protocolError(_code: number, _why: string): void {}

  private failAll(code: number): void {
    for (const s of [...this.streams.values()]) {
      this.remove(s);
      s.events?.onReset(s, code, false);
    }
  }

  private readonly onSockClose = (): void => {
    this.destroyed = true;
    this.goingAway = true;
    this.failAll(ERROR.CANCEL);
    this.closed();
  };

  /** The socket closed. */
  protected closed(): void {}

  destroy(): void {
    this.sock.destroy();
  }
}
