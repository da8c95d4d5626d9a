// The CA on a real etcd: its private keys are sealed at rest, a wrong or missing store key is refused
// without touching the store, and control planes sharing the store share one CA: two starting at once on
// an empty etcd create one root between them, and a rotation by one is taken up by the other.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Etcd3 } from 'etcd3';
import { startEtcd, type EtcdCluster } from './helpers/etcd.js';
import { runCli } from './helpers/mesh.js';
import { freePort } from '../src/runtime/ports.js';
import { waitFor } from '../src/util/wait.js';
import { openEtcdStore } from '../src/control/store/etcd.js';
import type { Store } from '../src/control/store/store.js';
import { CaConflictError, CertificateAuthority } from '../src/control/ca/index.js';
import { KeySealer } from '../src/control/ca/sealing.js';
import { generateKeyAndCsr } from '../src/identity/index.js';
import { verifyChain } from '../src/identity/chain.js';

const TD = 'mesh.local';
let etcd: EtcdCluster;
let tmp: string;
const open: Store[] = [];
before(async () => {
  etcd = await startEtcd();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'weft-etcd-ca-'));
});
after(async () => {
  await Promise.allSettled(open.map((s) => s.close()));
  await etcd?.close();
  rmSync(tmp, { recursive: true, force: true });
});

let n = 0;
const freshPrefix = () => `/weft-ca-${process.pid}-${++n}/`;
async function storeAt(prefix: string): Promise<Store> {
  const s = await openEtcdStore({ endpoints: etcd.endpoints, prefix });
  open.push(s);
  return s;
}
async function rawCa(prefix: string): Promise<string | null> {
  const client = new Etcd3({ hosts: etcd.endpoints });
  try {
    return await client.get(`${prefix}state/ca`).string();
  } finally {
    client.close();
  }
}
async function leaf(ca: CertificateAuthority, sa = 'web') {
  const { csrPem } = await generateKeyAndCsr();
  return ca.signCsr(csrPem, { namespace: 'default', serviceAccount: sa }, 3600);
}

test('the CA\'s private keys in etcd are sealed: the raw value holds no PEM private key', async () => {
  const prefix = freshPrefix();
  const sealer = new KeySealer(randomBytes(32), 'test key');
  const ca = await CertificateAuthority.open(await storeAt(prefix), { trustDomain: TD, sealer });
  const raw = (await rawCa(prefix))!;
  assert.ok(raw.length > 0);
  assert.doesNotMatch(raw, /PRIVATE KEY/);
  assert.equal(raw.match(/weft-sealed:v1:/g)?.length, 2, 'root and intermediate keys');
  assert.match(raw, /BEGIN CERTIFICATE/, 'certificates stay readable');
  // The same key opens the same CA from another store client.
  const again = await CertificateAuthority.open(await storeAt(prefix), { trustDomain: TD, sealer });
  assert.deepEqual(again.signingChain(), ca.signingChain());
  ca.close();
  again.close();
});

