// Certificate material of one CA generation (root + signing intermediate) and leaf issuance.
import { createHash, createPrivateKey, randomBytes, X509Certificate as NodeX509, type KeyObject } from 'node:crypto';
import { derToPem, onePemBlock } from '../../identity/pem.js';
import { SPIFFE_PREFIX } from '../../identity/spiffe-id.js';
import { EC_P256, x509, x509Crypto } from './x509.js';
import { exportPkcs8Pem, importSigningKey, newEcKeyPair, type SigningKey } from './keys.js';

/** One generation as persisted. The root key is absent for an imported CA (we never see it). */
export interface AuthorityState {
  rootCertPem: string;
  rootKeyPem?: string;
  intermediateCertPem: string;
  intermediateKeyPem: string;
}

/** The intermediate, ready to sign: parsed once, reused for every leaf. */
export interface Signer {
  intermediatePem: string;
  issuerName: x509.Name;
  notBefore: Date;
  notAfter: Date;
  key: SigningKey;
  aki: x509.AuthorityKeyIdentifierExtension | undefined;
}

/** Peers' clocks may be behind ours; certificates start this much before "now". */
export const CLOCK_SKEW_MS = 60_000;
const ROOT_YEARS = 10;
const INTERMEDIATE_YEARS = 1;

const CA_USAGES = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign;

/** 16 random bytes, top bit clear (positive INTEGER) and next bit set (no leading zero byte to strip). */
export function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x40;
  return b.toString('hex');
}

function addYears(d: Date, years: number): Date {
  const r = new Date(d.getTime());
  r.setUTCFullYear(r.getUTCFullYear() + years);
  return r;
}

/** X.509 times have one-second resolution; round so the Dates we report equal what the certificate says. */
export function floorToSecond(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

function akiFor(issuer: x509.X509Certificate): x509.AuthorityKeyIdentifierExtension | undefined {
  // Copy the issuer's own SKI rather than recomputing it: an imported CA may have used another method.
  const ski = issuer.getExtension(x509.SubjectKeyIdentifierExtension);
  return ski ? new x509.AuthorityKeyIdentifierExtension(ski.keyId) : undefined;
}

/** A new self-signed root and an intermediate under it, both ECDSA P-256. */
export async function createAuthority(trustDomain: string, now: Date): Promise<AuthorityState> {
  // A per-generation tag keeps subject names distinct across rotations, so issuer lookup by name never
  // has to choose between an old and a new root.
  const tag = randomBytes(4).toString('hex');
  const keys = await newEcKeyPair();
  const notBefore = floorToSecond(now.getTime() - CLOCK_SKEW_MS);
  const root = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: `CN=weft root ${trustDomain} ${tag}, O=weft`,
      notBefore,
      notAfter: floorToSecond(addYears(now, ROOT_YEARS).getTime()),
      keys,
      signingAlgorithm: EC_P256,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(CA_USAGES, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, x509Crypto),
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: `${SPIFFE_PREFIX}${trustDomain}` }]),
      ],
    },
    x509Crypto,
  );
  const rootCertPem = derToPem(root.rawData, 'CERTIFICATE');
  const rootKeyPem = await exportPkcs8Pem(keys.privateKey);
  const inter = await createIntermediate(trustDomain, now, rootCertPem, rootKeyPem, tag);
  return { rootCertPem, rootKeyPem, ...inter };
}

/** A new signing intermediate under an existing root (first start, and renewal before it expires). */
export async function createIntermediate(
  trustDomain: string,
  now: Date,
  rootCertPem: string,
  rootKeyPem: string,
  tag = randomBytes(4).toString('hex'),
): Promise<{ intermediateCertPem: string; intermediateKeyPem: string }> {
  const root = new x509.X509Certificate(onePemBlock(rootCertPem, 'CERTIFICATE', 'root certificate'));
  const rootKey = await importSigningKey(createPrivateKey(rootKeyPem));
  const keys = await newEcKeyPair();
  const wanted = addYears(now, INTERMEDIATE_YEARS);
  const aki = akiFor(root);
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: `CN=weft intermediate ${trustDomain} ${tag}, O=weft`,
      issuer: root.subjectName,
      notBefore: floorToSecond(now.getTime() - CLOCK_SKEW_MS),
      notAfter: floorToSecond(Math.min(wanted.getTime(), root.notAfter.getTime())),
      publicKey: keys.publicKey,
      signingKey: rootKey.key,
      signingAlgorithm: rootKey.algorithm,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(CA_USAGES, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, x509Crypto),
        ...(aki ? [aki] : []),
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: `${SPIFFE_PREFIX}${trustDomain}` }]),
      ],
    },
    x509Crypto,
  );
  return { intermediateCertPem: derToPem(cert.rawData, 'CERTIFICATE'), intermediateKeyPem: await exportPkcs8Pem(keys.privateKey) };
}

/** Parses and cross-checks a generation's intermediate and key into a Signer. */
export async function loadSigner(a: Pick<AuthorityState, 'intermediateCertPem' | 'intermediateKeyPem'>): Promise<Signer> {
  const der = onePemBlock(a.intermediateCertPem, 'CERTIFICATE', 'intermediate certificate');
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(a.intermediateKeyPem);
  } catch (err) {
    throw new Error(`intermediate key is not a readable private key: ${(err as Error).message}`);
  }
  if (keyObject.type !== 'private') throw new Error('intermediate key is not a private key');
  if (!new NodeX509(der).checkPrivateKey(keyObject)) throw new Error("intermediate key does not match the intermediate certificate's public key");
  const cert = new x509.X509Certificate(der);
  return {
    intermediatePem: derToPem(der, 'CERTIFICATE'),
    issuerName: cert.subjectName,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    key: await importSigningKey(keyObject),
    aki: akiFor(cert),
  };
}

const LEAF_EXTENSIONS = [
  new x509.BasicConstraintsExtension(false, undefined, true),
  new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
  new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
];

/** Issues an X509-SVID leaf for an EC P-256 key (canonical 91-byte DER SPKI). Returns PEM and serial (hex). */
export async function issueLeaf(
  signer: Signer,
  spki: Buffer,
  spiffeId: string,
  notBefore: Date,
  notAfter: Date,
): Promise<{ pem: string; serial: string }> {
  // RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits, which for an uncompressed P-256 point
  // are the last 65 bytes of the SPKI. Computed natively; @peculiar's path goes through WebCrypto.
  const ski = createHash('sha1').update(spki.subarray(spki.length - 65)).digest('hex');
  const serial = randomSerial();
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial,
      // No subject: the SPIFFE ID is the identity. RFC 5280 then requires the SAN to be critical.
      issuer: signer.issuerName,
      notBefore,
      notAfter,
      publicKey: spki,
      signingKey: signer.key.key,
      signingAlgorithm: signer.key.algorithm,
      extensions: [
        ...LEAF_EXTENSIONS,
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: spiffeId }], true),
        new x509.SubjectKeyIdentifierExtension(ski),
        ...(signer.aki ? [signer.aki] : []),
      ],
    },
    x509Crypto,
  );
  return { pem: derToPem(cert.rawData, 'CERTIFICATE'), serial };
}
