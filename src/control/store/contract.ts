// The behaviour every store must have (memory and file today; any new backend too); each implementation
// runs it from its own test with a factory that gives a fresh, empty store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnyResource, Service, Workload } from '../../api/types.js';
import { keyOf } from '../../api/types.js';
import type { Store, StoreChange } from './store.js';

export type StoreFactory = () => Store | Promise<Store>;

const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export const svc = (name: string, port = 80, namespace?: string): Service => ({
  apiVersion: 'v1', kind: 'Service',
  metadata: { name, ...(namespace ? { namespace } : {}), labels: { app: name } },
  spec: { selector: { app: name }, ports: [{ port, protocol: 'TCP', appProtocol: 'http' }] },
});

export const workload = (name: string, replicas = 1): Workload => ({
  apiVersion: 'weft.dev/v1alpha1', kind: 'Workload',
  metadata: { name, labels: { app: name } },
  spec: { command: 'node', args: [`${name}.mjs`], env: {}, replicas, serviceAccount: name, port: 0 },
});

const keys = (...rs: AnyResource[]) => rs.map(keyOf);

/** Rejects if `p` has not settled within `ms`: waiting for a condition always has a deadline. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms); });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/** A promise that settles once a change arrives; never a sleep. */
function nextChange(store: Store, timeoutMs = 2000): Promise<StoreChange> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { off(); reject(new Error(`no watch event within ${timeoutMs} ms`)); }, timeoutMs);
    const off = store.watch((c) => { clearTimeout(timer); off(); resolve(c); });
  });
}

