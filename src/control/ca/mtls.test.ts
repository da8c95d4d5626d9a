// Real mutual TLS between proxies holding CA-issued SVIDs, configured the way weft proxies use node:tls.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { handshake, type TlsCreds } from './fixtures.js';
import { checkPeerSvid, generateKeyAndCsr } from '../../identity/index.js';
import { CertificateAuthority, type CaStateStore } from './index.js';

const TD = 'mesh.local';

function memoryStore(): CaStateStore {
  const m = new Map<string, unknown>();
  return { getState: <T>(n: string) => m.get(n) as T | undefined, putState: async (n, v) => void m.set(n, v) };
}

async function proxy(ca: CertificateAuthority, serviceAccount: string): Promise<TlsCreds> {
  const { keyPem, csrPem } = await generateKeyAndCsr();
  const svid = await ca.signCsr(csrPem, { namespace: 'default', serviceAccount }, 3600);
  return { keyPem, chainPem: svid.chainPem, ca: ca.trustBundle() };
}

describe('mutual TLS with CA-issued SVIDs', () => {
  it('completes a TLS 1.3 handshake and each side sees the other SPIFFE ID', async () => {
    const ca = await CertificateAuthority.open(memoryStore(), { trustDomain: TD });
    const web = await proxy(ca, 'web');
    const api = await proxy(ca, 'api');
    const r = await handshake(api, web);
    assert.ok(r.ok, `handshake failed: ${JSON.stringify(r)}`);
    assert.equal(r.protocol, 'TLSv1.3');
    assert.deepEqual(checkPeerSvid(r.serverSawClient, { trustDomain: TD }), { ok: true, spiffeId: 'spiffe://mesh.local/ns/default/sa/web' });
    assert.deepEqual(checkPeerSvid(r.clientSawServer, { trustDomain: TD }), { ok: true, spiffeId: 'spiffe://mesh.local/ns/default/sa/api' });
  });

  it('keeps old and new leaves talking during a rotation, and drops the old ones after it', async () => {
    const ca = await CertificateAuthority.open(memoryStore(), { trustDomain: TD });
    const oldProxy = await proxy(ca, 'old');
    await ca.beginRotation();
    await ca.switchSigning();
    const newProxy = await proxy(ca, 'new');
    // Both hold the extended bundle (the old proxy received it after beginRotation).
    const bundle = ca.trustBundle();
    const during = await handshake({ ...newProxy, ca: bundle }, { ...oldProxy, ca: bundle });
    assert.ok(during.ok, `handshake during rotation failed: ${JSON.stringify(during)}`);
    assert.equal(checkPeerSvid(during.serverSawClient, { trustDomain: TD }).ok, true);

    await ca.finishRotation();
    const after = await handshake({ ...newProxy, ca: ca.trustBundle() }, { ...oldProxy, ca: bundle });
    assert.ok(!after.ok);
    assert.equal(after.serverAuthorizationError, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
  });
});