test('a wrong store key is refused with a clear error, and nothing in etcd is overwritten', async () => {
  const prefix = freshPrefix();
  const ca = await CertificateAuthority.open(await storeAt(prefix), { trustDomain: TD, sealer: new KeySealer(randomBytes(32), 'the right key') });
  const before = await rawCa(prefix);
  await assert.rejects(CertificateAuthority.open(await storeAt(prefix), { trustDomain: TD, sealer: new KeySealer(randomBytes(32), '--store-key-file /tmp/wrong.key') }),
    /the store key from --store-key-file \/tmp\/wrong\.key does not decrypt the CA's active root key: it is not the key the CA's private keys were encrypted with/);
  await assert.rejects(CertificateAuthority.open(await storeAt(prefix), { trustDomain: TD }), /the CA's private keys in the store are encrypted/);
  assert.equal(await rawCa(prefix), before);
  ca.close();
});

test('two CAs opening at once on an empty etcd end up with one root and intermediate; serials never collide', async () => {
  const prefix = freshPrefix();
  const sealer = new KeySealer(randomBytes(32), 'test key');
  const [sa, sb] = [await storeAt(prefix), await storeAt(prefix)];
  const [a, b] = await Promise.all([CertificateAuthority.open(sa, { trustDomain: TD, sealer }), CertificateAuthority.open(sb, { trustDomain: TD, sealer })]);
  assert.deepEqual(a.trustBundle(), b.trustBundle());
  assert.equal(a.trustBundle().length, 1);
  assert.deepEqual(a.signingChain(), b.signingChain());
  // Written once: the loser never stored (or used) a root of its own.
  const client = new Etcd3({ hosts: etcd.endpoints });
  try {
    assert.equal((await client.get(`${prefix}state/ca`).exec()).kvs[0]?.version, '1');
  } finally {
    client.close();
  }
  // Leaves from either verify against the one root; serials are 128-bit random, so no coordination is needed.
  const serials = new Set<string>();
  const per = 40;
  const leaves = await Promise.all(Array.from({ length: 2 * per }, (_, i) => leaf(i % 2 === 0 ? a : b, `sa${i}`)));
  for (const l of leaves) {
    serials.add(l.serial);
    const check = verifyChain(l.chainPem, a.trustBundle());
    assert.ok(check.ok, check.ok ? '' : check.reason);
  }
  assert.equal(serials.size, 2 * per);
  console.log(`# ${2 * per} leaves from two CA instances: ${serials.size} distinct serials, all under one root`);
  a.close();
  b.close();
});

test('a rotation by one CA instance is taken up by the other through the store\'s watch', async () => {
  const prefix = freshPrefix();
  const sealer = new KeySealer(randomBytes(32), 'test key');
  const a = await CertificateAuthority.open(await storeAt(prefix), { trustDomain: TD, sealer });
  const b = await CertificateAuthority.open(await storeAt(prefix), { trustDomain: TD, sealer });
  let told = 0;
  b.onExternalChange(() => told++);
  const oldIntermediate = b.signingChain()[0];

  await a.beginRotation();
  await waitFor('b to see the extended bundle', () => b.rotationPhase === 'bundle-extended' && b.trustBundle().length === 2, 10_000);
  assert.deepEqual(b.trustBundle(), a.trustBundle());
  await a.switchSigning();
  await waitFor('b to sign with the new intermediate', () => b.signingChain()[0] === a.signingChain()[0], 10_000);
  assert.notEqual(b.signingChain()[0], oldIntermediate);
  const fromB = await leaf(b);
  assert.equal(fromB.chainPem[1], a.signingChain()[0]);
  await a.finishRotation();
  await waitFor('b to trust only the new root', () => b.rotationPhase === 'none' && b.trustBundle().length === 1, 10_000);
  assert.deepEqual(b.trustBundle(), a.trustBundle());
  const check = verifyChain(fromB.chainPem, a.trustBundle());
  assert.ok(check.ok, check.ok ? '' : check.reason);
  assert.equal(told, 3, 'b was told of each of the three steps');

  // Both starting the same step at once: one wins; the other changes nothing, says so, and has the winner's CA.
  const results = await Promise.allSettled([a.beginRotation(), b.beginRotation()]);
  const won = results.filter((r) => r.status === 'fulfilled');
  const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  assert.equal(won.length, 1, JSON.stringify(results.map((r) => r.status)));
  assert.ok(lost[0].reason instanceof CaConflictError || /rotation phase is bundle-extended/.test(String(lost[0].reason)), String(lost[0].reason));
  await waitFor('both on the same extended bundle', () => a.trustBundle().length === 2 && JSON.stringify(a.trustBundle()) === JSON.stringify(b.trustBundle()), 10_000);
  a.close();
  b.close();
});

test('weft control: etcd without a store key, a bad key file and an unreachable etcd are refused with what to do', async () => {
  const state = path.join(tmp, 'state');
  const noKey = await runCli(['control', '--state', state, '--store', etcd.storeUrl(freshPrefix())], { WEFT_STORE_KEY_FILE: '' });
  assert.equal(noKey.code, 1, noKey.stderr);
  assert.match(noKey.stderr, /would hold the CA's private keys, so they must be encrypted: give --store-key-file FILE \(or WEFT_STORE_KEY_FILE\).*openssl rand -base64 32/);
  const short = path.join(tmp, 'short.key');
  writeFileSync(short, randomBytes(16).toString('base64'));
  const bad = await runCli(['control', '--state', state, '--store', etcd.storeUrl(freshPrefix()), '--store-key-file', short]);
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stderr, /--store-key-file .*short\.key: the key is 16 bytes, it must be 32/);
  const good = path.join(tmp, 'store.key');
  writeFileSync(good, randomBytes(32).toString('base64'));
  const port = await freePort();
  const down = await runCli(['control', '--state', state, '--store', `etcd://127.0.0.1:${port}`], { WEFT_STORE_KEY_FILE: good });
  assert.equal(down.code, 1, down.stderr);
  assert.match(down.stderr, new RegExp(`weft: cannot reach the etcd store at etcd://127\\.0\\.0\\.1:${port} .*etcdctl --endpoints`));
  const badUrl = await runCli(['control', '--state', state, '--store', 'etcd://nohost'], { WEFT_STORE_KEY_FILE: good });
  assert.match(badUrl.stderr, /--store "etcd:\/\/nohost": "nohost" is not host:port/);
});
