// HTTP/2 frames (RFC 9113 section 4 and 6): a strict incremental reader and the writers, the second piece
// of weft's own HTTP/2 engine after HPACK. The reader takes bytes as they arrive and hands out whole frames,
// checking what RFC 9113 makes a connection error before anything acts on a frame: sizes past
// SETTINGS_MAX_FRAME_SIZE, frames on the wrong kind of stream, bad padding, fixed-size frames of the wrong
// size, SETTINGS values out of range, and header blocks interleaved with other frames (CONTINUATION must
// follow HEADERS/PUSH_PROMISE on the same stream with nothing between). A header block is joined and bounded
// (CONTINUATION floods stop at the limit), then handed out as one HEADERS frame.

export const FRAME = { DATA: 0, HEADERS: 1, PRIORITY: 2, RST_STREAM: 3, SETTINGS: 4, PUSH_PROMISE: 5, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;
export const FLAG = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;
export const ERROR = {
  NO_ERROR: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2, FLOW_CONTROL_ERROR: 3, SETTINGS_TIMEOUT: 4, STREAM_CLOSED: 5, FRAME_SIZE_ERROR: 6,
  REFUSED_STREAM: 7, CANCEL: 8, COMPRESSION_ERROR: 9, CONNECT_ERROR: 10, ENHANCE_YOUR_CALM: 11, INADEQUATE_SECURITY: 12, HTTP_1_1_REQUIRED: 13,
} as const;
export const SETTING = { HEADER_TABLE_SIZE: 1, ENABLE_PUSH: 2, MAX_CONCURRENT_STREAMS: 3, INITIAL_WINDOW_SIZE: 4, MAX_FRAME_SIZE: 5, MAX_HEADER_LIST_SIZE: 6 } as const;

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const DEFAULT_MAX_FRAME_SIZE = 16_384;
/** Most frames one header block may span; a legitimate 64 KiB block needs 4 of 16 KiB. */
const MAX_BLOCK_FRAMES = 32;

/** A connection error (RFC 9113 5.4.1): the connection is closed with GOAWAY carrying `code`. */
export class H2Error extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

export interface Frame {
  type: number;
  flags: number;
  stream: number;
  /** The payload without padding (DATA, HEADERS, PUSH_PROMISE) and, for HEADERS, without priority fields; a header block joined with its CONTINUATIONs. */
  payload: Buffer;
  /** DATA: the whole frame payload, padding included, as flow control counts it (RFC 9113 6.9.1). */
  size?: number;
}

export interface ReaderLimits {
  /** Our SETTINGS_MAX_FRAME_SIZE. Default 16384. */
  maxFrameSize?: number;
  /** Most bytes of one header block, HEADERS and CONTINUATIONs together. Default 64 KiB. */
  maxHeaderBlock?: number;
}

/** Reads frames from a byte stream (after the client preface, which a server checks with `expectPreface`). */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  private preface: boolean;
  private readonly maxFrame: number;
  private readonly maxBlock: number;
  /** A header block in progress: its stream, type, flags and fragments. */
  private block: { stream: number; type: number; flags: number; parts: Buffer[]; size: number; frames: number } | null = null;

  constructor(l: ReaderLimits & { expectPreface?: boolean } = {}) {
    this.preface = l.expectPreface ?? false;
    this.maxFrame = l.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    this.maxBlock = l.maxHeaderBlock ?? 64 * 1024;
  }

  /** Feeds bytes; returns the whole frames they complete. Throws H2Error on a connection error. */
  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Frame[] = [];
    if (this.preface) {
      if (this.buf.length < PREFACE.length) {
        if (!PREFACE.subarray(0, this.buf.length).equals(this.buf)) throw new H2Error(ERROR.PROTOCOL_ERROR, 'not the HTTP/2 client preface');
        return out;
      }
      if (!this.buf.subarray(0, PREFACE.length).equals(PREFACE)) throw new H2Error(ERROR.PROTOCOL_ERROR, 'not the HTTP/2 client preface');
      this.buf = this.buf.subarray(PREFACE.length);
      this.preface = false;
    }
    while (this.buf.length >= 9) {
      const len = this.buf.readUIntBE(0, 3);
      if (len > this.maxFrame) throw new H2Error(ERROR.FRAME_SIZE_ERROR, `frame of ${len} bytes, over the ${this.maxFrame} allowed`);
      if (this.buf.length < 9 + len) break;
      const type = this.buf[3]!;
      const flags = this.buf[4]!;
      const stream = this.buf.readUInt32BE(5) & 0x7fffffff;
      const payload = this.buf.subarray(9, 9 + len);
      this.buf = this.buf.subarray(9 + len);
      const f = this.frame(type, flags, stream, payload);
      if (f !== null) out.push(f);
    }
    return out;
  }

  private frame(type: number, flags: number, stream: number, payload: Buffer): Frame | null {
    const b = this.block;
    if (b !== null && (type !== FRAME.CONTINUATION || stream !== b.stream)) {
      throw new H2Error(ERROR.PROTOCOL_ERROR, `a header block on stream ${b.stream} was interrupted by a frame of type ${type}`);
    }
    switch (type) {
      case FRAME.DATA:
        onStream(stream, 'DATA');
        return { type, flags, stream, payload: unpad(flags, payload, 0), size: payload.length };
      case FRAME.HEADERS: {
        onStream(stream, 'HEADERS');
        const prio = flags & FLAG.PRIORITY ? 5 : 0;
        const body = unpad(flags, payload, prio);
        if (flags & FLAG.PRIORITY && (payload.readUInt32BE(flags & FLAG.PADDED ? 1 : 0) & 0x7fffffff) === stream) {
          throw new H2Error(ERROR.PROTOCOL_ERROR, `stream ${stream} depends on itself`);
        }
        return this.startBlock(type, flags, stream, body);
      }
      case FRAME.PRIORITY:
        onStream(stream, 'PRIORITY');
        if (payload.length !== 5) throw new H2Error(ERROR.FRAME_SIZE_ERROR, 'PRIORITY frame not 5 bytes');
        return { type, flags, stream, payload };
      case FRAME.RST_STREAM:
        onStream(stream, 'RST_STREAM');
        if (payload.length !== 4) throw new H2Error(ERROR.FRAME_SIZE_ERROR, 'RST_STREAM frame not 4 bytes');
        return { type, flags, stream, payload };
      case FRAME.SETTINGS:
        onConnection(stream, 'SETTINGS');
        if (flags & FLAG.ACK) {
          if (payload.length !== 0) throw new H2Error(ERROR.FRAME_SIZE_ERROR, 'SETTINGS ACK with a payload');
        } else {
          if (payload.length % 6 !== 0) throw new H2Error(ERROR.FRAME_SIZE_ERROR, 'SETTINGS payload not a multiple of 6');
          parseSettings(payload);
        }
        return { type, flags, stream, payload };
      case FRAME.PUSH_PROMISE:
        // A server never takes a push; a client that did not enable push must not get one either.
        throw new H2Error(ERROR.PROTOCOL_ERROR, 'PUSH_PROMISE: push is disabled');
      case FRAME.PING:
        onConnection(stream, 'PING');
        if (payload.length !== 8) throw new H2Error(ERROR.FRAME_SIZE_ERROR, 'PING frame not 8 bytes');
        return { type, flags, stream, payload };
      case FRAME.GOAWAY:
        onConnection(stream, 'GOAWAY');
        if (payload.length < 8) throw new H2Error(ERROR.FRAME_SIZE_ERROR, 'GOAWAY frame under 8 bytes');
        return { type, flags, stream, payload };
      case FRAME.WINDOW_UPDATE:
        if (payload.length !== 4) throw new H2Error(ERROR.FRAME_SIZE_ERROR, 'WINDOW_UPDATE frame not 4 bytes');
        return { type, flags, stream, payload };
      case FRAME.CONTINUATION: {
        if (b === null) throw new H2Error(ERROR.PROTOCOL_ERROR, 'CONTINUATION without a header block in progress');
        b.size += payload.length;
        // Empty CONTINUATIONs add no bytes: their number is bounded too (the CONTINUATION flood).
        if (++b.frames > MAX_BLOCK_FRAMES) throw new H2Error(ERROR.ENHANCE_YOUR_CALM, `header block in over ${MAX_BLOCK_FRAMES} frames`);
        if (b.size > this.maxBlock) throw new H2Error(ERROR.ENHANCE_YOUR_CALM, `header block over ${this.maxBlock} bytes`);
        b.parts.push(Buffer.from(payload));
        if ((flags & FLAG.END_HEADERS) === 0) return null;
        this.block = null;
        return { type: b.type, flags: b.flags | FLAG.END_HEADERS, stream: b.stream, payload: Buffer.concat(b.parts) };
      }
      default:
        // Unknown types are ignored (RFC 9113 5.5), outside a header block.
        return null;
    }
  }

  private startBlock(type: number, flags: number, stream: number, body: Buffer): Frame | null {
    if (body.length > this.maxBlock) throw new H2Error(ERROR.ENHANCE_YOUR_CALM, `header block over ${this.maxBlock} bytes`);
    if (flags & FLAG.END_HEADERS) return { type, flags, stream, payload: body };
    this.block = { stream, type, flags, parts: [Buffer.from(body)], size: body.length, frames: 1 };
    return null;
  }
}

