// The X.509 fields SPIFFE validation needs that Node's X509Certificate does not expose (key usage bits,
// path length) or exposes only as display strings (SANs), read from the certificate's DER (./der.ts). Results
// are cached by SHA-256 fingerprint: a proxy sees the same few peer certificates on every connection, and the
// fingerprint is computed natively.
import type { X509Certificate as NodeX509 } from 'node:crypto';
import { BIT_STRING, BOOLEAN, children, DerError, INTEGER, OCTET_STRING, oidString, readTlv, SEQUENCE, type Tlv } from './der.js';

export interface CertFacts {
  /** URI SANs in order; undefined if the SAN extension could not be read. */
  uris: string[] | undefined;
  ca: boolean;
  pathLength: number | undefined;
  /** KeyUsage bits, bit n = 1 << n in RFC 5280 order (digitalSignature = 1, keyCertSign = 32, cRLSign = 64); undefined when the extension is absent. */
  keyUsage: number | undefined;
  /** EKU OIDs; undefined when the extension is absent. */
  eku: string[] | undefined;
  notBefore: Date;
  notAfter: Date;
  /** Lower-case hex without leading zero bytes, as Node's X509Certificate.serialNumber (upper-case) gives it. */
  serial: string;
}

/** RFC 5280 KeyUsage bits as CertFacts.keyUsage holds them. */
export const KeyUsage = { digitalSignature: 1, nonRepudiation: 2, keyEncipherment: 4, dataEncipherment: 8, keyAgreement: 16, keyCertSign: 32, cRLSign: 64, encipherOnly: 128, decipherOnly: 256 } as const;

export const OID_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
export const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const OID_SAN = '2.5.29.17';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_KEY_USAGE = '2.5.29.15';
const OID_EKU = '2.5.29.37';

/** Facts of a DER certificate; throws DerError if it is not one. */
export function certFacts(der: Uint8Array): CertFacts {
  const cert = readTlv(der, 0);
  if (cert.tag !== SEQUENCE || cert.end !== der.length) throw new DerError('certificate: not one DER SEQUENCE');
  const tbs = children(der, cert)[0];
  if (tbs?.tag !== SEQUENCE) throw new DerError('certificate: no TBSCertificate');
  const f = children(der, tbs);
  let i = f[0]?.tag === 0xa0 ? 1 : 0; // [0] version, absent for v1
  const serialTlv = expect(f[i++], INTEGER, 'serialNumber');
  i++; // signature algorithm
  i++; // issuer
  const validity = children(der, expect(f[i++], SEQUENCE, 'validity'));
  const notBefore = time(der, validity[0]);
  const notAfter = time(der, validity[1]);
  const facts: CertFacts = { uris: [], ca: false, pathLength: undefined, keyUsage: undefined, eku: undefined, notBefore, notAfter, serial: serialHex(der, serialTlv) };
  let sanSeen = false;
  for (; i < f.length; i++) {
    if (f[i]!.tag !== 0xa3) continue; // [1], [2] unique IDs; subject and key come before
    const exts = children(der, f[i]!)[0];
    for (const ext of children(der, expect(exts, SEQUENCE, 'extensions'))) {
      const parts = children(der, ext);
      const id = oidString(der, parts[0]!);
      const value = expect(parts[parts.length - 1], OCTET_STRING, 'extnValue');
      const inner = readTlv(der, value.start, value.end);
      if (id === OID_SAN) {
        sanSeen = true;
        try {
          for (const name of children(der, inner)) {
            if (name.tag === 0x86) facts.uris!.push(Buffer.from(der.subarray(name.start, name.end)).toString('latin1'));
          }
        } catch {
          facts.uris = undefined;
        }
      } else if (id === OID_BASIC_CONSTRAINTS) {
        for (const c of children(der, inner)) {
          if (c.tag === BOOLEAN) facts.ca = der[c.start] !== 0;
          else if (c.tag === INTEGER) facts.pathLength = uint(der, c);
        }
      } else if (id === OID_KEY_USAGE) {
        facts.keyUsage = bits(der, expect(inner, BIT_STRING, 'keyUsage'));
      } else if (id === OID_EKU) {
        facts.eku = children(der, inner).map((o) => oidString(der, o));
      }
    }
  }
  if (!sanSeen) facts.uris = [];
  return facts;
}

function expect(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (t?.tag !== tag) throw new DerError(`certificate: ${what} is missing or malformed`);
  return t;
}

function serialHex(der: Uint8Array, t: Tlv): string {
  let s = t.start;
  while (s < t.end - 1 && der[s] === 0) s++;
  return Buffer.from(der.subarray(s, t.end)).toString('hex');
}

function uint(der: Uint8Array, t: Tlv): number {
  let v = 0;
  for (let p = t.start; p < t.end; p++) v = v * 256 + der[p]!;
  return v;
}

/** A named-bit BIT STRING as flags, bit n of the string = 1 << n. */
function bits(der: Uint8Array, t: Tlv): number {
  let v = 0;
  for (let n = 0; n < (t.end - t.start - 1) * 8 && n < 31; n++) {
    if (der[t.start + 1 + (n >> 3)]! & (0x80 >> (n & 7))) v |= 1 << n;
  }
  return v;
}

/** UTCTime (YYMMDDHHMMSSZ, 1950-2049) or GeneralizedTime (YYYYMMDDHHMMSSZ). */
function time(der: Uint8Array, t: Tlv | undefined): Date {
  const s = t ? Buffer.from(der.subarray(t.start, t.end)).toString('latin1') : '';
  const m = t?.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : t?.tag === 0x18 ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : null;
  if (!m) throw new DerError(`certificate: validity time ${JSON.stringify(s)} is malformed`);
  let y = Number(m[1]);
  if (t!.tag === 0x17) y += y < 50 ? 2000 : 1900;
  return new Date(Date.UTC(y, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

const CACHE_MAX = 1024;
const cache = new Map<string, CertFacts>();

/** certFacts for a Node certificate, cached by fingerprint. Throws if the certificate cannot be parsed. */
export function cachedCertFacts(cert: NodeX509): CertFacts {
  const key = cert.fingerprint256;
  let facts = cache.get(key);
  if (!facts) {
    facts = certFacts(cert.raw);
    // Oldest-first eviction keeps memory bounded if a peer churns certificates.
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
    cache.set(key, facts);
  }
  return facts;
}
