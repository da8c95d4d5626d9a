// A strict HTTP/1.1 message-head parser (RFC 9112) that writes offsets, not strings. One parser serves a
// whole process: parsing is synchronous, and the caller reads the offsets before it parses anything else.
//
// What it refuses, because a proxy that is lenient here can be used to smuggle requests past the next hop:
// bare CR or LF, NUL and other control bytes, obs-fold, whitespace between a field name and its colon,
// Content-Length that is not a plain decimal, repeated Content-Length (even when equal), Content-Length
// together with Transfer-Encoding, a Transfer-Encoding whose last coding is not chunked (requests), chunked
// applied twice, and versions other than HTTP/1.0 and HTTP/1.1. A response whose last coding is not chunked
// is valid (RFC 9112 section 6.3: read until close): it has hasTransferEncoding set and chunked clear.
// Empty lines before a start line are skipped (RFC 9112 section 2.2; servers also send a stray CRLF
// after a 1xx or a body), and count towards the head's byte limit.
//
// The test file beside this one (head.test.ts) holds the cases taken from llhttp's test corpus and says
// where weft is deliberately stricter than llhttp.

/** The result of one parse call. */
export const NEED_MORE = 0;
export const ERROR = -1;

/** Byte classes: 1 = tchar (RFC 9110 token), 2 = field-vchar or obs-text or SP/HTAB, 4 = target char. */
const CLASS = new Uint8Array(256);
{
  const tchar = "!#$%&'*+-.^_`|~";
  for (let c = 0x30; c <= 0x39; c++) CLASS[c]! |= 1;
  for (let c = 0x41; c <= 0x5a; c++) CLASS[c]! |= 1;
  for (let c = 0x61; c <= 0x7a; c++) CLASS[c]! |= 1;
  for (const ch of tchar) CLASS[ch.charCodeAt(0)]! |= 1;
  for (let c = 0x21; c <= 0x7e; c++) CLASS[c]! |= 2 | 4;
  for (let c = 0x80; c <= 0xff; c++) CLASS[c]! |= 2;
  CLASS[0x20]! |= 2;
  CLASS[0x09]! |= 2;
}
const TCHAR = 1;
const FIELD = 2;
const TARGET = 4;

const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;
const CRLFCRLF = Buffer.from('\r\n\r\n');

/** buf[s, e) as a latin1 string: every byte kept as one char. Buffer's own slice method, without toString's argument checks. */
export const latin1 = (buf: Buffer, s: number, e: number): string => (buf as Buffer & { latin1Slice(s: number, e: number): string }).latin1Slice(s, e);

export interface HeadLimits {
  /** Most bytes in a head, request line included (431 beyond it). */
  maxHeadBytes: number;
  /** Most header fields (431 beyond it). */
  maxHeaders: number;
  /** Longest request line (414 beyond it). */
  maxRequestLine: number;
}

export const DEFAULT_LIMITS: HeadLimits = { maxHeadBytes: 60 * 1024, maxHeaders: 100, maxRequestLine: 8 * 1024 };

// Names the parser acts on, recognised by length and first byte before a full case-insensitive compare.
const N_HOST = 1;
const N_CONTENT_LENGTH = 2;
const N_TRANSFER_ENCODING = 3;
const N_CONNECTION = 4;
const N_UPGRADE = 5;
const N_EXPECT = 6;
const N_KEEP_ALIVE = 7;
const N_OTHER = 0;

function eqLower(buf: Buffer, s: number, lit: string): boolean {
  for (let i = 0; i < lit.length; i++) if ((buf[s + i]! | 0x20) !== lit.charCodeAt(i)) return false;
  return true;
}

function nameKind(buf: Buffer, s: number, e: number): number {
  switch (e - s) {
    case 4: return eqLower(buf, s, 'host') ? N_HOST : N_OTHER;
    case 6: return eqLower(buf, s, 'expect') ? N_EXPECT : N_OTHER;
    case 7: return eqLower(buf, s, 'upgrade') ? N_UPGRADE : N_OTHER;
    case 10: return eqLower(buf, s, 'connection') ? N_CONNECTION : eqLower(buf, s, 'keep-alive') ? N_KEEP_ALIVE : N_OTHER;
    case 14: return eqLower(buf, s, 'content-length') ? N_CONTENT_LENGTH : N_OTHER;
    case 17: return eqLower(buf, s, 'transfer-encoding') ? N_TRANSFER_ENCODING : N_OTHER;
    default: return N_OTHER;
  }
}

