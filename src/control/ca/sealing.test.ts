import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createMemoryStore } from '../store/store.js';
import { CertificateAuthority } from './index.js';
import { KeySealer, loadStoreKey, SealedKeyError } from './sealing.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-sealing-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const keyFile = (text: string) => {
  const f = path.join(dir, `k${randomBytes(4).toString('hex')}`);
  writeFileSync(f, text, { mode: 0o600 });
  return f;
};
const TD = 'mesh.local';

test('a store key file holds 32 bytes as base64 or hex', () => {
  const raw = randomBytes(32);
  const b64 = loadStoreKey(keyFile(`${raw.toString('base64')}\n`));
  const hex = loadStoreKey(keyFile(raw.toString('hex')));
  assert.equal(b64.fingerprint, hex.fingerprint);
  assert.equal(hex.open(b64.seal('secret'), 'x'), 'secret');
  assert.throws(() => loadStoreKey(keyFile(randomBytes(16).toString('base64'))), /the key is 16 bytes, it must be 32; create one with: openssl rand -base64 32/);
  assert.throws(() => loadStoreKey(keyFile('')), /--store-key-file .*: the file is empty/);
  assert.throws(() => loadStoreKey(keyFile('not a key!')), /expected 32 bytes as base64 or 64 hex digits/);
  assert.throws(() => loadStoreKey(path.join(dir, 'missing')), /cannot read the store key: ENOENT/);
});

test('sealing: fresh IV each time; another key or a changed byte is refused', () => {
  const k = new KeySealer(randomBytes(32), 'test key');
  const a = k.seal('-----BEGIN PRIVATE KEY-----\nabc\n');
  assert.notEqual(a, k.seal('-----BEGIN PRIVATE KEY-----\nabc\n'));
  assert.doesNotMatch(a, /PRIVATE KEY/);
  assert.equal(k.open(a, 'x'), '-----BEGIN PRIVATE KEY-----\nabc\n');
  const other = new KeySealer(randomBytes(32), '--store-key-file /etc/other.key');
  assert.throws(() => other.open(a, 'the key'), (e: Error) => e instanceof SealedKeyError && /the store key from --store-key-file \/etc\/other\.key does not decrypt the key/.test(e.message));
  const tampered = a.slice(0, -2) + (a.at(-2) === 'A' ? 'B' : 'A') + a.at(-1);
  assert.throws(() => k.open(tampered, 'the key'), SealedKeyError);
});

test('a CA with a store key keeps sealed keys in the store; plain keys found there are sealed on open', async () => {
  const store = createMemoryStore();
  const plain = await CertificateAuthority.open(store, { trustDomain: TD });
  assert.match(JSON.stringify(store.getState('ca')), /BEGIN PRIVATE KEY/);
  const sealer = new KeySealer(randomBytes(32), 'test key');
  const sealed = await CertificateAuthority.open(store, { trustDomain: TD, sealer });
  const raw = JSON.stringify(store.getState('ca'));
  assert.doesNotMatch(raw, /PRIVATE KEY/);
  assert.match(raw, /"intermediateKeyPem":"weft-sealed:v1:/);
  assert.deepEqual(sealed.signingChain(), plain.signingChain(), 'the same CA, only stored sealed');
  // Without the key, or with another one: refused, and the store keeps what it had.
  await assert.rejects(CertificateAuthority.open(store, { trustDomain: TD }), /private keys in the store are encrypted; give the store key they were encrypted with \(--store-key-file FILE or WEFT_STORE_KEY_FILE\)/);
  await assert.rejects(CertificateAuthority.open(store, { trustDomain: TD, sealer: new KeySealer(randomBytes(32), 'wrong key') }), /the store key from wrong key does not decrypt/);
  assert.equal(JSON.stringify(store.getState('ca')), raw);
  // A rotation step re-seals only the keys that are new.
  await sealed.beginRotation();
  const after = store.getState<{ active: { intermediateKeyPem: string }; next: { intermediateKeyPem: string } }>('ca')!;
  assert.equal(after.active.intermediateKeyPem, JSON.parse(raw).active.intermediateKeyPem);
  assert.match(after.next.intermediateKeyPem, /^weft-sealed:v1:/);
  const again = await CertificateAuthority.open(store, { trustDomain: TD, sealer });
  assert.equal(again.rotationPhase, 'bundle-extended');
  await store.close();
});
