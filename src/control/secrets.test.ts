import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mintProxyToken, verifyProxyToken, singleUseVerifier, TOKEN_TTL_MS } from './secrets.js';

const ref = { name: 'web-0', kind: 'sidecar' as const, workload: 'web', namespace: 'shop', serviceAccount: 'web' };

test('a credential binds the proxy name to its identity', () => {
  const t = mintProxyToken('k', ref);
  assert.equal(verifyProxyToken('k', 'web-0', t)?.serviceAccount, 'web');
  assert.equal(verifyProxyToken('k', 'web-1', t), undefined, 'another proxy name');
  assert.equal(verifyProxyToken('other-key', 'web-0', t), undefined, 'another signing key');
  const [claims, mac] = t.split('.');
  const forged = Buffer.from(Buffer.from(claims, 'base64url').toString().replace('"sa":"web"', '"sa":"admin"')).toString('base64url');
  assert.equal(verifyProxyToken('k', 'web-0', `${forged}.${mac}`), undefined, 'claims changed after signing');
});

test('a credential expires', () => {
  const t = mintProxyToken('k', ref, 1_000);
  assert.ok(verifyProxyToken('k', 'web-0', t, 1_000 + TOKEN_TTL_MS - 1));
  assert.equal(verifyProxyToken('k', 'web-0', t, 1_000 + TOKEN_TTL_MS + 1), undefined);
});

test('each credential is accepted once, and the record survives a restart', () => {
  let saved: Record<string, number> = {};
  const verify = singleUseVerifier('k', {}, (u) => { saved = { ...u }; });
  const t = mintProxyToken('k', ref);
  assert.equal(verify('web-0', t)?.name, 'web-0');
  assert.equal(verify('web-0', t), undefined, 'replayed');
  assert.equal(verify('web-0', mintProxyToken('k', ref))?.name, 'web-0', 'a fresh credential works');
  const afterRestart = singleUseVerifier('k', saved, () => {});
  assert.equal(afterRestart('web-0', t), undefined, 'still refused after a restart');
});
