// Encodes access-log JSON straight into a reused byte buffer. Building each line as a string first (some
// forty concatenations, then a flat copy, then UTF-8 encoding) allocated ~2.7 KB per request, which at
// 1000 req/s made the young-generation GC run noticeably more often than the request path alone does.
// Here a line allocates nothing unless a value needs escaping or is an unusual number.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export class LineWriter {
  buf: Buffer;
  /** Bytes written so far: the line is buf[0, pos). */
  pos = 0;

  constructor(size = 2048) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Makes room for `n` more bytes, keeping what is written. */
  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  /** A string the caller knows is printable ASCII without quotes or backslashes (keys, punctuation, digits). */
  ascii(s: string): void {
    const n = s.length;
    this.room(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  bytes(src: Uint8Array): void {
    this.room(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /**
   * A JSON string. Printable ASCII without `"` or `\` is its own JSON body and is copied as is, checked
   * byte by byte while copying; anything else (controls, quotes, backslashes, non-ASCII) is rewritten by
   * JSON.stringify, so no value can end the line or forge a field.
   */
  str(v: string | undefined): void {
    if (v === undefined) {
      this.ascii('null');
      return;
    }
    const n = v.length;
    this.room(n + 2);
    const b = this.buf;
    const start = this.pos;
    let p = start;
    b[p++] = QUOTE;
    for (let i = 0; i < n; i++) {
      const c = v.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === QUOTE || c === BACKSLASH) {
        this.pos = start;
        this.escaped(v);
        return;
      }
      b[p++] = c;
    }
    b[p++] = QUOTE;
    this.pos = p;
  }

  private escaped(v: string): void {
    const j = JSON.stringify(v);
    this.room(j.length * 3);
    this.pos += this.buf.write(j, this.pos, 'utf8');
  }

  /** A non-negative integer below 2^31, as digits. */
  uint(n: number): void {
    let digits = 1;
    for (let t = n; t >= 10; t = (t / 10) | 0) digits++;
    this.room(digits);
    const b = this.buf;
    let p = this.pos + digits;
    this.pos = p;
    do {
      const q = (n / 10) | 0;
      b[--p] = 0x30 + (n - q * 10);
      n = q;
    } while (n > 0);
  }

  /** A number JSON can hold; NaN and Infinity (which would make the line invalid) become null. */
  num(v: number | undefined): void {
    if (v === undefined || !Number.isFinite(v)) this.ascii('null');
    else if (v >= 0 && v <= 0x7fffffff && Number.isInteger(v)) this.uint(v);
    else this.ascii(String(v));
  }

  /**
   * Milliseconds to 3 decimals, from whole microseconds with integer formatting (a JSON reader sees the
   * same number: "1.500" and "1.5" are equal); the shortest decimal of a double costs more to find.
   */
  ms3(v: number | undefined): void {
    if (v === undefined || !Number.isFinite(v)) {
      this.ascii('null');
      return;
    }
    const us = Math.round(v * 1000);
    if (us < 0 || us > 0x7fffffff) {
      this.ascii(String(us / 1000));
      return;
    }
    const whole = (us / 1000) | 0;
    const frac = us - whole * 1000;
    this.uint(whole);
    if (frac === 0) return;
    this.ascii(frac < 10 ? '.00' : frac < 100 ? '.0' : '.');
    this.uint(frac);
  }
}

// ISO-8601 start times: the part up to the second changes once a second, so it is formatted then and
// the milliseconds are appended per line (a Date and toISOString per request cost more than the rest).
let isoSecond = NaN;
let isoPrefix = Buffer.alloc(0);

/** A quoted ISO-8601 UTC time, exactly as Date.toISOString() gives it, or null. */
export function writeIsoTime(w: LineWriter, epochMs: number): void {
  if (!Number.isFinite(epochMs)) {
    w.ascii('null');
    return;
  }
  const t = Math.floor(epochMs);
  const sec = Math.floor(t / 1000);
  if (sec !== isoSecond) {
    const d = new Date(sec * 1000);
    if (Number.isNaN(d.getTime())) {
      w.ascii('null');
      return;
    }
    isoSecond = sec;
    isoPrefix = Buffer.from('"' + d.toISOString().slice(0, -4)); // '"YYYY-MM-DDTHH:MM:SS.'
  }
  w.bytes(isoPrefix);
  const ms = t - sec * 1000;
  w.ascii(ms < 10 ? '00' : ms < 100 ? '0' : '');
  w.uint(ms);
  w.ascii('Z"');
}
