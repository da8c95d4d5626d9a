// The etcd store against a real etcd (Debian's etcd-server), started for this file on free ports: the
// store contract, then what only a shared store has: two stores on one prefix see each other's changes,
// race each other without losing or duplicating a change, and a dead etcd gives a clear error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { startEtcd, type EtcdCluster } from './helpers/etcd.js';
import { freePort } from '../src/runtime/ports.js';
import { waitFor } from '../src/util/wait.js';
import { runStoreContract, svc, workload } from '../src/control/store/contract.js';
import { openEtcdStore } from '../src/control/store/etcd.js';
import { openStore, parseStoreSpec } from '../src/control/store/open.js';
import type { StoreChange } from '../src/control/store/store.js';

let etcd: EtcdCluster;
before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  await etcd?.close();
});

let n = 0;
const freshPrefix = () => `/weft-test-${process.pid}-${++n}/`;
const open = (prefix: string) => openEtcdStore({ endpoints: etcd.endpoints, prefix });

runStoreContract('etcd', () => open(freshPrefix()));

test('etcd: a store opened again on the same prefix has the same objects, revision and states', async () => {
  const prefix = freshPrefix();
  const a = await open(prefix);
  await a.apply([svc('web'), workload('web', 2)], 'file:/abs/mesh.yaml');
  await a.delete(['Workload//web']);
  await a.putState('registry', { local: [1, 2] });
  const list = a.list();
  await a.close();
  const b = await open(prefix);
  assert.equal(b.revision, 2);
  assert.deepEqual(b.list(), list);
  assert.deepEqual(b.getState('registry'), { local: [1, 2] });
  assert.equal((await b.apply([svc('new')])).revision, 3);
  await b.close();
});

