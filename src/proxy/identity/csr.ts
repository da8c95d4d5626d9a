import { createPrivateKey, webcrypto } from 'node:crypto';
import { derToPem } from './pem.js';
import { EC_P256, x509, x509Crypto } from './x509.js';

/**
 * A fresh ECDSA P-256 key pair and a CSR for it. The private key never leaves the proxy; the CSR carries no
 * subject or SANs because the CA decides the identity from the proxy's bootstrap credential, not the request.
 */
export async function generateKeyAndCsr(): Promise<{ keyPem: string; csrPem: string }> {
  const keys = await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    { keys, signingAlgorithm: EC_P256 },
    x509Crypto,
  );
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  // Round-trip through KeyObject to get Node's canonical "PRIVATE KEY" PEM.
  const keyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }) as string;
  return { keyPem, csrPem: derToPem(csr.rawData, 'CERTIFICATE REQUEST') };
}
