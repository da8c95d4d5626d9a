// IP addresses and CIDR blocks for AuthorizationPolicy's ipBlocks / notIpBlocks / source.ip, shared by
// validation and the authorization engine. Every address is held as four 32-bit
// words of an IPv6 address, an IPv4 address as its IPv4-mapped form ::ffff:a.b.c.d, so "::ffff:127.0.0.1"
// (what a dual-stack socket reports) and "127.0.0.1" are the same address, and an IPv4 block matches both.
// Parsing writes into a caller's array: checking a request's address allocates nothing.

/** Four 32-bit words, most significant first (signed int32 values: compare with the same representation). */
export type IpWords = [number, number, number, number] | Int32Array;

export interface Cidr {
  /** As written in the policy, for explanations. */
  text: string;
  /** Network words (already masked) and mask words. */
  net: Int32Array;
  mask: Int32Array;
}

/** Parses a dotted quad between start and end; the address as uint32, or -1. No leading zeros (as Node's isIP). */
function parse4(s: string, start: number, end: number): number {
  let value = 0;
  let parts = 0;
  let i = start;
  while (i <= end) {
    let n = 0;
    let digits = 0;
    const partStart = i;
    while (i < end) {
      const c = s.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      n = n * 10 + (c - 0x30);
      digits++;
      i++;
    }
    if (digits === 0 || digits > 3 || n > 255 || (digits > 1 && s.charCodeAt(partStart) === 0x30)) return -1;
    value = value * 256 + n;
    parts++;
    if (i === end) break;
    if (s.charCodeAt(i) !== 0x2e || parts === 4) return -1;
    i++;
  }
  return parts === 4 ? value : -1;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

const groups = new Int32Array(8);

/** Parses RFC 4291 text (with "::" and an IPv4 tail) between start and end into `out`; false if invalid. */
function parse6(s: string, start: number, end: number, out: IpWords): boolean {
  let n = 0;
  let gap = -1;
  let i = start;
  if (end - start >= 2 && s.charCodeAt(i) === 0x3a) {
    if (s.charCodeAt(i + 1) !== 0x3a) return false;
    gap = 0;
    i += 2;
  }
  while (i < end) {
    if (n === 8) return false;
    let v = 0;
    let j = i;
    while (j < end && j - i < 5) {
      const h = hexDigit(s.charCodeAt(j));
      if (h < 0) break;
      v = v * 16 + h;
      j++;
    }
    if (j < end && s.charCodeAt(j) === 0x2e) {
      // An IPv4 tail takes the last two groups.
      if (n > 6) return false;
      const v4 = parse4(s, i, end);
      if (v4 < 0) return false;
      groups[n++] = Math.floor(v4 / 65536);
      groups[n++] = v4 % 65536;
      i = end;
      break;
    }
    if (j === i || j - i > 4) return false;
    groups[n++] = v;
    if (j === end) {
      i = j;
      break;
    }
    if (s.charCodeAt(j) !== 0x3a) return false;
    j++;
    if (j < end && s.charCodeAt(j) === 0x3a) {
      if (gap >= 0) return false;
      gap = n;
      j++;
    } else if (j === end) {
      return false; // a trailing single ":"
    }
    i = j;
  }
  if (gap < 0 ? n !== 8 : n > 7) return false;
  // Expand "::" into zero groups, then pack pairs of groups into words.
  const fill = 8 - n;
  for (let w = 0; w < 4; w++) {
    let word = 0;
    for (let half = 0; half < 2; half++) {
      const k = w * 2 + half;
      let value: number;
      if (gap < 0 || k < gap) value = groups[k];
      else if (k < gap + fill) value = 0;
      else value = groups[k - fill];
      word = half === 0 ? value << 16 : word | value;
    }
    out[w] = word | 0;
  }
  return true;
}

/**
 * Parses an IPv4 or IPv6 address into `out` (IPv4 as ::ffff:a.b.c.d). A zone ("fe80::1%eth0") is ignored
 * when `allowZone`, refused otherwise. False if `s` is not an address.
 */
export function parseIp(s: string, out: IpWords, allowZone = true): boolean {
  let end = s.length;
  if (end === 0) return false;
  if (s.indexOf(':') < 0) {
    const v4 = parse4(s, 0, end);
    if (v4 < 0) return false;
    out[0] = 0;
    out[1] = 0;
    out[2] = 0xffff;
    out[3] = v4 | 0;
    return true;
  }
  const zone = s.indexOf('%');
  if (zone >= 0) {
    if (!allowZone || zone === end - 1) return false;
    end = zone;
  }
  return parse6(s, 0, end, out);
}

/**
 * Parses "addr" or "addr/bits" (host bits are masked off, as Envoy's CidrRange does) into a Cidr, or says
 * why it is not one. The one CIDR parser: validation (src/api/kinds/authorization-policy.ts) reports its
 * message, and the authorization engine (src/policy/authz) matches with its result.
 */
function readCidr(text: string): Cidr | string {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const words = new Int32Array(4);
  if (!parseIp(addr, words, false)) return `must be an IP address or CIDR such as "10.0.0.0/8" or "2001:db8::/32" (got ${JSON.stringify(text)})`;
  const v4 = addr.indexOf(':') < 0;
  const max = v4 ? 32 : 128;
  let bits = max;
  if (slash >= 0) {
    const b = text.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(b) || Number(b) > max) return `prefix length must be 0..${max} (got ${JSON.stringify(text)})`;
    bits = Number(b);
  }
  if (v4) bits += 96; // within ::ffff:0:0/96
  const mask = new Int32Array(4);
  const net = new Int32Array(4);
  for (let w = 0; w < 4; w++) {
    const take = Math.max(0, Math.min(32, bits - w * 32));
    mask[w] = take === 0 ? 0 : take === 32 ? -1 : ~(0xffffffff >>> take);
    net[w] = words[w] & mask[w];
  }
  return { text, net, mask };
}

/** Why `text` is not an IP address or CIDR block ("10.0.0.0/8", "2001:db8::/32", "127.0.0.1"; no zone), or undefined. */
export function cidrProblem(text: string): string | undefined {
  const r = readCidr(text);
  return typeof r === 'string' ? r : undefined;
}

/** Parses "addr" or "addr/bits"; throws with cidrProblem's message on bad input. */
export function parseCidr(text: string): Cidr {
  const r = readCidr(text);
  if (typeof r === 'string') throw new Error(r);
  return r;
}

export function cidrContains(c: Cidr, ip: IpWords): boolean {
  const m = c.mask;
  const n = c.net;
  return (ip[0] & m[0]) === n[0] && (ip[1] & m[1]) === n[1] && (ip[2] & m[2]) === n[2] && (ip[3] & m[3]) === n[3];
}