test('etcd: two stores on one prefix see each other\'s changes once, with the same revisions', async () => {
  const prefix = freshPrefix();
  const [a, b] = [await open(prefix), await open(prefix)];
  try {
    const seenByB: StoreChange[] = [];
    b.watch((c) => seenByB.push(c));
    const states: string[] = [];
    b.watchStates((name) => states.push(`${name}=${JSON.stringify(b.getState(name))}`));
    const c1 = await a.apply([svc('web'), svc('db')]);
    const c2 = await a.replaceSource('file:/m.yaml', [svc('api')]);
    const c3 = await a.delete(['Service//db']);
    await a.putState('registry', { n: 1 });
    await waitFor('b to see three changes', () => seenByB.length === 3, 10_000);
    assert.deepEqual(seenByB, [c1, c2, c3]);
    assert.equal(b.revision, 3);
    assert.deepEqual(b.list(), a.list());
    await waitFor('b to see the state', () => states.length === 1, 10_000);
    assert.deepEqual(states, ['registry={"n":1}']);
    // And back: a change made through b reaches a.
    const c4 = await b.apply([svc('cache')]);
    assert.equal(c4.revision, 4);
    await waitFor('a to see b\'s change', () => a.revision === 4, 10_000);
    assert.deepEqual(a.list(), b.list());
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('etcd: two stores racing on one prefix serialise: distinct revisions, nothing lost, same end state', async () => {
  const prefix = freshPrefix();
  const [a, b] = [await open(prefix), await open(prefix)];
  try {
    const seen: Record<string, number[]> = { a: [], b: [] };
    a.watch((c) => seen.a.push(c.revision));
    b.watch((c) => seen.b.push(c.revision));
    const per = 15;
    const changes = await Promise.all([
      ...Array.from({ length: per }, (_, i) => a.apply([svc(`a${i}`)])),
      ...Array.from({ length: per }, (_, i) => b.replaceSource(`file:/b${i}.yaml`, [svc(`b${i}`)])),
    ]);
    const revs = changes.map((c) => c.revision).sort((x, y) => x - y);
    assert.deepEqual(revs, Array.from({ length: 2 * per }, (_, i) => i + 1), 'every change got its own revision');
    await waitFor('both stores at the last revision', () => a.revision === 2 * per && b.revision === 2 * per, 10_000);
    assert.equal(a.list().length, 2 * per);
    assert.deepEqual(a.list(), b.list());
    for (const o of a.list()) assert.equal(o.revision, changes.find((c) => c.upserted.includes(o.key))!.revision);
    // Each store's watchers saw revisions only ever increasing, and ended at the last one.
    for (const [who, r] of Object.entries(seen)) {
      assert.ok(r.every((x, i) => i === 0 || x > r[i - 1]), `${who}: ${r.join(',')}`);
      assert.equal(r.at(-1), 2 * per, who);
    }
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('etcd: casState between two stores: exactly one create wins, the other gets the winner\'s value', async () => {
  const prefix = freshPrefix();
  const [a, b] = [await open(prefix), await open(prefix)];
  try {
    const [ra, rb] = await Promise.all([a.casState('ca', undefined, { by: 'a' }), b.casState('ca', undefined, { by: 'b' })]);
    const wins = [ra, rb].filter((r) => r.ok);
    assert.equal(wins.length, 1, JSON.stringify([ra, rb]));
    const winner = ra.ok ? 'a' : 'b';
    const loser = ra.ok ? rb : ra;
    assert.deepEqual(loser, { ok: false, current: { by: winner } });
    await waitFor('both to hold the winner\'s value', () => a.getState<{ by: string }>('ca')?.by === winner && b.getState<{ by: string }>('ca')?.by === winner, 10_000);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('etcd: the values in etcd are the JSON documents under the prefix', async () => {
  const prefix = freshPrefix();
  const s = await open(prefix);
  await s.apply([svc('web')]);
  await s.putState('registry', { a: 1 });
  await s.close();
  const client = new Etcd3({ hosts: etcd.endpoints });
  try {
    const all = await client.getAll().prefix(prefix).strings();
    assert.deepEqual(Object.keys(all).sort(), [`${prefix}objects/Service//web`, `${prefix}revision`, `${prefix}state/registry`]);
    assert.equal(JSON.parse(all[`${prefix}revision`]), 1);
    assert.equal(JSON.parse(all[`${prefix}objects/Service//web`]).source, 'api');
  } finally {
    client.close();
  }
});

test('etcd: an unreachable etcd is a clear error naming where and what to check', async () => {
  const port = await freePort();
  const started = Date.now();
  await assert.rejects(openStore(parseStoreSpec(`etcd://127.0.0.1:${port}`, '/tmp/unused')), (err: Error) => {
    assert.match(err.message, new RegExp(`cannot reach the etcd store at etcd://127\\.0\\.0\\.1:${port}`));
    assert.match(err.message, /etcdctl --endpoints/);
    return true;
  });
  assert.ok(Date.now() - started < 30_000, `gave up after ${Date.now() - started} ms`);
});

test('etcd: --store values', () => {
  assert.deepEqual(parseStoreSpec(undefined, '/st'), { kind: 'file', dir: '/st/store' });
  assert.deepEqual(parseStoreSpec('etcd://10.0.0.1:2379,10.0.0.2:2379', '/st'),
    { kind: 'etcd', endpoints: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379'], prefix: '/weft/', text: 'etcd://10.0.0.1:2379,10.0.0.2:2379' });
  assert.equal((parseStoreSpec('etcd://h:2379/prod', '/st') as { prefix: string }).prefix, '/prod/');
  assert.deepEqual(parseStoreSpec('file:/var/weft', '/st'), { kind: 'file', dir: '/var/weft' });
  assert.throws(() => parseStoreSpec('etcd://h', '/st'), /"h" is not host:port/);
  assert.throws(() => parseStoreSpec('redis://h:1', '/st'), /unknown store scheme redis/);
  assert.throws(() => parseStoreSpec('etcd://h:2379/', '/st'), /prefix "\/"/);
  assert.throws(() => parseStoreSpec('etcd://h:99999', '/st'), /out of range/);
});

