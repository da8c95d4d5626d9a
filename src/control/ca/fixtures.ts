// Test support (not imported by production code): hand-crafted CAs and leaves built directly with
// @peculiar/x509, so tests can produce certificates weft's CA would refuse to issue, and a real TLS
// handshake helper. Named so `node --test` does not pick it up as a test file.
import { createPrivateKey, webcrypto, type X509Certificate as NodeX509 } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { derToPem } from '../../identity/pem.js';
import { EC_P256, x509, x509Crypto } from './x509.js';

type KeyPair = webcrypto.CryptoKeyPair;

export interface TestCa {
  rootPem: string;
  intermediatePem: string;
  intermediateKeyPem: string;
  root: x509.X509Certificate;
  intermediate: x509.X509Certificate;
  rootKeys: KeyPair;
  intermediateKeys: KeyPair;
}

export async function keyPair(): Promise<KeyPair> {
  return webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
}

export async function keyPem(keys: KeyPair): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }) as string;
}

const CA_USAGES = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign;

function hoursFromNow(h: number): Date {
  return new Date(Math.floor(Date.now() / 1000) * 1000 + h * 3600_000);
}

export interface TestCaOptions {
  trustDomain?: string;
  /** Basic constraints of the intermediate (default CA:true, pathLen 0). */
  intermediateIsCa?: boolean;
  /** Sign the intermediate with another CA's root instead of this one (it still names this root as issuer). */
  intermediateSignedBy?: TestCa;
  intermediateNotAfter?: Date;
}

export async function makeTestCa(opts: TestCaOptions = {}): Promise<TestCa> {
  const td = opts.trustDomain ?? 'mesh.local';
  const tag = Math.random().toString(16).slice(2, 10);
  const rootKeys = await keyPair();
  const root = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: `CN=test root ${tag}, O=example`,
      notBefore: hoursFromNow(-1),
      notAfter: hoursFromNow(24 * 365),
      keys: rootKeys,
      signingAlgorithm: EC_P256,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(CA_USAGES, true),
        await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey, false, x509Crypto),
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: `spiffe://${td}` }]),
      ],
    },
    x509Crypto,
  );
  const intermediateKeys = await keyPair();
  const isCa = opts.intermediateIsCa ?? true;
  const signer = opts.intermediateSignedBy?.rootKeys ?? rootKeys;
  const intermediate = await x509.X509CertificateGenerator.create(
    {
      subject: `CN=test intermediate ${tag}, O=example`,
      issuer: root.subjectName,
      notBefore: hoursFromNow(-1),
      notAfter: opts.intermediateNotAfter ?? hoursFromNow(24 * 30),
      publicKey: intermediateKeys.publicKey,
      signingKey: signer.privateKey,
      signingAlgorithm: EC_P256,
      extensions: [
        new x509.BasicConstraintsExtension(isCa, isCa ? 0 : undefined, true),
        new x509.KeyUsagesExtension(isCa ? CA_USAGES : x509.KeyUsageFlags.digitalSignature, true),
        await x509.SubjectKeyIdentifierExtension.create(intermediateKeys.publicKey, false, x509Crypto),
        await x509.AuthorityKeyIdentifierExtension.create(rootKeys.publicKey, false, x509Crypto),
      ],
    },
    x509Crypto,
  );
  return {
    rootPem: derToPem(root.rawData, 'CERTIFICATE'),
    intermediatePem: derToPem(intermediate.rawData, 'CERTIFICATE'),
    intermediateKeyPem: await keyPem(intermediateKeys),
    root,
    intermediate,
    rootKeys,
    intermediateKeys,
  };
}

export interface LeafOptions {
  /** URI SANs (default one: spiffe://mesh.local/ns/default/sa/test). */
  uris?: string[];
  /** DNS SANs (a server certificate for names, e.g. a gateway's); given alone, no URI SAN. */
  dns?: string[];
  ca?: boolean;
  /** EKU OIDs; null omits the extension. Default serverAuth + clientAuth. */
  eku?: string[] | null;
  keyUsage?: number;
  notBefore?: Date;
  notAfter?: Date;
}

export interface TestLeaf {
  certPem: string;
  keyPem: string;
  /** [leaf, intermediate] */
  chainPem: string[];
}