export class HeadParser {
  readonly limits: HeadLimits;
  /** Per header: name start, name end, value start, value end (value without surrounding whitespace). */
  readonly hdr: Int32Array;
  count = 0;
  /** Offset just past the blank line that ends the head. */
  headEnd = 0;
  /** Offset where the start line begins (after any empty lines before a request line). */
  lineStart = 0;
  methodEnd = 0;
  targetStart = 0;
  targetEnd = 0;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor = 1;
  status = 0;
  /** -1 when absent. */
  contentLength = -1;
  chunked = false;
  /** chunked was seen in a Transfer-Encoding (a second one is an error even when it is last). */
  private teChunkedSeen = false;
  /** Transfer-Encoding was present (a response without chunked last is read until close). */
  hasTransferEncoding = false;
  connClose = false;
  connKeepAlive = false;
  connUpgrade = false;
  /** The Connection header names other fields (which are then hop-by-hop too). */
  connNamed = false;
  /** Index of the Upgrade header, -1 when absent. */
  upgrade = -1;
  /** Index of the (single) Host header, -1 when absent; hostCount counts them. */
  host = -1;
  hostCount = 0;
  expectContinue = false;
  /** Index of the Keep-Alive header (responses: the server's idle timeout hint), -1 when absent. */
  keepAlive = -1;
  /** Why the last parse failed, and the status a server should answer with. */
  error = '';
  errorStatus = 400;

  constructor(limits: Partial<HeadLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.hdr = new Int32Array(this.limits.maxHeaders * 4);
  }

  private reset(): void {
    this.count = 0;
    this.contentLength = -1;
    this.chunked = false;
    this.teChunkedSeen = false;
    this.hasTransferEncoding = false;
    this.connClose = false;
    this.connKeepAlive = false;
    this.connUpgrade = false;
    this.connNamed = false;
    this.upgrade = -1;
    this.host = -1;
    this.hostCount = 0;
    this.expectContinue = false;
    this.keepAlive = -1;
    this.status = 0;
    this.error = '';
    this.errorStatus = 400;
  }

  private fail(msg: string, status = 400): number {
    this.error = msg;
    this.errorStatus = status;
    return ERROR;
  }

  /**
   * Finds the end of a head in buf[start, end). Returns the offset past the blank line, NEED_MORE, or ERROR
   * (a bare CR, bare LF or NUL seen early, or the head exceeds the byte limit).
   */
  /** After NEED_MORE: how far the bytes were checked, so the next call on the same head starts there. */
  scanned = 0;

  private findEnd(buf: Buffer, start: number, end: number, request: boolean, from: number): number {
    let s = start;
    // RFC 9112 section 2.2: a server should ignore at least one empty line before the request line. Servers
    // send them before a status line too (a CRLF after a 1xx or after a body), and llhttp skips them there.
    while (s + 1 < end && buf[s] === CR && buf[s + 1] === LF) s += 2;
    if (s < end && buf[s] === LF) return this.fail(request ? 'bare LF in request head' : 'bare LF in response head');
    this.lineStart = s;
    const limit = this.limits.maxHeadBytes;
    // A head that arrives a byte at a time is searched and checked once in all, not once per byte.
    const resume = from > s ? from : s;
    const at = buf.indexOf(CRLFCRLF, resume - 3 > s ? resume - 3 : s);
    if (at === -1 || at >= end - 3) {
      // Not complete yet: refuse early what can never become valid, so a client cannot hold a buffer open.
      // The limit counts from `start`, so that a stream of empty lines cannot grow the caller's buffer forever.
      // A CR as the last byte may be the start of the line's CRLF: it does not count as part of the line.
      const lf = buf.indexOf(LF, s);
      const lineOpen = lf === -1 || lf >= end;
      const lineLen = end - s - (buf[end - 1] === CR ? 1 : 0);
      if (request && lineOpen && lineLen > this.limits.maxRequestLine) return this.fail('request line too long', 414);
      if (end - start > limit) return this.fail(`head larger than ${limit} bytes`, 431);
      for (let i = resume - 1 > s ? resume - 1 : s; i < end; i++) {
        const c = buf[i]!;
        if (c === 0) return this.fail('NUL in head');
        if (c === LF && (i === s || buf[i - 1] !== CR)) return this.fail('bare LF in head');
        if (c === CR && i + 1 < end && buf[i + 1] !== LF) return this.fail('bare CR in head');
      }
      this.scanned = end;
      return NEED_MORE;
    }
    if (at + 4 - start > limit) return this.fail(`head larger than ${limit} bytes`, 431);
    return at + 4;
  }

