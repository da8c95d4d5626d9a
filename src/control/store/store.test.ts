import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync, statSync, writeFileSync, readFileSync, chmodSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openFileStore, createMemoryStore, StoreCorruptError } from './store.js';
import { runStoreContract, svc, workload } from './contract.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'weft-store-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => path.join(root, `s${++n}`, 'store');

runStoreContract('memory', createMemoryStore);
runStoreContract('file', () => openFileStore(freshDir()));

const mode = (p: string) => statSync(p).mode & 0o777;

test('file: a reopened store has the same objects, revision, timestamps and states', async () => {
  const dir = freshDir();
  const a = await openFileStore(dir);
  await a.apply([svc('web'), workload('web', 2)], 'file:/abs/mesh.yaml');
  await a.apply([svc('api-owned')]);
  await a.delete(['Workload//web']);
  await a.putState('registry', { local: { endpoints: [1, 2] } });
  await a.putState('gone', 1);
  await a.putState('gone', undefined);
  const list = a.list();
  await a.close();

  const b = await openFileStore(dir);
  assert.equal(b.revision, 3);
  assert.deepEqual(b.list(), list);
  assert.deepEqual(b.getState('registry'), { local: { endpoints: [1, 2] } });
  assert.equal(b.getState('gone'), undefined);
  // It carries on from where it was: an identical sync is still a no-op, the next change is revision 4.
  assert.deepEqual(await b.replaceSource('file:/abs/mesh.yaml', [svc('web')]), { revision: 3, upserted: [], deleted: [] });
  assert.equal((await b.apply([svc('new')])).revision, 4);
  await b.close();
});

test('file: directory 0700, files 0600, no temp files left', async () => {
  const dir = freshDir();
  const s = await openFileStore(dir);
  await Promise.all(Array.from({ length: 10 }, (_, i) => s.apply([svc(`s${i}`)])));
  await s.putState('registry', { a: 1 });
  await s.putState('ca', { b: 2 });
  await s.close();
  assert.equal(mode(dir), 0o700);
  assert.deepEqual(readdirSync(dir).sort(), ['objects.json', 'state-ca.json', 'state-registry.json']);
  for (const f of readdirSync(dir)) assert.equal(mode(path.join(dir, f)), 0o600, f);
});

test('file: an existing directory open to others is closed down to 0700', async () => {
  const dir = freshDir();
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const s = await openFileStore(dir);
  await s.close();
  assert.equal(mode(dir), 0o700);
});

test('file: a temp file left by a crash is removed and does not count', async () => {
  const dir = freshDir();
  const a = await openFileStore(dir);
  await a.apply([svc('web')]);
  await a.close();
  // A crash between "write temp" and "rename": half a file under the temp name, the real file intact.
  writeFileSync(path.join(dir, '.objects.json.123.abcdef.tmp'), '{"format":1,"revis');
  const b = await openFileStore(dir);
  assert.deepEqual(b.list().map((o) => o.key), ['Service//web']);
  assert.deepEqual(readdirSync(dir), ['objects.json']);
  await b.close();
});

test('file: a corrupt file is an error naming it, and is left as it was', async () => {
  const cases: [string, string, RegExp][] = [
    ['objects.json', '{"format":1,"revision":2,"obj', /not valid JSON/],
    ['objects.json', '', /empty/],
    ['objects.json', '[]', /expected an object/],
    ['objects.json', '{"format":99,"revision":0,"objects":[]}', /unknown format 99/],
    ['objects.json', '{"format":1,"revision":1,"objects":[{"key":"Service//a","source":"api","revision":1,"resource":{"kind":"Service","metadata":{"name":"b"}}}]}', /does not match/],
    ['objects.json', '{"format":1,"revision":1,"objects":[{"key":"Service//a","source":"api","revision":5,"resource":{"kind":"Service","metadata":{"name":"a"}}}]}', /revision/],
    ['state-registry.json', '{"a":', /not valid JSON/],
  ];
  for (const [file, text, detail] of cases) {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    const p = path.join(dir, file);
    writeFileSync(p, text);
    await assert.rejects(openFileStore(dir), (err: unknown) => {
      assert.ok(err instanceof StoreCorruptError, String(err));
      assert.equal(err.file, p);
      assert.ok(err.message.includes(p), err.message);
      assert.match(err.message, detail);
      return true;
    });
    assert.equal(readFileSync(p, 'utf8'), text, 'never overwritten');
  }
});

test('file: objects.json is readable JSON with the revision and every object', async () => {
  const dir = freshDir();
  const s = await openFileStore(dir);
  await s.apply([svc('web')]);
  await s.close();
  const doc = JSON.parse(readFileSync(path.join(dir, 'objects.json'), 'utf8'));
  assert.equal(doc.format, 1);
  assert.equal(doc.revision, 1);
  assert.equal(doc.objects[0].key, 'Service//web');
  assert.equal(doc.objects[0].source, 'api');
});

test('file: a failed write changes nothing, and the store keeps working once it can write again', async () => {
  const dir = freshDir();
  const s = await openFileStore(dir);
  await s.apply([svc('web')]);
  let events = 0;
  s.watch(() => events++);
  rmSync(dir, { recursive: true });
  await assert.rejects(s.apply([svc('db')]), /ENOENT/);
  await assert.rejects(s.putState('registry', { a: 1 }), /ENOENT/);
  assert.equal(s.revision, 1);
  assert.deepEqual(s.list().map((o) => o.key), ['Service//web']);
  assert.equal(s.getState('registry'), undefined);
  assert.equal(events, 0);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  assert.deepEqual(await s.apply([svc('db')]), { revision: 2, upserted: ['Service//db'], deleted: [] });
  await s.close();
  const again = await openFileStore(dir);
  assert.deepEqual(again.list().map((o) => o.key), ['Service//db', 'Service//web']);
  await again.close();
});
