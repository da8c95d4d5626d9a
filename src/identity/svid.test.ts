import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { handshake, makeLeaf, makeTestCa, type TestCa, type TestLeaf, type TlsCreds } from '../control/ca/fixtures.js';
import { checkPeerSvid, generateKeyAndCsr, svidInfo, verifyChain } from './index.js';
import { x509 } from '../control/ca/x509.js';

const TD = 'mesh.local';
const check = (leaf: TestLeaf, now?: Date) => checkPeerSvid(new X509Certificate(leaf.certPem), { trustDomain: TD, now });
const creds = (leaf: TestLeaf, ca: TestCa): TlsCreds => ({ keyPem: leaf.keyPem, chainPem: leaf.chainPem, ca: [ca.rootPem] });

describe('checkPeerSvid', () => {
  let ca: TestCa;
  let good: TestLeaf;
  before(async () => {
    ca = await makeTestCa({ trustDomain: TD });
    good = await makeLeaf(ca, { uris: ['spiffe://mesh.local/ns/default/sa/server'] });
  });

  it('accepts a well-formed SVID of our trust domain', () => {
    assert.deepEqual(check(good), { ok: true, spiffeId: 'spiffe://mesh.local/ns/default/sa/server' });
  });

  it('rejects another trust domain, which OpenSSL alone accepts', async () => {
    const peer = await makeLeaf(ca, { uris: ['spiffe://other.local/ns/default/sa/client'] });
    const r = await handshake(creds(good, ca), creds(peer, ca));
    assert.ok(r.ok, 'handshake should succeed: the chain is valid');
    assert.deepEqual(checkPeerSvid(r.serverSawClient, { trustDomain: TD }), { ok: false, reason: 'peer trust domain other.local != mesh.local' });
  });

  it('leaves a different CA to the TLS handshake, which fails', async () => {
    const foreignCa = await makeTestCa({ trustDomain: TD });
    const foreign = await makeLeaf(foreignCa, { uris: ['spiffe://mesh.local/ns/default/sa/intruder'] });
    // Foreign client -> our server: the server rejects the client certificate.
    const asClient = await handshake(creds(good, ca), { ...creds(foreign, foreignCa), ca: [ca.rootPem] });
    assert.ok(!asClient.ok && asClient.serverError, 'server must reject the client');
    assert.equal(asClient.serverAuthorizationError, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
    // Our client -> foreign server: the client rejects the server certificate.
    const asServer = await handshake({ ...creds(foreign, foreignCa), ca: [ca.rootPem] }, creds(good, ca));
    assert.ok(!asServer.ok && asServer.clientError, 'client must reject the server');
    assert.equal(asServer.clientError!.code, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
    // checkPeerSvid does not look at signatures (OpenSSL did); verifyChain says why the chain is bad.
    assert.equal(check(foreign).ok, true);
    assert.deepEqual(verifyChain(foreign.chainPem, [ca.rootPem]), { ok: false, reason: 'chain[1] was not issued by any root in the trust bundle' });
  });

  it('rejects two URI SANs', async () => {
    const leaf = await makeLeaf(ca, { uris: ['spiffe://mesh.local/ns/a/sa/b', 'spiffe://mesh.local/ns/a/sa/admin'] });
    assert.deepEqual(check(leaf), { ok: false, reason: 'peer certificate has 2 URI SANs' });
  });

  it('rejects no URI SAN', async () => {
    const leaf = await makeLeaf(ca, { uris: [] });
    assert.deepEqual(check(leaf), { ok: false, reason: 'peer certificate has 0 URI SANs' });
  });

  it('rejects a URI SAN that is not a SPIFFE ID', async () => {
    const leaf = await makeLeaf(ca, { uris: ['https://mesh.local/ns/a/sa/b'] });
    assert.deepEqual(check(leaf), { ok: false, reason: 'peer URI SAN "https://mesh.local/ns/a/sa/b" is not a valid SPIFFE ID' });
  });

  it('rejects a SPIFFE ID without a path (a trust domain, not a workload)', async () => {
    const leaf = await makeLeaf(ca, { uris: ['spiffe://mesh.local'] });
    assert.deepEqual(check(leaf), { ok: false, reason: 'peer SPIFFE ID has no path' });
  });

  it('rejects a CA:true leaf', async () => {
    const leaf = await makeLeaf(ca, { ca: true });
    assert.deepEqual(check(leaf), { ok: false, reason: 'peer certificate is a CA' });
  });

  it('rejects a leaf whose key usage allows certificate signing', async () => {
    const leaf = await makeLeaf(ca, { keyUsage: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign });
    assert.deepEqual(check(leaf), { ok: false, reason: 'peer certificate key usage allows certificate signing' });
  });

  it('rejects a missing EKU', async () => {
    const leaf = await makeLeaf(ca, { eku: null });
    assert.deepEqual(check(leaf), { ok: false, reason: 'peer certificate has no EKU' });
  });

  it('rejects an EKU with only serverAuth', async () => {
    const leaf = await makeLeaf(ca, { eku: [x509.ExtendedKeyUsage.serverAuth] });
    assert.deepEqual(check(leaf), { ok: false, reason: 'peer certificate lacks EKU clientAuth' });
  });

  it('rejects an EKU with only clientAuth', async () => {
    const leaf = await makeLeaf(ca, { eku: [x509.ExtendedKeyUsage.clientAuth] });
    assert.deepEqual(check(leaf), { ok: false, reason: 'peer certificate lacks EKU serverAuth' });
  });

  it('rejects an expired certificate', async () => {
    const notAfter = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const leaf = await makeLeaf(ca, { notBefore: new Date(notAfter.getTime() - 3600_000), notAfter });
    assert.deepEqual(check(leaf), { ok: false, reason: `peer certificate expired at ${notAfter.toISOString()}` });
  });

  it('rejects a certificate that is not yet valid', async () => {
    const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000 + 3600_000);
    const leaf = await makeLeaf(ca, { notBefore, notAfter: new Date(notBefore.getTime() + 3600_000) });
    assert.deepEqual(check(leaf), { ok: false, reason: `peer certificate is not valid before ${notBefore.toISOString()}` });
  });

  it('judges validity at the time given', () => {
    assert.match((check(good, new Date(Date.now() + 7 * 24 * 3600_000)) as { reason: string }).reason, /^peer certificate expired at /);
  });
});

describe('svidInfo', () => {
  it('reads identity, serial and validity of a leaf', async () => {
    const ca = await makeTestCa();
    const leaf = await makeLeaf(ca, { uris: ['spiffe://mesh.local/ns/default/sa/web'] });
    const info = svidInfo(leaf.certPem);
    const node = new X509Certificate(leaf.certPem);
    assert.equal(info.spiffeId, 'spiffe://mesh.local/ns/default/sa/web');
    assert.equal(info.serial, node.serialNumber.toLowerCase());
    assert.equal(info.notAfter.getTime(), Date.parse(node.validTo));
    assert.equal(info.notBefore.getTime(), Date.parse(node.validFrom));
  });

  it('throws on a certificate that is not an SVID', async () => {
    const ca = await makeTestCa();
    const leaf = await makeLeaf(ca, { uris: ['spiffe://a/ns/x/sa/y', 'spiffe://a/ns/x/sa/z'] });
    assert.throws(() => svidInfo(leaf.certPem), /certificate has 2 URI SANs, expected 1/);
    assert.throws(() => svidInfo('not a pem'), /expected exactly one PEM "CERTIFICATE" block, found 0/);
  });
});

describe('generateKeyAndCsr', () => {
  it('makes a P-256 PKCS#8 key and a name-less CSR for it', async () => {
    const { keyPem, csrPem } = await generateKeyAndCsr();
    assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    const key = createPrivateKey(keyPem);
    assert.equal(key.asymmetricKeyType, 'ec');
    assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.match(csrPem, /^-----BEGIN CERTIFICATE REQUEST-----\n/);
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    assert.equal(csr.subject, '');
    assert.equal(csr.extensions.length, 0);
    assert.equal(await csr.verify(), true);
    const csrKey = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
    assert.deepEqual(csrKey.export({ format: 'jwk' }), createPublicKey(key).export({ format: 'jwk' }));
  });
});

describe('verifyChain', () => {
  let ca: TestCa;
  let leaf: TestLeaf;
  before(async () => {
    ca = await makeTestCa();
    leaf = await makeLeaf(ca);
  });

  it('accepts leaf -> intermediate -> root, also with the root included', () => {
    assert.deepEqual(verifyChain(leaf.chainPem, [ca.rootPem]), { ok: true });
    assert.deepEqual(verifyChain([...leaf.chainPem, ca.rootPem], [ca.rootPem]), { ok: true });
  });

  it('finds the right root among several', async () => {
    const other = await makeTestCa();
    assert.deepEqual(verifyChain(leaf.chainPem, [other.rootPem, ca.rootPem]), { ok: true });
  });

  it('rejects a missing intermediate', () => {
    assert.deepEqual(verifyChain([leaf.certPem], [ca.rootPem]), { ok: false, reason: 'chain[0] was not issued by any root in the trust bundle' });
  });

  it('rejects out-of-order chains', () => {
    const r = verifyChain([ca.intermediatePem, leaf.certPem], [ca.rootPem]);
    assert.equal(r.ok, false);
  });

  it('rejects an expired intermediate', () => {
    const later = new Date(Date.now() + 60 * 24 * 3600_000);
    assert.match((verifyChain(leaf.chainPem, [ca.rootPem], later) as { reason: string }).reason, /^chain\[0\] expired at /);
  });

  it('rejects an intermediate that is not a CA', async () => {
    const bad = await makeTestCa({ intermediateIsCa: false });
    const l = await makeLeaf(bad);
    assert.deepEqual(verifyChain(l.chainPem, [bad.rootPem]), { ok: false, reason: 'chain[1] is not a CA' });
  });

  it('enforces pathLen 0 on the intermediate', async () => {
    // A CA certificate issued by the pathLen-0 intermediate, then a leaf under it.
    const sub = await makeTestCa();
    const subCert = await x509.X509CertificateGenerator.create({
      subject: sub.intermediate.subjectName,
      issuer: ca.intermediate.subjectName,
      publicKey: sub.intermediateKeys.publicKey,
      signingKey: ca.intermediateKeys.privateKey,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
    });
    const l = await makeLeaf(sub);
    const r = verifyChain([l.certPem, subCert.toString('pem'), ca.intermediatePem], [ca.rootPem]);
    assert.deepEqual(r, { ok: false, reason: 'chain[2] allows 0 intermediate(s) below it, found 1' });
  });

  it('reports unparsable input', () => {
    assert.deepEqual(verifyChain([], [ca.rootPem]), { ok: false, reason: 'chain is empty' });
    assert.match((verifyChain(['junk'], [ca.rootPem]) as { reason: string }).reason, /^chain\[0\] is not a certificate/);
  });
});
