// Peer verification beyond OpenSSL's chain check: the SPIFFE rules (one URI SAN, not a CA, both EKUs,
// trust domain) and, for the client side, that the server is one of the identities backing the service.
import { X509Certificate, createHash } from 'node:crypto';
import type tls from 'node:tls';
import { checkPeerSvid } from '../../identity/index.js';

export interface PeerIdentity {
  spiffeId: string;
  /** SHA-256 of the peer certificate's DER, hex (x-forwarded-client-cert Hash=). */
  hash: string;
}

export function peerOf(cert: X509Certificate, trustDomain: string): PeerIdentity | string {
  const r = checkPeerSvid(cert, { trustDomain });
  if (!r.ok) return r.reason;
  return { spiffeId: r.spiffeId, hash: createHash('sha256').update(cert.raw).digest('hex') };
}

/** A checkServerIdentity for tls.connect: SPIFFE rules plus membership in `allowed`. */
export function serverIdentityCheck(trustDomain: string, allowed: () => ReadonlySet<string> | undefined) {
  return (_host: string, cert: tls.PeerCertificate): Error | undefined => {
    const p = peerOf(new X509Certificate(cert.raw), trustDomain);
    if (typeof p === 'string') return new Error(p);
    const ok = allowed();
    if (ok === undefined || !ok.has(p.spiffeId)) return new Error(`server identity ${p.spiffeId} is not one that backs this service`);
    return undefined;
  };
}
