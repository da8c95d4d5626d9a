// Follows chunked framing (RFC 9112 section 7.1) byte by byte so that a chunked body can be relayed as the
// bytes it came in, without re-framing, while the proxy still knows exactly where the message ends. Strict,
// because the bytes go on unchanged and the next hop must see the same message boundaries weft saw:
// a chunk size is hex digits only, with nothing (not even whitespace) between it and ';' or CRLF; an
// extension is ';' token [ '=' ( token / quoted-string ) ] with no whitespace (RFC 9112 allows BWS there,
// but senders must not generate it, and llhttp's strict mode, node's parser, refuses it); every CRLF is a
// CRLF; and trailers are field lines as in a head (token name, no whitespace before ':', no control bytes,
// no obs-fold). `onData` hands out the chunk data alone, for a peer that cannot take chunked framing.

const S_SIZE0 = 0; // first hex digit of a chunk size
const S_SIZE = 1; // more hex digits, or ';' or CR
const S_EXT_NAME0 = 2; // first byte of an extension name, after ';'
const S_EXT_NAME = 3; // more of the name, or '=' ';' CR
const S_EXT_VAL0 = 4; // first byte of an extension value, after '='
const S_EXT_VAL = 5; // more of a token value, or ';' CR
const S_EXT_QUOTED = 6; // inside a quoted-string value
const S_EXT_QPAIR = 7; // the byte after a backslash in a quoted-string
const S_EXT_QEND = 8; // after the closing quote: ';' or CR
const S_SIZE_LF = 9; // LF after the size line
const S_DATA = 10;
const S_DATA_CR = 11;
const S_DATA_LF = 12;
const S_TRAILER0 = 13; // start of a trailer line or the final CRLF
const S_TR_NAME = 14; // inside a trailer field name
const S_TR_VALUE = 15; // after the colon, up to CR
const S_TRAILER_LF = 16; // LF after a trailer line
const S_END_LF = 17; // LF of the final CRLF
const S_DONE = 18;
const S_ERROR = 19;

const CR = 13;
const LF = 10;
const HTAB = 9;
const SP = 32;
const SEMI = 0x3b;
const EQ = 0x3d;
const DQUOTE = 0x22;
const BSLASH = 0x5c;
const COLON = 0x3a;

const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[0x30 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX[0x41 + c] = 10 + c;
  HEX[0x61 + c] = 10 + c;
}

/** Byte classes: 1 = tchar (RFC 9110 token), 2 = field-vchar / obs-text / SP / HTAB, 4 = qdtext. */
const CLASS = new Uint8Array(256);
{
  for (let c = 0x30; c <= 0x39; c++) CLASS[c]! |= 1;
  for (let c = 0x41; c <= 0x5a; c++) CLASS[c]! |= 1;
  for (let c = 0x61; c <= 0x7a; c++) CLASS[c]! |= 1;
  for (const ch of "!#$%&'*+-.^_`|~") CLASS[ch.charCodeAt(0)]! |= 1;
  for (let c = 0x21; c <= 0x7e; c++) CLASS[c]! |= 2 | 4;
  for (let c = 0x80; c <= 0xff; c++) CLASS[c]! |= 2 | 4;
  CLASS[SP]! |= 2 | 4;
  CLASS[HTAB]! |= 2 | 4;
  CLASS[DQUOTE]! &= ~4;
  CLASS[BSLASH]! &= ~4;
}
const TCHAR = 1;
const FIELD = 2;
const QDTEXT = 4;

export class ChunkedScanner {
  private state = S_SIZE0;
  private remaining = 0;
  /** Bytes of the current size line, or of the trailer section. */
  private lineBytes = 0;
  /** Set when framing is broken; the message cannot be delimited. */
  error = '';
  /** When set, receives the chunk data of what is scanned next (de-chunking for an HTTP/1.0 peer). */
  sink: { chunkData(buf: Buffer, start: number, end: number): void } | null = null;

  constructor(
    /** Most bytes of the trailer section (its final CRLF included), and of one chunk-size line with its extensions. */
    private readonly maxTrailerBytes = 60 * 1024,
    /** When set, receives the chunk data (without framing) as it is scanned. */
    private readonly onData?: (buf: Buffer, start: number, end: number) => void,
  ) {}

  reset(): void {
    this.state = S_SIZE0;
    this.remaining = 0;
    this.lineBytes = 0;
    this.error = '';
  }

