import { test } from 'node:test';
import { golden } from './golden.js';
import { renderIdentity, type IdentityView } from './identity.js';

const NOW = Date.parse('2026-12-04T17:00:00.000Z');
const cert = { spiffeId: 'spiffe://shop.local/ns/default/sa/catalog', serial: '4f:1a:09:c2:7e:55:b0:13', notBefore: '2026-12-04T08:00:00.000Z', notAfter: '2026-12-05T08:00:00.000Z', renewAt: '2026-12-04T20:00:00.000Z' };

const valid: IdentityView = { proxy: 'catalog-v1-0', expected: cert.spiffeId, certificate: cert, error: null, connected: true, bundleSize: 1 };
const expired: IdentityView = {
  proxy: 'checkout-0', expected: 'spiffe://shop.local/ns/shop/sa/checkout', connected: false, bundleSize: 2, error: 'renewal failed: control plane unreachable',
  certificate: { ...cert, spiffeId: 'spiffe://shop.local/ns/shop/sa/checkout', notBefore: '2026-12-03T08:00:00.000Z', notAfter: '2026-12-04T16:58:30.000Z', renewAt: '2026-12-04T12:00:00.000Z' },
};
const none: IdentityView = { proxy: 'web-0', expected: 'spiffe://shop.local/ns/default/sa/web', certificate: null, error: 'CSR rejected: identity mismatch', connected: true, bundleSize: null };

test('identity: a valid certificate, an expired one on a disconnected proxy, none yet', () => {
  golden('identity-valid-table', renderIdentity(valid, 'table', NOW));
  golden('identity-expired-table', renderIdentity(expired, 'table', NOW));
  golden('identity-none-table', renderIdentity(none, 'table', NOW));
  golden('identity-valid-json', renderIdentity(valid, 'json', NOW));
});
