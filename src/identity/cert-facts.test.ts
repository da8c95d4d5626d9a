import assert from 'node:assert/strict';
import { createPublicKey, X509Certificate as NodeX509 } from 'node:crypto';
import { describe, it } from 'node:test';
import { certFacts, KeyUsage } from './cert-facts.js';
import { generateKeyAndCsr } from './csr.js';
import { DerError, oid, oidString, readTlv } from './der.js';
import { makeLeaf, makeTestCa } from '../control/ca/fixtures.js';
import { onePemBlock } from './pem.js';
import { x509, x509Crypto } from '../control/ca/x509.js';

/** What a general X.509 library (@peculiar/x509, test-only) reads from the same certificate. */
function reference(pem: string) {
  const c = new x509.X509Certificate(pem);
  const bc = c.getExtension(x509.BasicConstraintsExtension);
  const ku = c.getExtension(x509.KeyUsagesExtension);
  const eku = c.getExtension(x509.ExtendedKeyUsageExtension);
  const san = c.getExtension(x509.SubjectAlternativeNameExtension);
  return {
    uris: san ? san.names.items.filter((n) => n.type === 'url').map((n) => n.value) : [],
    ca: bc?.ca ?? false,
    pathLength: bc?.pathLength,
    keyUsage: ku?.usages,
    eku: eku ? Array.from(eku.usages, String) : undefined,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    serial: new NodeX509(pem).serialNumber.toLowerCase(),
  };
}

describe('certFacts', () => {
  it('reads what a general X.509 parser reads, for leaves and CAs of every shape the checks look at', async () => {
    const ca = await makeTestCa();
    const leaves = await Promise.all([
      makeLeaf(ca),
      makeLeaf(ca, { uris: ['spiffe://a.test/ns/x/sa/y', 'https://example.com/a,b', 'spiffe://b.test/z'] }),
      makeLeaf(ca, { uris: [] }),
      makeLeaf(ca, { eku: null, keyUsage: KeyUsage.digitalSignature | KeyUsage.keyCertSign | KeyUsage.decipherOnly }),
      makeLeaf(ca, { eku: ['1.3.6.1.5.5.7.3.1', '1.2.3.4.5.6.7.8.99999'], ca: true }),
      makeLeaf(ca, { notBefore: new Date('1999-12-31T23:59:58Z'), notAfter: new Date('2051-02-03T04:05:06Z') }),
    ]);
    const pems = [ca.rootPem, ca.intermediatePem, ...leaves.map((l) => l.certPem)];
    for (const pem of pems) {
      assert.deepEqual(certFacts(onePemBlock(pem, 'CERTIFICATE', 'test')), reference(pem));
    }
  });

  it('gives serials as Node does, without a leading zero byte', async () => {
    const ca = await makeTestCa();
    // Serials are random: over a few certificates some have their top bit set (DER adds a 00 byte).
    for (let i = 0; i < 8; i++) {
      const { certPem } = await makeLeaf(ca);
      assert.equal(certFacts(onePemBlock(certPem, 'CERTIFICATE', 'test')).serial, new NodeX509(certPem).serialNumber.toLowerCase());
    }
  });

  it('refuses what is not a certificate', () => {
    assert.throws(() => certFacts(Buffer.from([0x30, 0x05, 0x02, 0x01])), DerError);
    assert.throws(() => certFacts(Buffer.from([0x30, 0x00])), DerError);
    assert.throws(() => certFacts(Buffer.from('not DER at all')), DerError);
  });
});

describe('der', () => {
  it('writes and reads object identifiers', () => {
    for (const o of ['1.2.840.10045.4.3.2', '2.5.29.17', '1.3.6.1.5.5.7.3.2', '2.999.1', '1.2.4294967295']) {
      const b = oid(o);
      assert.equal(oidString(b, readTlv(b, 0)), o);
    }
  });
  it('reads long-form lengths and rejects elements running past their container', () => {
    const long = Buffer.concat([Buffer.from([0x04, 0x82, 0x01, 0x00]), Buffer.alloc(256, 1)]);
    assert.deepEqual(readTlv(long, 0), { tag: 0x04, start: 4, end: 260 });
    assert.throws(() => readTlv(long.subarray(0, 100), 0), /runs past/);
  });
});

describe('generateKeyAndCsr', () => {
  it('makes a PKCS#10 request a general parser accepts, signed by the key it returns', async () => {
    const { keyPem, csrPem } = await generateKeyAndCsr();
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    assert.equal(await csr.verify(x509Crypto), true);
    assert.equal(csr.subject, '');
    assert.deepEqual(csr.signatureAlgorithm, { name: 'ECDSA', hash: { name: 'SHA-256' } });
    const fromCsr = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
    const fromKey = createPublicKey(keyPem);
    assert.ok(fromCsr.equals(fromKey), 'the CSR carries the public half of the returned key');
    assert.equal(fromKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  });
});
