import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, renameSync, unlinkSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { watchFiles } from './watch-files.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'weft-watch-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Watches files in a fresh directory and records what it reports; `until` waits with a deadline. */
function harness(files: Record<string, string>) {
  const dir = mkdtempSync(path.join(root, 'd'));
  const paths: Record<string, string> = {};
  for (const [name, content] of Object.entries(files)) {
    paths[name] = path.join(dir, name);
    writeFileSync(paths[name], content);
  }
  const events: string[] = [];
  const waiters: (() => void)[] = [];
  const w = watchFiles(Object.values(paths), (p) => {
    events.push(p);
    for (const wake of waiters.splice(0)) wake();
  }, { debounceMs: 20 });
  /** Resolves once `count` events have arrived in total; rejects after the deadline. */
  const until = (count: number, ms = 3000): Promise<string[]> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`expected ${count} events within ${ms} ms, got ${JSON.stringify(events)}`)), ms);
    const check = () => {
      if (events.length >= count) { clearTimeout(timer); resolve(events.slice()); } else waiters.push(check);
    };
    check();
  });
  return { dir, paths, events, until, close: () => w.close() };
}

test('an in-place write is reported once, with the path as given', async () => {
  const h = harness({ 'mesh.yaml': 'a: 1\n' });
  try {
    writeFileSync(h.paths['mesh.yaml'], 'a: 2\n');
    assert.deepEqual(await h.until(1), [h.paths['mesh.yaml']]);
  } finally {
    h.close();
  }
});

test('a save by rename (temp file renamed over it) is reported, and so are writes after it', async () => {
  const h = harness({ 'mesh.yaml': 'a: 1\n' });
  try {
    const tmp = path.join(h.dir, '.mesh.yaml.swp');
    writeFileSync(tmp, 'a: 2\n');
    renameSync(tmp, h.paths['mesh.yaml']);
    assert.deepEqual(await h.until(1), [h.paths['mesh.yaml']]);
    // The old inode is gone; watching the directory keeps working on the new file.
    writeFileSync(h.paths['mesh.yaml'], 'a: 3\n');
    assert.equal((await h.until(2)).length, 2);
  } finally {
    h.close();
  }
});

// "No event" is checked without sleeping: a later change to a second file in the same directory is reported
// in event order, so once it arrives any report for the first file would already have come.
test('no event when the content is unchanged (rewrite, touch, rename of identical content)', async () => {
  const h = harness({ 'mesh.yaml': 'a: 1\n', 'other.yaml': 'x: 1\n' });
  try {
    writeFileSync(h.paths['mesh.yaml'], 'a: 1\n');
    utimesSync(h.paths['mesh.yaml'], new Date(), new Date(Date.now() + 5000));
    const tmp = path.join(h.dir, 'mesh.yaml.tmp');
    writeFileSync(tmp, 'a: 1\n');
    renameSync(tmp, h.paths['mesh.yaml']);
    writeFileSync(h.paths['other.yaml'], 'x: 2\n');
    assert.deepEqual(await h.until(1), [h.paths['other.yaml']]);
  } finally {
    h.close();
  }
});

test('a burst of writes is debounced into one report', async () => {
  const h = harness({ 'mesh.yaml': 'a: 0\n', 'other.yaml': 'x: 1\n' });
  try {
    for (let i = 1; i <= 10; i++) writeFileSync(h.paths['mesh.yaml'], `a: ${i}\n`);
    await h.until(1);
    writeFileSync(h.paths['other.yaml'], 'x: 2\n');
    assert.deepEqual(await h.until(2), [h.paths['mesh.yaml'], h.paths['other.yaml']]);
  } finally {
    h.close();
  }
});

test('a deleted file is not reported; it is when it comes back with new content', async () => {
  const h = harness({ 'mesh.yaml': 'a: 1\n', 'other.yaml': 'x: 1\n' });
  try {
    unlinkSync(h.paths['mesh.yaml']);
    writeFileSync(h.paths['other.yaml'], 'x: 2\n');
    assert.deepEqual(await h.until(1), [h.paths['other.yaml']]);
    writeFileSync(h.paths['mesh.yaml'], 'a: 2\n');
    assert.deepEqual(await h.until(2), [h.paths['other.yaml'], h.paths['mesh.yaml']]);
  } finally {
    h.close();
  }
});

test('files that do not exist yet are reported when created; other names in the directory are ignored', async () => {
  const h = harness({ 'other.yaml': 'x: 1\n' });
  const later = path.join(h.dir, 'later.yaml');
  h.close();
  const events: string[] = [];
  let wake = () => {};
  const w = watchFiles([later], (p) => { events.push(p); wake(); }, { debounceMs: 20 });
  try {
    writeFileSync(path.join(h.dir, 'unrelated.yaml'), 'z: 1\n');
    writeFileSync(later, 'y: 1\n');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no event within 3000 ms')), 3000);
      wake = () => { clearTimeout(timer); resolve(); };
    });
    assert.deepEqual(events, [later]);
  } finally {
    w.close();
  }
});

test('a directory that cannot be watched is an error naming it', () => {
  const missing = path.join(root, 'no-such-dir', 'mesh.yaml');
  assert.throws(() => watchFiles([missing], () => {}), (err: Error) => err.message.includes(path.dirname(missing)));
});