/** A leaf signed by the test CA's intermediate with exactly the properties asked for. */
export async function makeLeaf(ca: TestCa, opts: LeafOptions = {}): Promise<TestLeaf> {
  const keys = await keyPair();
  const uris = opts.uris ?? (opts.dns !== undefined ? [] : ['spiffe://mesh.local/ns/default/sa/test']);
  const dns = opts.dns ?? [];
  const eku = opts.eku === undefined ? [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth] : opts.eku;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(opts.ca ?? false, undefined, true),
    new x509.KeyUsagesExtension(opts.keyUsage ?? x509.KeyUsageFlags.digitalSignature, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, x509Crypto),
    await x509.AuthorityKeyIdentifierExtension.create(ca.intermediateKeys.publicKey, false, x509Crypto),
  ];
  const sans = [...uris.map((value) => ({ type: 'url' as const, value })), ...dns.map((value) => ({ type: 'dns' as const, value }))];
  if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans, true));
  if (eku) extensions.push(new x509.ExtendedKeyUsageExtension(eku));
  const cert = await x509.X509CertificateGenerator.create(
    {
      subject: dns.length > 0 ? `CN=${dns[0]}` : uris.length === 0 ? 'CN=no-uri' : undefined,
      issuer: ca.intermediate.subjectName,
      notBefore: opts.notBefore ?? hoursFromNow(-1),
      notAfter: opts.notAfter ?? hoursFromNow(1),
      publicKey: keys.publicKey,
      signingKey: ca.intermediateKeys.privateKey,
      signingAlgorithm: EC_P256,
      extensions,
    },
    x509Crypto,
  );
  const certPem = derToPem(cert.rawData, 'CERTIFICATE');
  return { certPem, keyPem: await keyPem(keys), chainPem: [certPem, ca.intermediatePem] };
}

export interface TlsCreds {
  keyPem: string;
  /** [leaf, intermediates...] */
  chainPem: string[];
  /** Trusted roots. */
  ca: string[];
}

export type HandshakeResult =
  | { ok: true; protocol: string | null; serverSawClient: NodeX509; clientSawServer: NodeX509 }
  | {
      ok: false;
      serverError?: Error & { code?: string };
      /** OpenSSL's verdict on the client certificate: Node destroys the socket and reports only "socket hang up". */
      serverAuthorizationError?: string;
      clientError?: Error & { code?: string };
    };

/**
 * A mutual TLS 1.3 handshake on loopback (port 0) as weft proxies do it: both sides verify the peer chain
 * against their roots (rejectUnauthorized) and the client skips hostname checks, since identity is the
 * SPIFFE ID. Resolves once both ends have an outcome; rejects only if that takes longer than `deadlineMs`.
 */
export async function handshake(server: TlsCreds, client: TlsCreds, deadlineMs = 5000): Promise<HandshakeResult> {
  const srv = tls.createServer({
    key: server.keyPem,
    cert: server.chainPem.join(''),
    ca: server.ca,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.3',
  });
  const sockets: tls.TLSSocket[] = [];
  const serverOutcome = new Promise<{ cert?: NodeX509; error?: Error; authorizationError?: string }>((resolve) => {
    srv.on('secureConnection', (s) => {
      sockets.push(s);
      resolve({ cert: s.getPeerX509Certificate() });
    });
    srv.on('tlsClientError', (error, s) => resolve({ error, authorizationError: s.authorizationError?.toString() }));
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  const sock = tls.connect({
    host: '127.0.0.1',
    port,
    key: client.keyPem,
    cert: client.chainPem.join(''),
    ca: client.ca,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.3',
    checkServerIdentity: () => undefined,
  });
  sockets.push(sock);
  const clientOutcome = new Promise<{ cert?: NodeX509; error?: Error; protocol?: string | null }>((resolve) => {
    sock.on('secureConnect', () => resolve({ cert: sock.getPeerX509Certificate(), protocol: sock.getProtocol() }));
    sock.on('error', (error) => resolve({ error }));
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`TLS handshake gave no outcome within ${deadlineMs} ms`)), deadlineMs);
  });
  try {
    const [s, c] = await Promise.race([Promise.all([serverOutcome, clientOutcome]), deadline]);
    if (s.cert && c.cert) return { ok: true, protocol: c.protocol ?? null, serverSawClient: s.cert, clientSawServer: c.cert };
    return { ok: false, serverError: s.error, serverAuthorizationError: s.authorizationError, clientError: c.error };
  } finally {
    clearTimeout(timer);
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  }
}
