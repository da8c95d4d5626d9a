// Reading a proxy's CSR. Only its public key is used: the CSR proves possession of the private key, and
// everything else it says (subject, requested SANs, extensions) is ignored because identity comes from the
// proxy's bootstrap credential. Verification uses Node's native crypto (~0.1 ms) rather than @peculiar's
// WebCrypto path (~0.7 ms) since this runs once per proxy per rotation.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { DerError, readTlv, SEQUENCE } from '../../identity/der.js';
import { pemBlocks } from '../../identity/pem.js';
import { x509 } from './x509.js';

/** Far above a real P-256 CSR (~400 bytes); bounds the work a hostile request can cause. */
const MAX_CSR_PEM = 16 * 1024;

const HASHES: Record<string, string> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

/** DER SubjectPublicKeyInfo header for id-ecPublicKey on prime256v1, followed by a 65-byte uncompressed point. */
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');

export interface CsrKey {
  /** Canonical DER SubjectPublicKeyInfo (91 bytes). */
  spki: Buffer;
  key: KeyObject;
}

/** The CSR's public key, after checking it is ECDSA P-256 and that the CSR's self-signature verifies. */
export function readCsr(csrPem: unknown): CsrKey {
  if (typeof csrPem !== 'string') throw new Error('CSR must be a PEM string');
  if (csrPem.length > MAX_CSR_PEM) throw new Error(`CSR is larger than ${MAX_CSR_PEM} bytes`);
  const blocks = [...pemBlocks(csrPem, 'CERTIFICATE REQUEST'), ...pemBlocks(csrPem, 'NEW CERTIFICATE REQUEST')];
  if (blocks.length !== 1) throw new Error(`CSR must contain exactly one PEM "CERTIFICATE REQUEST" block, found ${blocks.length}`);
  const der = blocks[0]!;
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(der);
  } catch (err) {
    throw new Error(`CSR is not a valid PKCS#10 request: ${(err as Error).message}`);
  }
  const spki = Buffer.from(csr.publicKey.rawData);
  if (spki.length !== 91 || !spki.subarray(0, P256_SPKI_PREFIX.length).equals(P256_SPKI_PREFIX) || spki[26] !== 0x04) {
    throw new Error(`CSR key must be ECDSA P-256 (uncompressed point), got ${describeKey(spki)}`);
  }
  let key: KeyObject;
  try {
    // JWK import builds the key from its coordinates (and checks the point is on the curve) about twice
    // as fast as OpenSSL 3's generic DER decoder.
    key = createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: spki.subarray(27, 59).toString('base64url'), y: spki.subarray(59).toString('base64url') },
      format: 'jwk',
    });
  } catch (err) {
    throw new Error(`CSR public key is not a valid P-256 point: ${(err as Error).message}`);
  }
  // Typed against DOM's Algorithm, which this project does not load.
  const alg = csr.signatureAlgorithm as unknown as { name?: string; hash?: string | { name?: string } };
  const hashName = typeof alg.hash === 'string' ? alg.hash : alg.hash?.name;
  const hash = alg.name === 'ECDSA' ? HASHES[hashName ?? ''] : undefined;
  if (!hash) throw new Error(`CSR signature algorithm ${alg.name ?? 'unknown'}/${hashName ?? 'unknown'} is not ECDSA with SHA-2`);
  const ok = verify(hash, certificationRequestInfo(der), { key, dsaEncoding: 'der' }, Buffer.from(csr.signature));
  if (!ok) throw new Error('CSR signature does not verify: the request was altered or not signed by its own key');
  return { spki, key };
}

function describeKey(spki: Buffer): string {
  try {
    const k = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    const d = k.asymmetricKeyDetails ?? {};
    return [k.asymmetricKeyType, d.namedCurve, d.modulusLength && `${d.modulusLength} bits`].filter(Boolean).join(' ');
  } catch {
    return 'an unreadable key';
  }
}

/**
 * The signed part of a CSR, byte for byte: the first element of the outer SEQUENCE. Re-encoding the parsed
 * structure could differ from what was signed, so the bytes are sliced out of the DER instead.
 */
function certificationRequestInfo(der: Buffer): Buffer {
  const outer = readTlv(der, 0);
  const inner = readTlv(der, outer.start, outer.end);
  if (outer.tag !== SEQUENCE || inner.tag !== SEQUENCE) throw new DerError('CSR is not a DER SEQUENCE');
  return der.subarray(outer.start, inner.end);
}
