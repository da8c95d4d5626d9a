// HPACK (RFC 7541): the header compression of HTTP/2. The first piece of weft's own HTTP/2 engine (as the
// HTTP/1.1 engine, node:http2 stays off the request path). Decoding is strict and bounded: a header list
// larger than the peer was told it may send, a dynamic table larger than allowed, an index past the tables,
// bad Huffman padding or an over-long integer is a COMPRESSION_ERROR, never a crash or an unbounded
// allocation (HPACK bombs: a small block that expands to a huge list through the dynamic table).

export class HpackError extends Error {}

/** RFC 7541 Appendix A. */
export const STATIC_TABLE: readonly (readonly [string, string])[] = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'],
  [':path', '/index.html'], [':scheme', 'http'], [':scheme', 'https'], [':status', '200'],
  [':status', '204'], [':status', '206'], [':status', '304'], [':status', '400'],
  [':status', '404'], [':status', '500'], ['accept-charset', ''], ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''], ['accept-ranges', ''], ['accept', ''], ['access-control-allow-origin', ''],
  ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
  ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''],
  ['date', ''], ['etag', ''], ['expect', ''], ['expires', ''],
  ['from', ''], ['host', ''], ['if-match', ''], ['if-modified-since', ''],
  ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''], ['last-modified', ''],
  ['link', ''], ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''],
  ['proxy-authorization', ''], ['range', ''], ['referer', ''], ['refresh', ''],
  ['retry-after', ''], ['server', ''], ['set-cookie', ''], ['strict-transport-security', ''],
  ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''],
  ['www-authenticate', ''],
];

// ---- Huffman (RFC 7541 Appendix B) ----
// The code is canonical, so the 257 code lengths (symbols 0-255 and EOS) define it: codes are handed out
// in order of length, then symbol.
const CODE_LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, 13, 6, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, 15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7,
  6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, 20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23,
  23, 23, 23, 21, 22, 23, 22, 23, 23, 24, 22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23,
  20, 22, 22, 22, 23, 22, 22, 23, 26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21,
  26, 26, 28, 27, 27, 27, 20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27,
  27, 27, 27, 26, 30,
];
const EOS = 256;
const CODES = new Uint32Array(257);
{
  const order = [...CODE_LENGTHS.keys()].sort((a, b) => CODE_LENGTHS[a]! - CODE_LENGTHS[b]! || a - b);
  let code = 0;
  for (let i = 0; i < order.length; i++) {
    const s = order[i]!;
    if (i > 0) code = (code + 1) * 2 ** (CODE_LENGTHS[s]! - CODE_LENGTHS[order[i - 1]!]!);
    CODES[s] = code;
  }
}

// The decoding trie: node n's children at TRIE[2n] (bit 0) and TRIE[2n+1] (bit 1); a leaf is -1 - symbol.
const TRIE: Int32Array = (() => {
  const t: number[] = [0, 0];
  let nodes = 1;
  for (let s = 0; s < 257; s++) {
    let n = 0;
    const len = CODE_LENGTHS[s]!;
    for (let b = len - 1; b >= 0; b--) {
      const bit = Math.floor(CODES[s]! / 2 ** b) & 1;
      const at = 2 * n + bit;
      if (b === 0) {
        t[at] = -1 - s;
        break;
      }
      if (t[at] === 0) {
        t[at] = nodes++;
        t.push(0, 0);
      }
      n = t[at]!;
    }
  }
  return Int32Array.from(t);
})();

export function huffmanEncodedLength(s: string): number {
  let bits = 0;
  for (let i = 0; i < s.length; i++) bits += CODE_LENGTHS[s.charCodeAt(i) & 0xff]!;
  return Math.ceil(bits / 8);
}