  /**
   * Parses a request head at buf[start, end). Returns the head's end offset, NEED_MORE or ERROR. `from`:
   * the `scanned` of a previous NEED_MORE on the same head (the same bytes from `start`), else `start`.
   */
  parseRequest(buf: Buffer, start: number, end: number, from = start): number {
    this.reset();
    const headEnd = this.findEnd(buf, start, end, true, from);
    if (headEnd <= 0) return headEnd;
    this.headEnd = headEnd;
    let i = this.lineStart;
    // method
    const m0 = i;
    while (CLASS[buf[i]!]! & TCHAR) i++;
    if (i === m0) return this.fail('invalid method');
    if (buf[i] !== SP) return this.fail('invalid request line');
    this.methodEnd = i;
    i++;
    // request-target: visible ASCII only
    const t0 = i;
    while (CLASS[buf[i]!]! & TARGET) i++;
    if (i === t0) return this.fail('empty request target');
    if (buf[i] !== SP) return this.fail(buf[i]! >= 0x80 ? 'non-ASCII request target' : 'invalid request target');
    this.targetStart = t0;
    this.targetEnd = i;
    i++;
    // HTTP-version CRLF
    if (!(buf[i] === 0x48 && buf[i + 1] === 0x54 && buf[i + 2] === 0x54 && buf[i + 3] === 0x50 && buf[i + 4] === 0x2f)) return this.fail('invalid HTTP version');
    const major = buf[i + 5]! - 0x30;
    const minor = buf[i + 7]! - 0x30;
    if (!(major >= 0 && major <= 9) || buf[i + 6] !== 0x2e || !(minor >= 0 && minor <= 9) || buf[i + 8] !== CR || buf[i + 9] !== LF) return this.fail('invalid HTTP version');
    if (major !== 1 || minor > 1) return this.fail(`HTTP/${major}.${minor} is not supported`, 505);
    this.minor = minor;
    i += 10;
    if (i - 2 - this.lineStart > this.limits.maxRequestLine) return this.fail('request line too long', 414);
    // PRI is reserved for the HTTP/2 connection preface (RFC 9113 section 3.4, registered so that it never
    // names a real method): "PRI * HTTP/2.0" got its 505 above; an HTTP/1.x PRI is no request to forward.
    if (this.methodEnd - this.lineStart === 3 && buf[this.lineStart] === 0x50 && buf[this.lineStart + 1] === 0x52 && buf[this.lineStart + 2] === 0x49) {
      return this.fail('PRI is the HTTP/2 connection preface, not a method');
    }
    if (this.fields(buf, i, headEnd, true) === ERROR) return ERROR;
    if (this.chunked || this.hasTransferEncoding) {
      if (this.contentLength !== -1) return this.fail('both Content-Length and Transfer-Encoding');
      if (!this.chunked) return this.fail('Transfer-Encoding without chunked as the final coding');
      if (minor === 0) return this.fail('Transfer-Encoding in an HTTP/1.0 request');
    }
    return headEnd;
  }