export function runStoreContract(name: string, factory: StoreFactory): void {
  // Declares a test (the runner awaits it), so nothing is returned to be awaited here.
  const withStore = (title: string, fn: (s: Store) => Promise<void>): void =>
    void test(`${name}: ${title}`, async () => {
      const s = await factory();
      try {
        await fn(s);
      } finally {
        await s.close();
      }
    });

  withStore('a new store is empty at revision 0', async (s) => {
    assert.equal(s.revision, 0);
    assert.deepEqual(s.list(), []);
    assert.equal(s.get('Service//web'), undefined);
    assert.equal(s.getState('registry'), undefined);
  });

  withStore('apply upserts with source "api", one revision for the whole change', async (s) => {
    const ch = await s.apply([svc('web'), workload('web')]);
    assert.deepEqual(ch, { revision: 1, upserted: keys(svc('web'), workload('web')), deleted: [] });
    assert.equal(s.revision, 1);
    const got = s.get('Service//web');
    assert.ok(got);
    assert.equal(got.key, 'Service//web');
    assert.equal(got.source, 'api');
    assert.equal(got.revision, 1);
    const { creationTimestamp, ...meta } = got.resource.metadata;
    assert.deepEqual({ ...got.resource, metadata: meta }, svc('web'));
    assert.match(creationTimestamp ?? '', RFC3339_MS);
    assert.ok(Math.abs(Date.parse(creationTimestamp!) - Date.now()) < 60_000);
    // list() is ordered by key, whatever the order of writes.
    assert.deepEqual(s.list().map((o) => o.key), ['Service//web', 'Workload//web']);
    const ch2 = await s.apply([svc('api')], 'file:/x/mesh.yaml');
    assert.equal(ch2.revision, 2);
    assert.equal(s.get('Service//api')?.source, 'file:/x/mesh.yaml');
    assert.deepEqual(s.list().map((o) => o.key), ['Service//api', 'Service//web', 'Workload//web']);
  });

  withStore('an identical upsert is not a change, even with another creationTimestamp', async (s) => {
    await s.apply([svc('web')]);
    const first = s.get('Service//web')!;
    let events = 0;
    s.watch(() => events++);
    const same = svc('web');
    same.metadata.creationTimestamp = '2001-01-01T00:00:00.000Z';
    // Key order inside objects does not matter either.
    const reordered = { spec: same.spec, metadata: same.metadata, kind: same.kind, apiVersion: same.apiVersion } as Service;
    assert.deepEqual(await s.apply([svc('web')]), { revision: 1, upserted: [], deleted: [] });
    assert.deepEqual(await s.apply([reordered]), { revision: 1, upserted: [], deleted: [] });
    assert.equal(s.revision, 1);
    assert.equal(events, 0);
    assert.deepEqual(s.get('Service//web'), first);
  });

  withStore('an update bumps the revision and keeps creationTimestamp', async (s) => {
    await s.apply([svc('web'), svc('db')]);
    const created = s.get('Service//web')!.resource.metadata.creationTimestamp;
    const changed = svc('web', 8080);
    changed.metadata.creationTimestamp = '2001-01-01T00:00:00.000Z'; // ignored: the store owns it
    const ch = await s.apply([changed, svc('db')]);
    assert.deepEqual(ch, { revision: 2, upserted: ['Service//web'], deleted: [] });
    const web = s.get('Service//web')!;
    assert.equal(web.revision, 2);
    assert.equal(web.resource.metadata.creationTimestamp, created);
    assert.equal(web.resource.kind === 'Service' && web.resource.spec.ports[0].port, 8080);
    assert.equal(s.get('Service//db')!.revision, 1, 'an unchanged object keeps its revision');
  });

  withStore('replaceSource upserts, deletes what the source no longer has, leaves other sources alone', async (s) => {
    const file = 'file:/abs/mesh.yaml';
    await s.apply([svc('a'), svc('b'), svc('c')], file);
    await s.apply([svc('api-owned')]);
    await s.apply([svc('other')], 'file:/abs/other.yaml');
    const before = s.get('Service//a')!;
    let events: StoreChange[] = [];
    s.watch((c) => events.push(c));
    const ch = await s.replaceSource(file, [svc('a'), svc('b', 81), svc('d')]);
    assert.deepEqual(ch, { revision: 4, upserted: ['Service//b', 'Service//d'], deleted: ['Service//c'] });
    assert.deepEqual(events, [ch], 'one atomic change, one event');
    assert.deepEqual(s.list().map((o) => `${o.key}@${o.source}`), [
      'Service//a@file:/abs/mesh.yaml', 'Service//api-owned@api', 'Service//b@file:/abs/mesh.yaml',
      'Service//d@file:/abs/mesh.yaml', 'Service//other@file:/abs/other.yaml',
    ]);
    assert.deepEqual(s.get('Service//a'), before);
    events = [];
    assert.deepEqual(await s.replaceSource(file, [svc('d'), svc('b', 81), svc('a')]), { revision: 4, upserted: [], deleted: [] });
    assert.deepEqual(events, []);
    // An empty source removes everything it owned, and only that.
    const gone = await s.replaceSource(file, []);
    assert.deepEqual(gone, { revision: 5, upserted: [], deleted: ['Service//a', 'Service//b', 'Service//d'] });
    assert.deepEqual(s.list().map((o) => o.key), ['Service//api-owned', 'Service//other']);
  });

  withStore('an upsert from another source takes the object over', async (s) => {
    const file = 'file:/abs/mesh.yaml';
    await s.replaceSource(file, [svc('web')]);
    const created = s.get('Service//web')!.resource.metadata.creationTimestamp;
    const ch = await s.apply([svc('web')]);
    assert.deepEqual(ch, { revision: 2, upserted: ['Service//web'], deleted: [] });
    assert.equal(s.get('Service//web')!.source, 'api');
    assert.equal(s.get('Service//web')!.resource.metadata.creationTimestamp, created);
    // The file no longer owns it, so syncing the file without it does not delete it.
    assert.deepEqual(await s.replaceSource(file, []), { revision: 2, upserted: [], deleted: [] });
    assert.ok(s.get('Service//web'));
  });

  withStore('delete removes known keys whatever their source and ignores unknown ones', async (s) => {
    await s.apply([svc('a'), svc('b')]);
    await s.apply([svc('f')], 'file:/m.yaml');
    const ch = await s.delete(['Service//a', 'Service//nope', 'Service//f', 'Service//a']);
    assert.deepEqual(ch, { revision: 3, upserted: [], deleted: ['Service//a', 'Service//f'] });
    assert.deepEqual(s.list().map((o) => o.key), ['Service//b']);
    let events = 0;
    s.watch(() => events++);
    assert.deepEqual(await s.delete(['Service//nope']), { revision: 3, upserted: [], deleted: [] });
    assert.deepEqual(await s.delete([]), { revision: 3, upserted: [], deleted: [] });
    assert.equal(events, 0);
    // A deleted object that comes back is a new object at a new revision.
    await s.apply([svc('a')]);
    assert.equal(s.get('Service//a')!.revision, 4);
  });

  withStore('watch sees each change once, after it is visible; unsubscribe stops it', async (s) => {
    const seen: { change: StoreChange; visible: boolean; revision: number }[] = [];
    const off = s.watch((c) => seen.push({ change: c, visible: s.get('Service//web') !== undefined, revision: s.revision }));
    const pending = nextChange(s);
    const ch = await s.apply([svc('web')]);
    assert.deepEqual(await pending, ch);
    assert.deepEqual(seen, [{ change: ch, visible: true, revision: 1 }]);
    off();
    off(); // idempotent
    await s.apply([svc('web', 81)]);
    assert.equal(seen.length, 1);
    // One function subscribed twice gets two independent subscriptions.
    let n = 0;
    const cb = () => n++;
    const off1 = s.watch(cb);
    s.watch(cb);
    off1();
    await s.delete(['Service//web']);
    assert.equal(n, 1);
  });

  withStore('a throwing watcher does not fail the change or starve other watchers', async (s) => {
    const warned = new Promise<Error>((resolve) => {
      const on = (w: Error & { code?: string }) => { if (w.code === 'WEFT_STORE_WATCHER') { process.off('warning', on); resolve(w); } };
      process.on('warning', on);
    });
    s.watch(() => { throw new Error('watcher bug'); });
    const other = nextChange(s);
    const ch = await s.apply([svc('web')]);
    assert.equal(ch.revision, 1);
    assert.deepEqual(await other, ch);
    assert.match((await within(warned, 2000, 'the watcher warning')).message, /watcher bug/);
  });

  withStore('concurrent changes are serialised: distinct revisions, none lost', async (s) => {
    const n = 20;
    const changes = await Promise.all(Array.from({ length: n }, (_, i) =>
      i % 2 === 0 ? s.apply([svc(`s${i}`)]) : s.replaceSource(`file:/f${i}.yaml`, [svc(`s${i}`), workload(`w${i}`)])));
    assert.deepEqual(changes.map((c) => c.revision), Array.from({ length: n }, (_, i) => i + 1), 'call order is change order');
    assert.equal(s.revision, n);
    assert.equal(s.list().length, n + n / 2);
    for (const o of s.list()) assert.equal(o.revision, changes.find((c) => c.upserted.includes(o.key))!.revision);
  });

  withStore('stored values are isolated from the caller and frozen', async (s) => {
    const mine = svc('web');
    await s.apply([mine]);
    mine.spec.ports[0].port = 9999;
    mine.metadata.labels!.app = 'changed';
    assert.equal((s.get('Service//web')!.resource as Service).spec.ports[0].port, 80);
    assert.equal(s.get('Service//web')!.resource.metadata.labels!.app, 'web');
    assert.equal(mine.metadata.creationTimestamp, undefined, 'the caller\'s object is not written to');
    assert.throws(() => { (s.get('Service//web')!.resource as Service).spec.ports[0].port = 1; }, TypeError);
    // Values JSON cannot hold are normalised the same way by every backend.
    const withUndef = svc('x') as Service & { spec: { extra?: undefined } };
    withUndef.spec.extra = undefined;
    await s.apply([withUndef]);
    assert.equal(Object.hasOwn(s.get('Service//x')!.resource.spec as object, 'extra'), false);
  });

  withStore('a later duplicate key in one call wins', async (s) => {
    const ch = await s.apply([svc('web', 1), svc('web', 2)]);
    assert.deepEqual(ch.upserted, ['Service//web']);
    assert.equal((s.get('Service//web')!.resource as Service).spec.ports[0].port, 2);
  });

  withStore('namespaces are part of the key', async (s) => {
    await s.apply([svc('web'), svc('web', 80, 'shop')]);
    assert.deepEqual(s.list().map((o) => o.key), ['Service//web', 'Service/shop/web']);
  });

  withStore('bad input is rejected and changes nothing', async (s) => {
    await s.apply([svc('ok')]);
    await assert.rejects(s.apply([svc('fine'), { kind: 'Service', metadata: {} } as unknown as AnyResource]), /metadata\.name/);
    await assert.rejects(s.apply([svc('fine')], ''), /source/);
    await assert.rejects(s.putState('../escape', {}), /invalid state name/);
    assert.equal(s.revision, 1);
    assert.deepEqual(s.list().map((o) => o.key), ['Service//ok']);
    // The store keeps working after a rejected call.
    assert.equal((await s.apply([svc('after')])).revision, 2);
  });

  withStore('states: put, get, replace, remove; isolated from the caller', async (s) => {
    const reg = { runtimes: { local: { endpoints: [{ address: '127.0.0.1', port: 1234 }] } } };
    await s.putState('registry', reg);
    reg.runtimes.local.endpoints[0].port = 1;
    assert.deepEqual(s.getState('registry'), { runtimes: { local: { endpoints: [{ address: '127.0.0.1', port: 1234 }] } } });
    assert.ok(Object.isFrozen(s.getState('registry')));
    await s.putState('ca', { serial: 7 });
    await s.putState('registry', ['replaced']);
    assert.deepEqual(s.getState('registry'), ['replaced']);
    assert.deepEqual(s.getState('ca'), { serial: 7 });
    await s.putState('ca', undefined);
    assert.equal(s.getState('ca'), undefined);
    await s.putState('ca', undefined); // removing what is not there is fine
    assert.equal(s.revision, 0, 'states are not objects: no revision, no watch event');
  });

  withStore('casState writes only over what the caller expects; state watchers see each change', async (s) => {
    const seen: string[] = [];
    s.watchStates((n) => seen.push(`${n}=${JSON.stringify(s.getState(n))}`));
    assert.deepEqual(await s.casState('ca', undefined, { gen: 1 }), { ok: true }, 'create if absent');
    assert.deepEqual(await s.casState('ca', undefined, { gen: 2 }), { ok: false, current: { gen: 1 } }, 'already there: nothing written');
    assert.deepEqual(await s.casState('ca', { gen: 2 }, { gen: 3 }), { ok: false, current: { gen: 1 } });
    assert.deepEqual(await s.casState('ca', { gen: 1 }, { gen: 2 }), { ok: true });
    assert.deepEqual(s.getState('ca'), { gen: 2 });
    assert.deepEqual(await s.casState('ca', { gen: 2 }, undefined), { ok: true }, 'undefined removes');
    assert.equal(s.getState('ca'), undefined);
    await s.putState('ca', { gen: 9 });
    await s.putState('ca', { gen: 9 }); // unchanged: no event
    assert.deepEqual(seen, ['ca={"gen":1}', 'ca={"gen":2}', 'ca=undefined', 'ca={"gen":9}']);
    await assert.rejects(s.casState('../x', undefined, 1), /invalid state name/);
    assert.equal(s.revision, 0);
  });

  test(`${name}: close waits for pending changes; later calls reject`, async () => {
    const s = await factory();
    const pending = s.apply([svc('web')]);
    const state = s.putState('registry', { a: 1 });
    await s.close();
    assert.equal((await pending).revision, 1);
    await state;
    await assert.rejects(s.apply([svc('late')]), /closed/);
    await assert.rejects(s.putState('x', 1), /closed/);
    await s.close(); // idempotent
  });
}