/** Latin-1 text (header bytes), Huffman-coded, padded with the EOS prefix (all ones). */
export function huffmanEncode(s: string): Buffer {
  const out = Buffer.allocUnsafe(huffmanEncodedLength(s));
  let acc = 0; // bits not yet written, in the low `n` bits
  let n = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const sym = s.charCodeAt(i) & 0xff;
    let len = CODE_LENGTHS[sym]!;
    const code = CODES[sym]!;
    // Feed the code in pieces of at most 16 bits so `acc` stays within 32 bits.
    while (len > 0) {
      const take = Math.min(len, 16);
      len -= take;
      acc = ((acc << take) | ((code >>> len) & ((1 << take) - 1))) >>> 0;
      n += take;
      while (n >= 8) {
        n -= 8;
        out[o++] = (acc >>> n) & 0xff;
      }
      acc &= (1 << n) - 1;
    }
  }
  if (n > 0) out[o++] = ((acc << (8 - n)) | (0xff >>> n)) & 0xff;
  return out;
}

/** Decodes buf[start, end) to Latin-1 text; bad codes, an EOS symbol, or padding that is not 0-7 one-bits throw. */
export function huffmanDecode(buf: Uint8Array, start: number, end: number): string {
  let n = 0;
  let depth = 0; // bits since the last symbol
  let allOnes = true;
  let out = '';
  for (let i = start; i < end; i++) {
    const byte = buf[i]!;
    for (let b = 7; b >= 0; b--) {
      const bit = (byte >> b) & 1;
      const next = TRIE[2 * n + bit]!;
      depth++;
      if (bit === 0) allOnes = false;
      if (next < 0) {
        const sym = -1 - next;
        if (sym === EOS) throw new HpackError('Huffman: EOS symbol in a string');
        out += String.fromCharCode(sym);
        n = 0;
        depth = 0;
        allOnes = true;
      } else if (next === 0) {
        throw new HpackError('Huffman: invalid code');
      } else n = next;
    }
  }
  if (depth > 7 || !allOnes) throw new HpackError('Huffman: padding longer than 7 bits or not the EOS prefix');
  return out;
}

// ---- integers and strings (RFC 7541 section 5) ----