  /** Parses a response head at buf[start, end). Returns the head's end offset, NEED_MORE or ERROR. */
  parseResponse(buf: Buffer, start: number, end: number): number {
    this.reset();
    const headEnd = this.findEnd(buf, start, end, false, start);
    if (headEnd <= 0) return headEnd;
    this.headEnd = headEnd;
    let i = this.lineStart;
    if (!(buf[i] === 0x48 && buf[i + 1] === 0x54 && buf[i + 2] === 0x54 && buf[i + 3] === 0x50 && buf[i + 4] === 0x2f && buf[i + 5] === 0x31 && buf[i + 6] === 0x2e)) {
      return this.fail('invalid status line');
    }
    const minor = buf[i + 7]! - 0x30;
    if (minor !== 0 && minor !== 1) return this.fail('unsupported HTTP version in status line');
    this.minor = minor;
    if (buf[i + 8] !== SP) return this.fail('invalid status line');
    const d0 = buf[i + 9]! - 0x30;
    const d1 = buf[i + 10]! - 0x30;
    const d2 = buf[i + 11]! - 0x30;
    if (!(d0 >= 1 && d0 <= 5 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9)) return this.fail('invalid status code');
    this.status = d0 * 100 + d1 * 10 + d2;
    i += 12;
    if (buf[i] === SP) {
      i++;
      while (i < headEnd && buf[i] !== CR) {
        if (!(CLASS[buf[i]!]! & FIELD)) return this.fail('invalid byte in reason phrase');
        i++;
      }
    }
    if (buf[i] !== CR || buf[i + 1] !== LF) return this.fail('invalid status line');
    i += 2;
    if (this.fields(buf, i, headEnd, false) === ERROR) return ERROR;
    if (this.hasTransferEncoding && this.contentLength !== -1) return this.fail('both Content-Length and Transfer-Encoding');
    return headEnd;
  }

  /** Header fields from `i` up to the blank line that ends at headEnd. */
  private fields(buf: Buffer, i: number, headEnd: number, request: boolean): number {
    const last = headEnd - 2;
    const hdr = this.hdr;
    const max = this.limits.maxHeaders;
    while (i < last) {
      const c0 = buf[i]!;
      if (c0 === SP || c0 === HTAB) return this.fail('obs-fold or whitespace before a field name');
      const n0 = i;
      while (CLASS[buf[i]!]! & TCHAR) i++;
      if (i === n0) return this.fail('invalid header field name');
      if (buf[i] !== 0x3a) return this.fail(buf[i] === SP || buf[i] === HTAB ? 'whitespace before colon' : 'invalid header field name');
      const n1 = i;
      i++;
      while (buf[i] === SP || buf[i] === HTAB) i++;
      const v0 = i;
      let v1 = i;
      for (;;) {
        const c = buf[i]!;
        if (c === CR) break;
        if (!(CLASS[c]! & FIELD)) return this.fail(c === LF ? 'bare LF in header' : c === 0 ? 'NUL in header value' : 'control character in header value');
        i++;
        if (c !== SP && c !== HTAB) v1 = i;
      }
      if (buf[i + 1] !== LF) return this.fail('bare CR in header');
      i += 2;
      if (buf[i] === SP || buf[i] === HTAB) return this.fail('obs-fold (line folding) is not allowed');
      if (this.count === max) return this.fail(`more than ${max} header fields`, 431);
      const k = this.count++ * 4;
      hdr[k] = n0;
      hdr[k + 1] = n1;
      hdr[k + 2] = v0;
      hdr[k + 3] = v1;
      const kind = nameKind(buf, n0, n1);
      if (kind !== N_OTHER && this.framing(kind, buf, v0, v1, request) === ERROR) return ERROR;
    }
    return 0;
  }

  /** Bounds of the list element found by element(), without surrounding whitespace. */
  private e0 = 0;
  private e1 = 0;

  /**
   * The next non-empty element of a comma list in buf[i, v1) (RFC 9110 section 5.6.1: empty elements and
   * whitespace around them allowed): sets e0/e1 and returns where to look for the one after, or -1.
   */
  private element(buf: Buffer, i: number, v1: number): number {
    while (i < v1 && (buf[i] === 0x2c || buf[i] === SP || buf[i] === HTAB)) i++;
    if (i >= v1) return -1;
    this.e0 = i;
    while (i < v1 && buf[i] !== 0x2c) i++;
    let e1 = i;
    while (buf[e1 - 1] === SP || buf[e1 - 1] === HTAB) e1--;
    this.e1 = e1;
    return i;
  }

