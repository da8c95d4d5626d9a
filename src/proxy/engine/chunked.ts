// Follows chunked framing (RFC 9112 section 7.1) byte by byte so that a chunked body can be relayed as the
// bytes it came in, without re-framing, while the proxy still knows exactly where the message ends. Strict:
// a chunk size is hex digits only, extensions carry no control bytes, every CRLF is a CRLF, and trailers
// are field lines. `decode` hands out the chunk data alone, for a peer that cannot take chunked framing.

const S_SIZE0 = 0; // first hex digit of a chunk size
const S_SIZE = 1; // more hex digits, or the end of the size
const S_EXT = 2; // chunk extension, up to CR
const S_SIZE_LF = 3; // LF after the size line
const S_DATA = 4;
const S_DATA_CR = 5;
const S_DATA_LF = 6;
const S_TRAILER0 = 7; // start of a trailer line or the final CRLF
const S_TRAILER = 8; // inside a trailer line
const S_TRAILER_LF = 9; // LF after a trailer line
const S_END_LF = 10; // LF of the final CRLF
const S_DONE = 11;

const CR = 13;
const LF = 10;

const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[0x30 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX[0x41 + c] = 10 + c;
  HEX[0x61 + c] = 10 + c;
}

export class ChunkedScanner {
  private state = S_SIZE0;
  private remaining = 0;
  private trailerBytes = 0;
  /** Set when framing is broken; the message cannot be delimited. */
  error = '';
  /** When set, receives the chunk data of what is scanned next (de-chunking for an HTTP/1.0 peer). */
  sink: { chunkData(buf: Buffer, start: number, end: number): void } | null = null;

  constructor(
    /** Most bytes of trailer fields (and of one chunk-size line with its extensions). */
    private readonly maxTrailerBytes = 60 * 1024,
    /** When set, receives the chunk data (without framing) as it is scanned. */
    private readonly onData?: (buf: Buffer, start: number, end: number) => void,
  ) {}

  reset(): void {
    this.state = S_SIZE0;
    this.remaining = 0;
    this.trailerBytes = 0;
    this.error = '';
  }

  get done(): boolean {
    return this.state === S_DONE;
  }

  /**
   * Scans buf[start, end). Returns the offset where the message ended (<= end) once the final CRLF is
   * seen, `end` when more is needed, or -1 with `error` set.
   */
  scan(buf: Buffer, start: number, end: number): number {
    let i = start;
    let state = this.state;
    while (i < end) {
      if (state === S_DATA) {
        const n = Math.min(this.remaining, end - i);
        if (n > 0) {
          if (this.onData !== undefined) this.onData(buf, i, i + n);
          if (this.sink !== null) this.sink.chunkData(buf, i, i + n);
        }
        i += n;
        this.remaining -= n;
        if (this.remaining === 0) state = S_DATA_CR;
        continue;
      }
      const c = buf[i]!;
      switch (state) {
        case S_SIZE0: {
          const h = HEX[c]!;
          if (h < 0) return this.fail('invalid chunk size');
          this.remaining = h;
          this.trailerBytes = 1;
          state = S_SIZE;
          break;
        }
        case S_SIZE: {
          const h = HEX[c]!;
          if (h >= 0) {
            if (this.remaining > 0x1fffffffffff) return this.fail('chunk size too large');
            this.remaining = this.remaining * 16 + h;
          } else if (c === CR) state = S_SIZE_LF;
          else if (c === 0x3b /* ; */ || c === 0x20 || c === 0x09) state = S_EXT;
          else return this.fail('invalid chunk size');
          break;
        }
        case S_EXT:
          if (c === CR) state = S_SIZE_LF;
          else if ((c < 0x20 && c !== 0x09) || c === 0x7f) return this.fail('invalid byte in chunk extension');
          else if (++this.trailerBytes > this.maxTrailerBytes) return this.fail('chunk extension too long');
          break;
        case S_SIZE_LF:
          if (c !== LF) return this.fail('missing LF after chunk size');
          if (this.remaining === 0) {
            this.trailerBytes = 0;
            state = S_TRAILER0;
          } else state = S_DATA;
          break;
        case S_DATA_CR:
          if (c !== CR) return this.fail('chunk data longer than its size');
          state = S_DATA_LF;
          break;
        case S_DATA_LF:
          if (c !== LF) return this.fail('missing LF after chunk data');
          state = S_SIZE0;
          break;
        case S_TRAILER0:
          if (c === CR) state = S_END_LF;
          else if (c === 0x20 || c === 0x09 || c === 0x3a || c === LF) return this.fail('invalid trailer field');
          else state = S_TRAILER;
          if (++this.trailerBytes > this.maxTrailerBytes) return this.fail('trailer fields too large');
          break;
        case S_TRAILER:
          if (c === CR) state = S_TRAILER_LF;
          else if (c === LF || c === 0) return this.fail('invalid byte in trailer field');
          if (++this.trailerBytes > this.maxTrailerBytes) return this.fail('trailer fields too large');
          break;
        case S_TRAILER_LF:
          if (c !== LF) return this.fail('bare CR in trailer field');
          state = S_TRAILER0;
          break;
        case S_END_LF:
          if (c !== LF) return this.fail('missing LF after the last chunk');
          this.state = S_DONE;
          return i + 1;
        default:
          return i;
      }
      i++;
    }
    this.state = state;
    return end;
  }

  private fail(msg: string): number {
    this.error = msg;
    return -1;
  }
}
