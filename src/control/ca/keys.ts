// Private keys as the CA holds them: PKCS#8 PEM at rest, WebCrypto keys for @peculiar/x509 to sign with.
import { createPrivateKey, webcrypto, type KeyObject } from 'node:crypto';
import { EC_P256 } from './x509.js';

export type WebKey = webcrypto.CryptoKey;

export interface SigningKey {
  key: WebKey;
  /** What @peculiar/x509 signs with; the key's own algorithm fills in the curve. */
  algorithm: { name: string; hash: string };
}

/** Canonical PKCS#8 PEM ("PRIVATE KEY") for any private key Node can read (SEC1, PKCS#1, PKCS#8). */
export function toPkcs8Pem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }) as string;
}

export async function newEcKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
}

export async function exportPkcs8Pem(key: WebKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return toPkcs8Pem(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
}

/**
 * Imports a CA signing key. weft generates P-256 keys; an organisation's imported intermediate may also use
 * P-384 or RSA (>= 2048 bits), the common choices for enterprise PKI.
 */
export async function importSigningKey(key: KeyObject): Promise<SigningKey> {
  const der = key.export({ type: 'pkcs8', format: 'der' });
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') {
    const curve = details.namedCurve === 'prime256v1' ? 'P-256' : details.namedCurve === 'secp384r1' ? 'P-384' : undefined;
    if (!curve) throw new Error(`unsupported EC curve ${details.namedCurve ?? '(unknown)'}; use P-256 or P-384`);
    const hash = curve === 'P-256' ? 'SHA-256' : 'SHA-384';
    const k = await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: curve }, false, ['sign']);
    return { key: k, algorithm: { name: 'ECDSA', hash } };
  }
  if (key.asymmetricKeyType === 'rsa') {
    if ((details.modulusLength ?? 0) < 2048) throw new Error(`RSA key of ${details.modulusLength} bits is too weak; use at least 2048`);
    const k = await webcrypto.subtle.importKey('pkcs8', der, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
    return { key: k, algorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } };
  }
  throw new Error(`unsupported key type ${key.asymmetricKeyType}; use EC P-256/P-384 or RSA`);
}