  private framing(kind: number, buf: Buffer, v0: number, v1: number, request: boolean): number {
    switch (kind) {
      case N_HOST:
        this.hostCount++;
        this.host = this.count - 1;
        return 0;
      case N_CONTENT_LENGTH: {
        if (this.contentLength !== -1) return this.fail('more than one Content-Length');
        if (v1 === v0 || v1 - v0 > 15) return this.fail('invalid Content-Length');
        let n = 0;
        for (let i = v0; i < v1; i++) {
          const d = buf[i]! - 0x30;
          if (d < 0 || d > 9) return this.fail('invalid Content-Length');
          n = n * 10 + d;
        }
        this.contentLength = n;
        return 0;
      }
      case N_TRANSFER_ENCODING: {
        this.hasTransferEncoding = true;
        // A list (RFC 9110 section 5.6.1: empty elements allowed). chunked must be the last coding and appear
        // only once (RFC 9112 section 6.1). Elements are compared in place: no strings while parsing.
        for (let i = this.element(buf, v0, v1); i !== -1; i = this.element(buf, i, v1)) {
          const e0 = this.e0;
          const e1 = this.e1;
          const isChunked = e1 - e0 === 7 && eqLower(buf, e0, 'chunked');
          if (isChunked && this.teChunkedSeen) return this.fail('chunked applied more than once');
          if (this.chunked) {
            // A request must end in chunked (else its length is unknowable: 400). A response that applies
            // another coding after chunked is read until close (RFC 9112 section 6.3), as llhttp does.
            if (request) return this.fail('chunked is not the final transfer coding');
            this.chunked = false;
          }
          if (isChunked) {
            this.chunked = true;
            this.teChunkedSeen = true;
          } else if (request) {
            for (let j = e0; j < e1; j++) if (!(CLASS[buf[j]!]! & TCHAR)) return this.fail('invalid transfer coding');
          }
        }
        return 0;
      }
      case N_CONNECTION: {
        // A list of tokens, compared in place; unknown tokens (hop-by-hop header names) are the caller's.
        for (let i = this.element(buf, v0, v1); i !== -1; i = this.element(buf, i, v1)) {
          const e0 = this.e0;
          const e1 = this.e1;
          const n = e1 - e0;
          if (n === 5 && eqLower(buf, e0, 'close')) this.connClose = true;
          else if (n === 10 && eqLower(buf, e0, 'keep-alive')) this.connKeepAlive = true;
          else if (n === 7 && eqLower(buf, e0, 'upgrade')) this.connUpgrade = true;
          else if (n > 0) this.connNamed = true;
        }
        return 0;
      }
      case N_UPGRADE:
        this.upgrade = this.count - 1;
        return 0;
      case N_EXPECT:
        // RFC 9110 section 10.1.1: a server MUST ignore a 100-continue expectation in an HTTP/1.0 request
        // (a 1.0 client may not understand a 100 response). `minor` is set before the fields are parsed.
        if (request && this.minor === 1 && v1 - v0 === 12 && eqLower(buf, v0, '100-continue')) this.expectContinue = true;
        return 0;
      case N_KEEP_ALIVE:
        this.keepAlive = this.count - 1;
        return 0;
    }
    return 0;
  }

  /** Whether the connection may carry another message after this one. */
  get keepAliveOk(): boolean {
    return this.minor === 1 ? !this.connClose : this.connKeepAlive && !this.connClose;
  }

  /** Lower-case name of header `i`. Common names come from a cache, so most calls allocate nothing. */
  name(buf: Buffer, i: number): string {
    return headerName(buf, this.hdr[i * 4]!, this.hdr[i * 4 + 1]!);
  }

  /** Value of header `i`, bytes kept as latin1 (as node:http does). */
  value(buf: Buffer, i: number): string {
    return latin1(buf, this.hdr[i * 4 + 2]!, this.hdr[i * 4 + 3]!);
  }
}

// Lower-case header names seen before, keyed by their length and bytes, so that the common names are
// strings made once. Bounded: past the bound, names are decoded each time.
const NAME_CACHE = new Map<string, string>();
function headerName(buf: Buffer, s: number, e: number): string {
  const raw = latin1(buf, s, e);
  let lower = NAME_CACHE.get(raw);
  if (lower === undefined) {
    lower = raw.toLowerCase();
    if (NAME_CACHE.size < 2048) NAME_CACHE.set(raw, lower);
  }
  return lower;
}