function onStream(stream: number, what: string): void {
  if (stream === 0) throw new H2Error(ERROR.PROTOCOL_ERROR, `${what} on stream 0`);
}

function onConnection(stream: number, what: string): void {
  if (stream !== 0) throw new H2Error(ERROR.PROTOCOL_ERROR, `${what} on stream ${stream}`);
}

/** The payload without its Pad Length byte, `skip` fixed bytes after it, and the padding. */
function unpad(flags: number, payload: Buffer, skip: number): Buffer {
  if ((flags & FLAG.PADDED) === 0) {
    if (payload.length < skip) throw new H2Error(ERROR.FRAME_SIZE_ERROR, 'frame shorter than its fixed fields');
    return payload.subarray(skip);
  }
  if (payload.length < 1 + skip) throw new H2Error(ERROR.FRAME_SIZE_ERROR, 'padded frame shorter than its fixed fields');
  const pad = payload[0]!;
  if (pad > payload.length - 1 - skip) throw new H2Error(ERROR.PROTOCOL_ERROR, 'padding longer than the payload');
  return payload.subarray(1 + skip, payload.length - pad);
}

/** SETTINGS parameters, checked (RFC 9113 6.5.2); unknown identifiers are ignored. */
export function parseSettings(payload: Buffer): Map<number, number> {
  const out = new Map<number, number>();
  for (let i = 0; i + 6 <= payload.length; i += 6) {
    const id = payload.readUInt16BE(i);
    const v = payload.readUInt32BE(i + 2);
    if (id === SETTING.ENABLE_PUSH && v > 1) throw new H2Error(ERROR.PROTOCOL_ERROR, `SETTINGS_ENABLE_PUSH ${v}`);
    if (id === SETTING.INITIAL_WINDOW_SIZE && v > 0x7fffffff) throw new H2Error(ERROR.FLOW_CONTROL_ERROR, `SETTINGS_INITIAL_WINDOW_SIZE ${v}`);
    if (id === SETTING.MAX_FRAME_SIZE && (v < 16_384 || v > 16_777_215)) throw new H2Error(ERROR.PROTOCOL_ERROR, `SETTINGS_MAX_FRAME_SIZE ${v}`);
    out.set(id, v);
  }
  return out;
}

