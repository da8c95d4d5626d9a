// X509-SVID leaf checks (spiffe/spiffe standards/X509-SVID.md section 5.2) that OpenSSL's path validation
// does not do. OpenSSL has already checked signatures up to a trusted root when the handshake completes;
// this decides whether the leaf is a SPIFFE workload identity of our trust domain.
import type { X509Certificate as NodeX509 } from 'node:crypto';
import { cachedCertFacts, certFacts, KeyUsage, OID_CLIENT_AUTH, OID_SERVER_AUTH, type CertFacts } from './cert-facts.js';
import { onePemBlock } from './pem.js';
import { parseSpiffeId } from './spiffe-id.js';

export interface SvidInfo {
  spiffeId: string;
  /** Lower-case hex (Node's X509Certificate.serialNumber is upper-case). */
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

/** Identity and validity of an SVID leaf (PEM); throws if it is not one certificate with one SPIFFE ID. */
export function svidInfo(leafPem: string): SvidInfo {
  const der = onePemBlock(leafPem, 'CERTIFICATE', 'svidInfo');
  const f = certFacts(der);
  if (!f.uris || f.uris.length !== 1) throw new Error(`svidInfo: certificate has ${f.uris ? f.uris.length : 'unreadable'} URI SANs, expected 1`);
  if (!parseSpiffeId(f.uris[0]!)) throw new Error(`svidInfo: URI SAN ${quote(f.uris[0]!)} is not a valid SPIFFE ID`);
  return { spiffeId: f.uris[0]!, serial: f.serial, notBefore: f.notBefore, notAfter: f.notAfter };
}

export type PeerCheck = { ok: true; spiffeId: string } | { ok: false; reason: string };

const SIGNING_USAGES = KeyUsage.keyCertSign | KeyUsage.cRLSign;

/**
 * Checks a peer's leaf certificate beyond what OpenSSL's chain verification does. Returns the SPIFFE ID or a
 * short, stable reason. Call it after a handshake with rejectUnauthorized: true; it does not check signatures.
 */
export function checkPeerSvid(leaf: NodeX509, opts: { trustDomain: string; now?: Date }): PeerCheck {
  let f: CertFacts;
  try {
    f = cachedCertFacts(leaf);
  } catch {
    return fail('peer certificate cannot be parsed');
  }
  if (!f.uris) return fail('peer certificate has an unreadable SAN extension');
  if (f.uris.length !== 1) return fail(`peer certificate has ${f.uris.length} URI SANs`);
  const uri = f.uris[0]!;
  const id = parseSpiffeId(uri);
  if (!id) return fail(`peer URI SAN ${quote(uri)} is not a valid SPIFFE ID`);
  if (id.path === '') return fail('peer SPIFFE ID has no path');
  if (id.trustDomain !== opts.trustDomain) return fail(`peer trust domain ${id.trustDomain} != ${opts.trustDomain}`);
  if (f.ca) return fail('peer certificate is a CA');
  if (f.keyUsage !== undefined && (f.keyUsage & SIGNING_USAGES) !== 0) return fail('peer certificate key usage allows certificate signing');
  if (!f.eku) return fail('peer certificate has no EKU');
  if (!f.eku.includes(OID_SERVER_AUTH)) return fail('peer certificate lacks EKU serverAuth');
  if (!f.eku.includes(OID_CLIENT_AUTH)) return fail('peer certificate lacks EKU clientAuth');
  const now = (opts.now ?? new Date()).getTime();
  if (now < f.notBefore.getTime()) return fail(`peer certificate is not valid before ${f.notBefore.toISOString()}`);
  if (now > f.notAfter.getTime()) return fail(`peer certificate expired at ${f.notAfter.toISOString()}`);
  return { ok: true, spiffeId: uri };
}

function fail(reason: string): PeerCheck {
  return { ok: false, reason };
}

/** Quoted and bounded: a URI SAN is attacker-chosen and ends up in logs. */
function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}...` : s);
}
