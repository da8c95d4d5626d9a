import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, webcrypto, X509Certificate } from 'node:crypto';
import { beforeEach, describe, it } from 'node:test';
import { makeTestCa, type TestCa } from './fixtures.js';
import { checkPeerSvid, generateKeyAndCsr, svidInfo, verifyChain } from '../../identity/index.js';
import { derToPem } from '../../identity/pem.js';
import { EC_P256, x509, x509Crypto } from './x509.js';
import { CertificateAuthority, type CaStateStore, type IssuedSvid } from './index.js';

const TD = 'mesh.local';
const DAY = 24 * 3600_000;

/** The store contract, in memory; values go through JSON like a real store's would. */
class MemoryStore implements CaStateStore {
  readonly data = new Map<string, string>();
  puts = 0;
  failing = false;
  getState<T>(name: string): T | undefined {
    const v = this.data.get(name);
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }
  async putState(name: string, value: unknown): Promise<void> {
    if (this.failing) throw new Error('disk full');
    this.puts++;
    this.data.set(name, JSON.stringify(value));
  }
}

let nowMs: number;
const now = () => new Date(nowMs);
let store: MemoryStore;

beforeEach(() => {
  nowMs = Math.floor(Date.now() / 1000) * 1000;
  store = new MemoryStore();
});

const open = (s: CaStateStore = store, trustDomain = TD) => CertificateAuthority.open(s, { trustDomain, now });

async function issue(ca: CertificateAuthority, sa = 'web', ttl = 3600): Promise<IssuedSvid & { keyPem: string; csrPem: string }> {
  const { keyPem, csrPem } = await generateKeyAndCsr();
  return { ...(await ca.signCsr(csrPem, { namespace: 'default', serviceAccount: sa }, ttl)), keyPem, csrPem };
}

function ext<T extends x509.Extension>(pem: string, type: new (raw: ArrayBuffer) => T): T {
  const e = new x509.X509Certificate(pem).getExtension(type);
  assert.ok(e, `missing ${type.name}`);
  return e;
}