// ---- writers ----

export function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const out = Buffer.allocUnsafe(9 + payload.length);
  out.writeUIntBE(payload.length, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(stream & 0x7fffffff, 5);
  payload.copy(out, 9);
  return out;
}

export function settingsFrame(values: ReadonlyMap<number, number> | readonly [number, number][]): Buffer {
  const entries = [...values];
  const p = Buffer.allocUnsafe(6 * entries.length);
  entries.forEach(([id, v], i) => {
    p.writeUInt16BE(id, 6 * i);
    p.writeUInt32BE(v, 6 * i + 2);
  });
  return frame(FRAME.SETTINGS, 0, 0, p);
}

export const settingsAck = (): Buffer => frame(FRAME.SETTINGS, FLAG.ACK, 0);

export function goawayFrame(lastStream: number, code: number, debug = ''): Buffer {
  const p = Buffer.alloc(8 + Buffer.byteLength(debug));
  p.writeUInt32BE(lastStream & 0x7fffffff, 0);
  p.writeUInt32BE(code, 4);
  p.write(debug, 8);
  return frame(FRAME.GOAWAY, 0, 0, p);
}

export function rstStreamFrame(stream: number, code: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(code, 0);
  return frame(FRAME.RST_STREAM, 0, stream, p);
}

export function windowUpdateFrame(stream: number, increment: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(increment & 0x7fffffff, 0);
  return frame(FRAME.WINDOW_UPDATE, 0, stream, p);
}

/** A header block as HEADERS plus as many CONTINUATIONs as `maxFrameSize` needs. */
export function headersFrames(stream: number, block: Buffer, endStream: boolean, maxFrameSize = DEFAULT_MAX_FRAME_SIZE): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  do {
    const part = block.subarray(at, at + maxFrameSize);
    at += part.length;
    const last = at >= block.length;
    const first = out.length === 0;
    out.push(frame(first ? FRAME.HEADERS : FRAME.CONTINUATION, (last ? FLAG.END_HEADERS : 0) | (first && endStream ? FLAG.END_STREAM : 0), stream, part));
  } while (at < block.length);
  return out;
}
