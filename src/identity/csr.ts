import { generateKeyPair, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { BIT_STRING, INTEGER, oid, SEQUENCE, tlv } from './der.js';
import { derToPem } from './pem.js';

const generateKeyPairAsync = promisify(generateKeyPair);
const OID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

/**
 * A fresh ECDSA P-256 key pair and a CSR for it. The private key never leaves the proxy; the CSR carries no
 * subject or SANs because the CA decides the identity from the proxy's bootstrap credential, not the request.
 */
export async function generateKeyAndCsr(): Promise<{ keyPem: string; csrPem: string }> {
  const { publicKey, privateKey } = await generateKeyPairAsync('ec', { namedCurve: 'P-256' });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  return { keyPem, csrPem: derToPem(csrDer(publicKey, privateKey), 'CERTIFICATE REQUEST') };
}

/** PKCS#10 (RFC 2986): an empty subject, the public key, no attributes, signed with ECDSA/SHA-256. */
export function csrDer(publicKey: KeyObject, privateKey: KeyObject): Buffer {
  const info = tlv(SEQUENCE,
    tlv(INTEGER, Buffer.from([0])), // version 1
    tlv(SEQUENCE), // subject: the empty Name
    publicKey.export({ type: 'spki', format: 'der' }), // SubjectPublicKeyInfo as is
    tlv(0xa0)); // [0] attributes: none
  const signature = sign('sha256', info, privateKey); // DER ECDSA-Sig-Value
  return tlv(SEQUENCE, info, tlv(SEQUENCE, oid(OID_ECDSA_WITH_SHA256)), tlv(BIT_STRING, Buffer.from([0]), signature));
}
