// The X.509 fields SPIFFE validation needs that Node's X509Certificate does not expose (key usage bits,
// path length) or exposes only as display strings (SANs). @peculiar/x509 parses in JS and costs ~0.5 ms per
// certificate, so results are cached by SHA-256 fingerprint: a proxy sees the same few peer certificates on
// every connection, and the fingerprint is computed natively.
import type { X509Certificate as NodeX509 } from 'node:crypto';
import { x509 } from './x509.js';

export interface CertFacts {
  /** URI SANs in order; undefined if the SAN extension could not be read. */
  uris: string[] | undefined;
  ca: boolean;
  pathLength: number | undefined;
  /** x509.KeyUsageFlags bits; undefined when the extension is absent. */
  keyUsage: number | undefined;
  /** EKU OIDs; undefined when the extension is absent. */
  eku: string[] | undefined;
  notBefore: Date;
  notAfter: Date;
  /** Lower-case hex, as encoded (no sign byte). */
  serial: string;
}

export const OID_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
export const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const OID_SAN = '2.5.29.17';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_KEY_USAGE = '2.5.29.15';
const OID_EKU = '2.5.29.37';

export function certFacts(der: Uint8Array | x509.X509Certificate): CertFacts {
  const cert = der instanceof x509.X509Certificate ? der : new x509.X509Certificate(der);
  let uris: string[] | undefined = [];
  try {
    for (const ext of cert.getExtensions(OID_SAN)) {
      const san = new x509.SubjectAlternativeNameExtension(ext.rawData);
      for (const n of san.names.items) if (n.type === 'url') uris.push(n.value);
    }
  } catch {
    // e.g. a GeneralName form @peculiar/x509 cannot represent (x400Address, ediPartyName)
    uris = undefined;
  }
  const bcExt = cert.getExtension(OID_BASIC_CONSTRAINTS);
  const bc = bcExt ? new x509.BasicConstraintsExtension(bcExt.rawData) : undefined;
  const kuExt = cert.getExtension(OID_KEY_USAGE);
  const ekuExt = cert.getExtension(OID_EKU);
  return {
    uris,
    ca: bc?.ca ?? false,
    pathLength: bc?.pathLength,
    keyUsage: kuExt ? new x509.KeyUsagesExtension(kuExt.rawData).usages : undefined,
    eku: ekuExt ? new x509.ExtendedKeyUsageExtension(ekuExt.rawData).usages.map(String) : undefined,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    serial: cert.serialNumber.toLowerCase(),
  };
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