  get done(): boolean {
    return this.state === S_DONE;
  }

  /**
   * Scans buf[start, end). Returns the offset where the message ended (<= end) once the final CRLF is
   * seen, `end` when more is needed (tell the two apart with `done`), or -1 with `error` set. After an
   * error every later scan returns -1 until `reset`.
   */
  scan(buf: Buffer, start: number, end: number): number {
    if (this.state === S_ERROR) return -1;
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
      // The size line (digits and extensions) and the trailer section are bounded; chunk data is not.
      if (state !== S_DONE && ++this.lineBytes > this.maxTrailerBytes) {
        return this.fail(state >= S_TRAILER0 ? 'trailer fields too large' : 'chunk size line too long');
      }
      switch (state) {
        case S_SIZE0: {
          const h = HEX[c]!;
          if (h < 0) return this.fail('invalid chunk size');
          this.remaining = h;
          state = S_SIZE;
          break;
        }
        case S_SIZE: {
          const h = HEX[c]!;
          if (h >= 0) {
            if (this.remaining > 0x1fffffffffff) return this.fail('chunk size too large');
            this.remaining = this.remaining * 16 + h;
          } else if (c === CR) state = S_SIZE_LF;
          else if (c === SEMI) state = S_EXT_NAME0;
          else return this.fail('invalid chunk size');
          break;
        }
        case S_EXT_NAME0:
          if (!(CLASS[c]! & TCHAR)) return this.fail('invalid chunk extension name');
          state = S_EXT_NAME;
          break;
        case S_EXT_NAME:
          if (c === EQ) state = S_EXT_VAL0;
          else if (c === SEMI) state = S_EXT_NAME0;
          else if (c === CR) state = S_SIZE_LF;
          else if (!(CLASS[c]! & TCHAR)) return this.fail('invalid chunk extension name');
          break;
        case S_EXT_VAL0:
          if (c === DQUOTE) state = S_EXT_QUOTED;
          else if (CLASS[c]! & TCHAR) state = S_EXT_VAL;
          else return this.fail('invalid chunk extension value');
          break;
        case S_EXT_VAL:
          if (c === SEMI) state = S_EXT_NAME0;
          else if (c === CR) state = S_SIZE_LF;
          else if (!(CLASS[c]! & TCHAR)) return this.fail('invalid chunk extension value');
          break;
        case S_EXT_QUOTED:
          if (c === DQUOTE) state = S_EXT_QEND;
          else if (c === BSLASH) state = S_EXT_QPAIR;
          else if (!(CLASS[c]! & QDTEXT)) return this.fail('invalid byte in quoted chunk extension value');
          break;
        case S_EXT_QPAIR:
          if (!(CLASS[c]! & FIELD)) return this.fail('invalid quoted-pair in chunk extension value');
          state = S_EXT_QUOTED;
          break;
        case S_EXT_QEND:
          if (c === SEMI) state = S_EXT_NAME0;
          else if (c === CR) state = S_SIZE_LF;
          else return this.fail('invalid chunk extension after a quoted value');
          break;
        case S_SIZE_LF:
          if (c !== LF) return this.fail('missing LF after chunk size');
          this.lineBytes = 0;
          state = this.remaining === 0 ? S_TRAILER0 : S_DATA;
          break;
        case S_DATA_CR:
          if (c !== CR) return this.fail('chunk data longer than its size');
          state = S_DATA_LF;
          break;
        case S_DATA_LF:
          if (c !== LF) return this.fail('missing LF after chunk data');
          this.lineBytes = 0;
          state = S_SIZE0;
          break;
        case S_TRAILER0:
          // A field line as in a head: a token name. Whitespace here would be obs-fold.
          if (c === CR) state = S_END_LF;
          else if (CLASS[c]! & TCHAR) state = S_TR_NAME;
          else return this.fail('invalid trailer field');
          break;
        case S_TR_NAME:
          if (c === COLON) state = S_TR_VALUE;
          else if (!(CLASS[c]! & TCHAR)) return this.fail(c === SP || c === HTAB ? 'whitespace before colon in trailer' : 'invalid trailer field name');
          break;
        case S_TR_VALUE:
          if (c === CR) state = S_TRAILER_LF;
          else if (!(CLASS[c]! & FIELD)) return this.fail('invalid byte in trailer field');
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
    this.state = S_ERROR;
    return -1;
  }
}
