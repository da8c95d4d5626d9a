// The small part of DER (ITU-T X.690) weft needs: reading the extensions of an X.509 certificate and the
// signed part of a CSR (the CA, src/control/ca/csr.ts), and writing a PKCS#10 request. The proxy does this itself rather than load a general X.509 library: measured
// on Node 20, loading one took a proxy from ~41 to ~64 MB RSS before it served a request.

/** One DER element: its tag byte and where its contents lie in `buf`. */
export interface Tlv {
  tag: number;
  /** Offset of the first content byte. */
  start: number;
  /** Offset just past the last content byte. */
  end: number;
}

export class DerError extends Error {}

/** Reads the element at `pos`, checking that it ends within `limit`. Single-byte tags only (all X.509 uses). */
export function readTlv(buf: Uint8Array, pos: number, limit = buf.length): Tlv {
  if (pos + 2 > limit) throw new DerError(`DER: truncated element at ${pos}`);
  const tag = buf[pos]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`DER: multi-byte tag at ${pos}`);
  let len = buf[pos + 1]!;
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError(`DER: unsupported length form at ${pos}`);
    if (start + n > limit) throw new DerError(`DER: truncated length at ${pos}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  const end = start + len;
  if (end > limit) throw new DerError(`DER: element at ${pos} runs past its container`);
  return { tag, start, end };
}

/** The elements directly inside a constructed element. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = parent.start; p < parent.end;) {
    const t = readTlv(buf, p, parent.end);
    out.push(t);
    p = t.end;
  }
  return out;
}

/** Dotted form of an OBJECT IDENTIFIER's contents. */
export function oidString(buf: Uint8Array, t: Tlv): string {
  if (t.tag !== 0x06 || t.end <= t.start) throw new DerError('DER: expected an OBJECT IDENTIFIER');
  const parts: number[] = [];
  let v = 0;
  for (let i = t.start; i < t.end; i++) {
    const b = buf[i]!;
    v = v * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

// ---- writing ----

function lengthBytes(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

/** A DER element from its tag and contents. */
export function tlv(tag: number, ...contents: Uint8Array[]): Buffer {
  const body = Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag, ...lengthBytes(body.length)]), body]);
}

/** An OBJECT IDENTIFIER from its dotted form. */
export function oid(dotted: string): Buffer {
  const n = dotted.split('.').map(Number);
  if (n.length < 2 || n.some((x) => !Number.isInteger(x) || x < 0)) throw new DerError(`DER: bad OID ${dotted}`);
  const bytes: number[] = [];
  for (const v of [n[0]! * 40 + n[1]!, ...n.slice(2)]) {
    const sub = [v & 0x7f];
    for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) sub.unshift(0x80 | (x & 0x7f));
    bytes.push(...sub);
  }
  return tlv(0x06, Buffer.from(bytes));
}

export const BOOLEAN = 0x01;
export const INTEGER = 0x02;
export const BIT_STRING = 0x03;
export const OCTET_STRING = 0x04;
export const SEQUENCE = 0x30;
