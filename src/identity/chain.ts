// Path validation in plain JS for tests and `weft check`: the TLS handshake does the same in OpenSSL, but a
// check command needs a reason it can print, not a failed handshake.
import { X509Certificate as NodeX509 } from 'node:crypto';
import { cachedCertFacts, type CertFacts } from './cert-facts.js';
import { onePemBlock } from './pem.js';

export type ChainCheck = { ok: true } | { ok: false; reason: string };

interface Parsed {
  cert: NodeX509;
  facts: CertFacts;
  label: string;
}

/**
 * Checks leaf -> intermediates -> one of the bundle's roots: issuer names and key identifiers
 * (X509Certificate.checkIssued, which also requires keyCertSign on the issuer), signatures, CA flags,
 * path length constraints and validity at `now`. The chain may end with the root itself.
 */
export function verifyChain(chainPem: string[], bundlePem: string[], now: Date = new Date()): ChainCheck {
  let chain: Parsed[];
  let roots: Parsed[];
  try {
    chain = chainPem.map((pem, i) => parse(pem, `chain[${i}]`));
    roots = bundlePem.map((pem, i) => parse(pem, `bundle[${i}]`));
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  if (chain.length === 0) return { ok: false, reason: 'chain is empty' };
  if (roots.length === 0) return { ok: false, reason: 'trust bundle is empty' };

  // A chain that already ends in a bundle root needs no further issuer.
  const last = chain[chain.length - 1]!;
  const endsInRoot = roots.some((r) => r.cert.raw.equals(last.cert.raw));

  for (let i = 0; i < chain.length; i++) {
    const bad = timeProblem(chain[i]!, now);
    if (bad) return { ok: false, reason: bad };
  }
  for (let i = 0; i + 1 < chain.length; i++) {
    const bad = issuerProblem(chain[i]!, chain[i + 1]!, i);
    if (bad) return { ok: false, reason: bad };
  }
  if (endsInRoot) return { ok: true };

  let lastProblem = `${last.label} was not issued by any root in the trust bundle`;
  for (const root of roots) {
    if (!last.cert.checkIssued(root.cert) || !last.cert.verify(root.cert.publicKey)) continue;
    const bad = timeProblem(root, now) ?? issuerProblem(last, root, chain.length - 1);
    if (!bad) return { ok: true };
    lastProblem = bad;
  }
  return { ok: false, reason: lastProblem };
}

function parse(pem: string, label: string): Parsed {
  let cert: NodeX509;
  try {
    cert = new NodeX509(onePemBlock(pem, 'CERTIFICATE', label));
  } catch (err) {
    throw new Error(`${label} is not a certificate: ${(err as Error).message}`);
  }
  return { cert, facts: cachedCertFacts(cert), label };
}

function timeProblem(p: Parsed, now: Date): string | undefined {
  if (now < p.facts.notBefore) return `${p.label} is not valid before ${p.facts.notBefore.toISOString()}`;
  if (now > p.facts.notAfter) return `${p.label} expired at ${p.facts.notAfter.toISOString()}`;
  return undefined;
}

/** `issuer` signs `child`, which sits at `childIndex` in the chain (0 = leaf). */
function issuerProblem(child: Parsed, issuer: Parsed, childIndex: number): string | undefined {
  if (!issuer.facts.ca) return `${issuer.label} is not a CA`;
  if (!child.cert.checkIssued(issuer.cert)) return `${child.label} was not issued by ${issuer.label} (names, key identifiers or key usage do not match)`;
  if (!child.cert.verify(issuer.cert.publicKey)) return `${child.label} signature does not verify with ${issuer.label}'s key`;
  // pathLenConstraint counts the intermediate CAs below the issuer: all chain entries between it and the leaf.
  const below = childIndex;
  if (issuer.facts.pathLength !== undefined && below > issuer.facts.pathLength) {
    return `${issuer.label} allows ${issuer.facts.pathLength} intermediate(s) below it, found ${below}`;
  }
  return undefined;
}