/** Appends an integer with an N-bit prefix; `flags` are the bits above the prefix in the first byte. */
function writeInt(out: number[], value: number, prefix: number, flags: number): void {
  const max = (1 << prefix) - 1;
  if (value < max) {
    out.push(flags | value);
    return;
  }
  out.push(flags | max);
  value -= max;
  while (value >= 128) {
    out.push((value % 128) + 128);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

function writeString(out: number[], s: string): void {
  const h = huffmanEncodedLength(s);
  if (h < s.length) {
    writeInt(out, h, 7, 0x80);
    for (const b of huffmanEncode(s)) out.push(b);
  } else {
    writeInt(out, s.length, 7, 0);
    for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 0xff);
  }
}

// ---- the decoder ----

export interface DecoderLimits {
  /** SETTINGS_HEADER_TABLE_SIZE we announced: the most the peer's size updates may ask for. Default 4096. */
  maxTableSize?: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE: sum of (name + value + 32) over a block's fields. Default 64 KiB. */
  maxHeaderListSize?: number;
}

export class Decoder {
  private readonly table: [string, string][] = []; // newest first
  private size = 0;
  private max: number;
  private readonly limitMax: number;
  private readonly maxList: number;
  private pos = 0;
  private buf: Uint8Array = new Uint8Array(0);

  constructor(l: DecoderLimits = {}) {
    this.limitMax = l.maxTableSize ?? 4096;
    this.max = this.limitMax;
    this.maxList = l.maxHeaderListSize ?? 64 * 1024;
  }

  /** Bytes the dynamic table holds (RFC 7541 section 4.1: name + value + 32 per entry). */
  get tableSize(): number {
    return this.size;
  }

  /** One complete header block (HEADERS plus any CONTINUATION payloads joined). */
  decode(block: Uint8Array): [string, string][] {
    this.buf = block;
    this.pos = 0;
    const out: [string, string][] = [];
    let listSize = 0;
    let fieldsSeen = false;
    while (this.pos < block.length) {
      const b = block[this.pos]!;
      let name: string;
      let value: string;
      if (b & 0x80) {
        // Indexed field (6.1).
        const i = this.int(7);
        if (i === 0) throw new HpackError('index 0');
        [name, value] = this.entry(i);
      } else if ((b & 0xe0) === 0x20) {
        // Dynamic table size update (6.3): only before the first field of a block.
        if (fieldsSeen) throw new HpackError('table size update after a field');
        const size = this.int(5);
        if (size > this.limitMax) throw new HpackError(`table size update to ${size}, over the ${this.limitMax} allowed`);
        this.max = size;
        this.evict(0);
        continue;
      } else {
        // Literal (6.2): with incremental indexing (01), without (0000) or never indexed (0001).
        const indexing = (b & 0xc0) === 0x40;
        const idx = this.int(indexing ? 6 : 4);
        name = idx === 0 ? this.string() : this.entry(idx)[0];
        value = this.string();
        if (indexing) this.add(name, value);
      }
      fieldsSeen = true;
      listSize += name.length + value.length + 32;
      if (listSize > this.maxList) throw new HpackError(`header list over ${this.maxList} bytes`);
      out.push([name, value]);
    }
    return out;
  }

  private entry(i: number): readonly [string, string] {
    if (i <= STATIC_TABLE.length) return STATIC_TABLE[i - 1]!;
    const e = this.table[i - STATIC_TABLE.length - 1];
    if (e === undefined) throw new HpackError(`index ${i} past the tables`);
    return e;
  }

  private add(name: string, value: string): void {
    const s = name.length + value.length + 32;
    this.evict(s);
    // An entry larger than the table empties it and is not added (4.4).
    if (s <= this.max) {
      this.table.unshift([name, value]);
      this.size += s;
    }
  }

  private evict(room: number): void {
    while (this.size + room > this.max && this.table.length > 0) {
      const [n, v] = this.table.pop()!;
      this.size -= n.length + v.length + 32;
    }
  }

  private int(prefix: number): number {
    const buf = this.buf;
    const max = (1 << prefix) - 1;
    let v = buf[this.pos++]! & max;
    if (v < max) return v;
    let m = 0;
    for (;;) {
      if (this.pos >= buf.length) throw new HpackError('truncated integer');
      const b = buf[this.pos++]!;
      v += (b & 0x7f) * 2 ** m;
      m += 7;
      if ((b & 0x80) === 0) break;
      // Anything past 2^28 is no header length or index a bounded decoder accepts.
      if (m > 28) throw new HpackError('integer too large');
    }
    if (v > 2 ** 31) throw new HpackError('integer too large');
    return v;
  }

  private string(): string {
    if (this.pos >= this.buf.length) throw new HpackError('truncated string');
    const huff = (this.buf[this.pos]! & 0x80) !== 0;
    const len = this.int(7);
    const end = this.pos + len;
    if (end > this.buf.length) throw new HpackError('string past the block');
    if (len > this.maxList) throw new HpackError(`string over ${this.maxList} bytes`);
    const s = huff ? huffmanDecode(this.buf, this.pos, end) : Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, len).toString('latin1');
    this.pos = end;
    return s;
  }
}

// ---- the encoder ----

const STATIC_EXACT = new Map<string, number>();
const STATIC_NAME = new Map<string, number>();
STATIC_TABLE.forEach(([n, v], i) => {
  if (!STATIC_EXACT.has(`${n}\0${v}`)) STATIC_EXACT.set(`${n}\0${v}`, i + 1);
  if (!STATIC_NAME.has(n)) STATIC_NAME.set(n, i + 1);
});

/** Fields a proxy must never let an intermediary index (RFC 7541 section 7.1.3). */
const NEVER_INDEXED = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

/**
 * Encodes with the static table only (no dynamic table, so no state to keep in step with the peer and
 * nothing for a compression side channel to probe); names and values Huffman-coded when shorter.
 */
export function encode(fields: readonly (readonly [string, string])[]): Buffer {
  const out: number[] = [];
  for (const [name, value] of fields) {
    const exact = STATIC_EXACT.get(`${name}\0${value}`);
    if (exact !== undefined) {
      writeInt(out, exact, 7, 0x80);
      continue;
    }
    const idx = STATIC_NAME.get(name) ?? 0;
    writeInt(out, idx, 4, NEVER_INDEXED.has(name) ? 0x10 : 0);
    if (idx === 0) writeString(out, name);
    writeString(out, value);
  }
  return Buffer.from(out);
}