describe('CertificateAuthority.open', () => {
  it('creates a root and an intermediate on first start and persists them', async () => {
    const ca = await open();
    assert.equal(store.puts, 1);
    assert.equal(ca.trustDomain, TD);
    assert.equal(ca.rotationPhase, 'none');
    const state = store.getState<{ version: number; bundle: string[]; active: Record<string, string> }>('ca')!;
    assert.equal(state.version, 1);
    assert.deepEqual(state.bundle, ca.trustBundle());
    assert.match(state.active.rootKeyPem!, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.match(state.active.intermediateKeyPem!, /^-----BEGIN PRIVATE KEY-----\n/);

    const [rootPem] = ca.trustBundle();
    const root = new X509Certificate(rootPem!);
    assert.equal(ca.trustBundle().length, 1);
    assert.ok(root.ca && root.checkIssued(root) && root.verify(root.publicKey), 'root is a self-signed CA');
    assert.equal(root.subjectAltName, `URI:spiffe://${TD}`);
    assert.equal(root.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    const rootKu = ext(rootPem!, x509.KeyUsagesExtension);
    assert.equal(rootKu.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    assert.equal(rootKu.critical, true);
    const rootYears = (Date.parse(root.validTo) - nowMs) / (365.25 * DAY);
    assert.ok(Math.abs(rootYears - 10) < 0.01, `root lives 10 years, got ${rootYears}`);

    const [interPem] = ca.signingChain();
    const inter = new X509Certificate(interPem!);
    assert.ok(inter.ca && inter.checkIssued(root) && inter.verify(root.publicKey), 'intermediate is a CA signed by the root');
    const bc = ext(interPem!, x509.BasicConstraintsExtension);
    assert.deepEqual([bc.ca, bc.pathLength, bc.critical], [true, 0, true]);
    assert.equal(ext(interPem!, x509.KeyUsagesExtension).usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    const interYears = (Date.parse(inter.validTo) - nowMs) / (365.25 * DAY);
    assert.ok(Math.abs(interYears - 1) < 0.01, `intermediate lives 1 year, got ${interYears}`);
    assert.equal(Date.parse(inter.validFrom), nowMs - 60_000);
  });

  it('loads the same CA on later starts', async () => {
    const first = await open();
    const second = await open();
    assert.equal(store.puts, 1, 'nothing new is created');
    assert.deepEqual(second.trustBundle(), first.trustBundle());
    assert.deepEqual(second.signingChain(), first.signingChain());
    const svid = await issue(second);
    assert.deepEqual(verifyChain(svid.chainPem, first.trustBundle(), now()), { ok: true });
  });

  it('refuses state that belongs to another trust domain', async () => {
    await open();
    await assert.rejects(open(store, 'other.local'), /CA state "ca": belongs to trust domain mesh.local, not other.local/);
  });

  it('refuses invalid trust domains and corrupt state', async () => {
    await assert.rejects(open(store, 'Mesh.Local'), /CA: invalid trust domain: trust domain "Mesh.Local" may only contain/);
    store.data.set('ca', JSON.stringify({ version: 1, trustDomain: TD, bundle: [], phase: 'none' }));
    await assert.rejects(open(), /CA state "ca": bundle must be a non-empty list/);
    store.data.set('ca', JSON.stringify({ version: 7 }));
    await assert.rejects(open(), /CA state "ca": unrecognised format/);
  });
});

describe('CertificateAuthority.signCsr', () => {
  it('issues an X509-SVID that verifies against the trust bundle and passes peer checks', async () => {
    const ca = await open();
    const svid = await issue(ca, 'web', 3600);
    const id = `spiffe://${TD}/ns/default/sa/web`;
    assert.equal(svid.spiffeId, id);
    assert.equal(svid.chainPem.length, 2);
    assert.equal(svid.chainPem[1], ca.signingChain()[0]);
    assert.deepEqual(verifyChain(svid.chainPem, ca.trustBundle(), now()), { ok: true });
    assert.deepEqual(checkPeerSvid(new X509Certificate(svid.chainPem[0]!), { trustDomain: TD, now: now() }), { ok: true, spiffeId: id });

    assert.match(svid.serial, /^[0-9a-f]{32}$/);
    assert.equal(svid.notBefore.getTime(), nowMs - 60_000);
    assert.equal(svid.notAfter.getTime(), nowMs + 3600_000);
    assert.deepEqual(svidInfo(svid.chainPem[0]!), { spiffeId: id, serial: svid.serial, notBefore: svid.notBefore, notAfter: svid.notAfter });

    const leafPem = svid.chainPem[0]!;
    const leaf = new x509.X509Certificate(leafPem);
    assert.equal(leaf.subject, '');
    const san = ext(leafPem, x509.SubjectAlternativeNameExtension);
    assert.equal(san.critical, true, 'SAN is critical when the subject is empty');
    assert.deepEqual(san.names.toJSON(), [{ type: 'url', value: id }]);
    const bc = ext(leafPem, x509.BasicConstraintsExtension);
    assert.deepEqual([bc.ca, bc.critical], [false, true]);
    const ku = ext(leafPem, x509.KeyUsagesExtension);
    assert.deepEqual([ku.usages, ku.critical], [x509.KeyUsageFlags.digitalSignature, true]);
    assert.deepEqual([...ext(leafPem, x509.ExtendedKeyUsageExtension).usages], [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]);
    const ski = ext(leafPem, x509.SubjectKeyIdentifierExtension).keyId;
    assert.equal(ski, Buffer.from(await new x509.PublicKey(leaf.publicKey.rawData).getKeyIdentifier(x509Crypto)).toString('hex'));
    assert.equal(ext(leafPem, x509.AuthorityKeyIdentifierExtension).keyId, ext(ca.signingChain()[0]!, x509.SubjectKeyIdentifierExtension).keyId);
    const leafKey = new X509Certificate(leafPem).publicKey.export({ format: 'jwk' });
    assert.deepEqual(leafKey, createPublicKey(svid.keyPem).export({ format: 'jwk' }), 'the leaf certifies the CSR key');

    const again = await issue(ca);
    assert.notEqual(again.serial, svid.serial);
  });

  it('ignores the subject and SANs a CSR asks for', async () => {
    const ca = await open();
    const keys = await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create(
      {
        name: 'CN=admin, O=system:masters',
        keys,
        signingAlgorithm: EC_P256,
        extensions: [
          new x509.SubjectAlternativeNameExtension([
            { type: 'url', value: `spiffe://${TD}/ns/kube-system/sa/admin` },
            { type: 'dns', value: 'evil.example' },
          ]),
        ],
      },
      x509Crypto,
    );
    const svid = await ca.signCsr(csr.toString('pem'), { namespace: 'default', serviceAccount: 'web' }, 600);
    const leaf = new x509.X509Certificate(svid.chainPem[0]!);
    assert.equal(leaf.subject, '');
    assert.deepEqual(ext(svid.chainPem[0]!, x509.SubjectAlternativeNameExtension).names.toJSON(), [{ type: 'url', value: `spiffe://${TD}/ns/default/sa/web` }]);
  });

  it('rejects a CSR whose public key was swapped for another', async () => {
    const ca = await open();
    const { csrPem } = await generateKeyAndCsr();
    const other = await generateKeyAndCsr();
    const der = Buffer.from(new x509.Pkcs10CertificateRequest(csrPem).rawData);
    const mine = Buffer.from(new x509.Pkcs10CertificateRequest(csrPem).publicKey.rawData);
    const theirs = Buffer.from(new x509.Pkcs10CertificateRequest(other.csrPem).publicKey.rawData);
    const at = der.indexOf(mine);
    assert.ok(at > 0);
    theirs.copy(der, at);
    const forged = derToPem(der, 'CERTIFICATE REQUEST');
    await assert.rejects(
      ca.signCsr(forged, { namespace: 'default', serviceAccount: 'web' }, 600),
      /^Error: signCsr: CSR signature does not verify: the request was altered or not signed by its own key$/,
    );
  });

  it('rejects a CSR whose content was altered after signing', async () => {
    const ca = await open();
    const keys = await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=aaaa', keys, signingAlgorithm: EC_P256 }, x509Crypto);
    const der = Buffer.from(csr.rawData);
    const at = der.indexOf(Buffer.from('aaaa'));
    der[at + 3] = 'b'.charCodeAt(0);
    await assert.rejects(ca.signCsr(derToPem(der, 'CERTIFICATE REQUEST'), { namespace: 'default', serviceAccount: 'web' }, 600), /CSR signature does not verify/);
  });

  it('accepts only EC P-256 keys and well-formed CSRs', async () => {
    const ca = await open();
    const id = { namespace: 'default', serviceAccount: 'web' };
    const p384 = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify']);
    const csr384 = await x509.Pkcs10CertificateRequestGenerator.create({ keys: p384, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' } }, x509Crypto);
    await assert.rejects(ca.signCsr(csr384.toString('pem'), id, 600), /signCsr: CSR key must be ECDSA P-256 \(uncompressed point\), got ec secp384r1/);
    await assert.rejects(ca.signCsr('hello', id, 600), /signCsr: CSR must contain exactly one PEM "CERTIFICATE REQUEST" block, found 0/);
    await assert.rejects(ca.signCsr(derToPem(Buffer.from('not asn.1 at all'), 'CERTIFICATE REQUEST'), id, 600), /signCsr: CSR is not a valid PKCS#10 request/);
  });

  it('rejects invalid identities and TTLs', async () => {
    const ca = await open();
    const { csrPem } = await generateKeyAndCsr();
    for (const ttl of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await assert.rejects(ca.signCsr(csrPem, { namespace: 'default', serviceAccount: 'web' }, ttl), /signCsr: ttlSeconds must be a positive number/);
    }
    await assert.rejects(ca.signCsr(csrPem, { namespace: 'a/b', serviceAccount: 'web' }, 60), /signCsr: cannot build a SPIFFE ID: namespace: path segment "a\/b"/);
    await assert.rejects(ca.signCsr(csrPem, { namespace: 'default', serviceAccount: '' }, 60), /service account: path segment is empty/);
  });

  it('honours the TTL and caps it at the intermediate expiry', async () => {
    const ca = await open();
    assert.equal((await issue(ca, 'web', 600)).notAfter.getTime(), nowMs + 600_000);
    const interNotAfter = Date.parse(new X509Certificate(ca.signingChain()[0]!).validTo);
    const long = await issue(ca, 'web', 5 * 365 * 24 * 3600);
    assert.equal(long.notAfter.getTime(), interNotAfter);
    assert.deepEqual(verifyChain(long.chainPem, ca.trustBundle(), now()), { ok: true });
  });

  it('renews its own intermediate under the same root before it runs out', async () => {
    const ca = await open();
    const bundle = ca.trustBundle();
    const chain = ca.signingChain();
    nowMs += 300 * DAY; // less than a third of the 1-year intermediate left
    const svid = await issue(ca, 'web', 3600);
    assert.notDeepEqual(ca.signingChain(), chain, 'a new intermediate signs');
    assert.deepEqual(ca.trustBundle(), bundle, 'trust is unchanged');
    assert.equal(svid.notAfter.getTime(), nowMs + 3600_000, 'not capped by the old intermediate');
    assert.deepEqual(verifyChain(svid.chainPem, bundle, now()), { ok: true });
    assert.equal(store.puts, 2);
    assert.deepEqual((await open()).signingChain(), ca.signingChain(), 'the renewal is persisted');
  });

  it('keeps signing with the current intermediate when persisting a renewal fails', async () => {
    const ca = await open();
    const chain = ca.signingChain();
    nowMs += 300 * DAY;
    store.failing = true;
    const svid = await issue(ca);
    assert.deepEqual(ca.signingChain(), chain);
    assert.equal(svid.chainPem[1], chain[0]);
    store.failing = false;
    await issue(ca);
    assert.notDeepEqual(ca.signingChain(), chain, 'renewed on the next call');
  });

  it('caps at, and then refuses past, the expiry of an imported intermediate it cannot renew', async () => {
    const ca = await open();
    const org = await makeTestCa({ trustDomain: TD, intermediateNotAfter: new Date(nowMs + 2 * 3600_000) });
    await ca.importCa({ rootCertPem: org.rootPem, intermediateCertPem: org.intermediatePem, intermediateKeyPem: org.intermediateKeyPem });
    assert.equal((await issue(ca, 'web', 24 * 3600)).notAfter.getTime(), nowMs + 2 * 3600_000);
    nowMs += 3 * 3600_000;
    await assert.rejects(issue(ca), /signCsr: the signing intermediate expired at .*; import a new CA or rotate/);
  });
});

describe('CertificateAuthority.importCa', () => {
  let ca: CertificateAuthority;
  let org: TestCa;
  beforeEach(async () => {
    ca = await open();
    org = await makeTestCa({ trustDomain: TD });
  });

  it("switches trust and signing to an organisation's root and intermediate", async () => {
    const before = await issue(ca);
    await ca.importCa({ rootCertPem: org.rootPem, intermediateCertPem: org.intermediatePem, intermediateKeyPem: org.intermediateKeyPem });
    assert.deepEqual(ca.trustBundle(), [org.rootPem]);
    assert.deepEqual(ca.signingChain(), [org.intermediatePem]);
    assert.equal(ca.rotationPhase, 'none');
    const svid = await issue(ca);
    assert.deepEqual(verifyChain(svid.chainPem, ca.trustBundle(), now()), { ok: true });
    assert.equal(checkPeerSvid(new X509Certificate(svid.chainPem[0]!), { trustDomain: TD, now: now() }).ok, true);
    assert.equal(verifyChain(before.chainPem, ca.trustBundle(), now()).ok, false, 'leaves of the old CA are no longer trusted');
    const reopened = await open();
    assert.deepEqual([reopened.trustBundle(), reopened.signingChain()], [[org.rootPem], [org.intermediatePem]]);
  });

  it('accepts an RSA intermediate and a key in another PEM encoding', async () => {
    const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
    const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    const cert = await x509.X509CertificateGenerator.create(
      {
        subject: 'CN=org rsa intermediate',
        issuer: org.root.subjectName,
        notBefore: new Date(nowMs - 3600_000),
        notAfter: new Date(nowMs + 30 * DAY),
        publicKey: keys.publicKey,
        signingKey: org.rootKeys.privateKey,
        signingAlgorithm: EC_P256,
        extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
      },
      x509Crypto,
    );
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    const pkcs1 = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs1', format: 'pem' }) as string;
    assert.match(pkcs1, /^-----BEGIN RSA PRIVATE KEY-----/);
    await ca.importCa({ rootCertPem: org.rootPem, intermediateCertPem: cert.toString('pem'), intermediateKeyPem: pkcs1 });
    const svid = await issue(ca);
    assert.deepEqual(verifyChain(svid.chainPem, [org.rootPem], now()), { ok: true });
    assert.match(store.getState<{ active: { intermediateKeyPem: string } }>('ca')!.active.intermediateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  });

  async function rejectsUnchanged(input: Parameters<CertificateAuthority['importCa']>[0], message: RegExp) {
    const before = { bundle: ca.trustBundle(), chain: ca.signingChain(), phase: ca.rotationPhase, stored: store.data.get('ca'), puts: store.puts };
    await assert.rejects(ca.importCa(input), message);
    const after = { bundle: ca.trustBundle(), chain: ca.signingChain(), phase: ca.rotationPhase, stored: store.data.get('ca'), puts: store.puts };
    assert.deepEqual(after, before, 'nothing changed');
    const svid = await issue(ca);
    assert.deepEqual(verifyChain(svid.chainPem, before.bundle, now()), { ok: true }, 'still signs with the old CA');
  }

  it('rejects a key that does not match the intermediate', async () => {
    const other = await makeTestCa({ trustDomain: TD });
    await rejectsUnchanged(
      { rootCertPem: org.rootPem, intermediateCertPem: org.intermediatePem, intermediateKeyPem: other.intermediateKeyPem },
      /^Error: importCa: intermediateKeyPem does not match the intermediate certificate's public key$/,
    );
  });

  it('rejects an intermediate from another root', async () => {
    const other = await makeTestCa({ trustDomain: TD });
    await rejectsUnchanged(
      { rootCertPem: org.rootPem, intermediateCertPem: other.intermediatePem, intermediateKeyPem: other.intermediateKeyPem },
      /^Error: importCa: intermediate certificate was not issued by the root/,
    );
  });

  it("rejects an intermediate that names the root but carries another key's signature", async () => {
    const forger = await makeTestCa({ trustDomain: TD });
    const forged = await makeTestCa({ trustDomain: TD, intermediateSignedBy: forger });
    await rejectsUnchanged(
      { rootCertPem: forged.rootPem, intermediateCertPem: forged.intermediatePem, intermediateKeyPem: forged.intermediateKeyPem },
      /^Error: importCa: intermediate certificate's signature does not verify with the root's key$/,
    );
  });

  it('rejects an intermediate that is not a CA', async () => {
    const bad = await makeTestCa({ trustDomain: TD, intermediateIsCa: false });
    await rejectsUnchanged(
      { rootCertPem: bad.rootPem, intermediateCertPem: bad.intermediatePem, intermediateKeyPem: bad.intermediateKeyPem },
      /^Error: importCa: intermediate certificate is not a CA/,
    );
  });

  it('rejects an expired intermediate', async () => {
    const old = await makeTestCa({ trustDomain: TD, intermediateNotAfter: new Date(nowMs - 60_000) });
    await rejectsUnchanged(
      { rootCertPem: old.rootPem, intermediateCertPem: old.intermediatePem, intermediateKeyPem: old.intermediateKeyPem },
      /^Error: importCa: intermediate certificate expired at /,
    );
  });

  it('rejects a root that is not self-signed, another trust domain, and junk', async () => {
    await rejectsUnchanged(
      { rootCertPem: org.intermediatePem, intermediateCertPem: org.intermediatePem, intermediateKeyPem: org.intermediateKeyPem },
      /^Error: importCa: root certificate is not self-signed$/,
    );
    const foreign = await makeTestCa({ trustDomain: 'other.local' });
    await rejectsUnchanged(
      { rootCertPem: foreign.rootPem, intermediateCertPem: foreign.intermediatePem, intermediateKeyPem: foreign.intermediateKeyPem },
      /^Error: importCa: root certificate names trust domain other.local, not mesh.local$/,
    );
    await rejectsUnchanged(
      { rootCertPem: 'junk', intermediateCertPem: org.intermediatePem, intermediateKeyPem: org.intermediateKeyPem },
      /^Error: importCa: rootCertPem is not a certificate: rootCertPem: expected exactly one PEM "CERTIFICATE" block, found 0$/,
    );
    await rejectsUnchanged(
      { rootCertPem: org.rootPem, intermediateCertPem: org.intermediatePem, intermediateKeyPem: 'junk' },
      /^Error: importCa: intermediateKeyPem is not a readable private key/,
    );
  });
});

describe('CA rotation', () => {
  it('rotates in three persisted steps; old leaves verify until the old root is dropped', async () => {
    const ca = await open();
    const [oldRoot] = ca.trustBundle();
    const oldChain = ca.signingChain();
    const old = await issue(ca, 'old');

    await ca.beginRotation();
    assert.equal(ca.rotationPhase, 'bundle-extended');
    const bundle = ca.trustBundle();
    assert.equal(bundle.length, 2);
    assert.equal(bundle[0], oldRoot);
    assert.deepEqual(ca.signingChain(), oldChain, 'still signing with the old intermediate');
    assert.deepEqual(verifyChain(old.chainPem, bundle, now()), { ok: true });
    const reopened = await open();
    assert.deepEqual([reopened.rotationPhase, reopened.trustBundle(), reopened.signingChain()], ['bundle-extended', bundle, oldChain]);

    await ca.switchSigning();
    assert.equal(ca.rotationPhase, 'signing-new');
    assert.notDeepEqual(ca.signingChain(), oldChain);
    assert.deepEqual(ca.trustBundle(), bundle);
    const fresh = await issue(ca, 'new');
    assert.deepEqual(verifyChain(fresh.chainPem, bundle, now()), { ok: true });
    assert.deepEqual(verifyChain(old.chainPem, bundle, now()), { ok: true });
    assert.equal(verifyChain(fresh.chainPem, [oldRoot!], now()).ok, false, 'the new leaf chains to the new root');
    assert.equal((await open()).rotationPhase, 'signing-new');

    await ca.finishRotation();
    assert.equal(ca.rotationPhase, 'none');
    assert.deepEqual(ca.trustBundle(), [bundle[1]]);
    assert.deepEqual(verifyChain(old.chainPem, ca.trustBundle(), now()), { ok: false, reason: 'chain[1] was not issued by any root in the trust bundle' });
    assert.deepEqual(verifyChain(fresh.chainPem, ca.trustBundle(), now()), { ok: true });
    const last = await open();
    assert.deepEqual([last.rotationPhase, last.trustBundle(), last.signingChain()], ['none', [bundle[1]], ca.signingChain()]);
  });

  it('refuses steps out of order', async () => {
    const ca = await open();
    await assert.rejects(ca.switchSigning(), /^Error: switchSigning: rotation phase is none, expected bundle-extended$/);
    await assert.rejects(ca.finishRotation(), /^Error: finishRotation: rotation phase is none, expected signing-new$/);
    await ca.beginRotation();
    await assert.rejects(ca.beginRotation(), /^Error: beginRotation: rotation phase is bundle-extended, expected none$/);
    await assert.rejects(ca.finishRotation(), /expected signing-new/);
  });

  it('changes nothing when the store cannot persist a step', async () => {
    const ca = await open();
    const bundle = ca.trustBundle();
    store.failing = true;
    await assert.rejects(ca.beginRotation(), /disk full/);
    assert.equal(ca.rotationPhase, 'none');
    assert.deepEqual(ca.trustBundle(), bundle);
    store.failing = false;
    await ca.beginRotation();
    assert.equal(ca.trustBundle().length, 2);
  });
});
