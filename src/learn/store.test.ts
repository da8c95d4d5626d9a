import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CARDS } from './cards/index.js';
import { emptyProgress, recordReview, serializeProgress, type Progress } from './progress.js';
import { backupProgress, loadProgress, progressPath, saveProgress } from './store.js';
import { waitFor } from '../util/wait.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'weft-learn-store-'));
  file = path.join(dir, 'learn', 'progress.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function reviews(n: number, from = 0): Progress {
  let p = emptyProgress();
  for (let i = 0; i < n; i++) p = recordReview(p, CARDS[(from + i) % CARDS.length].id, 3, true, new Date(Date.UTC(2026, 0, 1) + (from + i) * 60_000));
  return p;
}

/** The pid of a process that has certainly exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid as number;
}

test('the file lives under $WEFT_HOME/learn, private to its user, and round-trips', () => {
  const old = process.env.WEFT_HOME;
  process.env.WEFT_HOME = dir;
  try {
    assert.equal(progressPath(), file);
  } finally {
    if (old === undefined) delete process.env.WEFT_HOME;
    else process.env.WEFT_HOME = old;
  }
  assert.deepEqual(loadProgress(file), { progress: emptyProgress() }, 'no file yet: a fresh start, no message');
  const p = reviews(5);
  saveProgress(file, p);
  assert.deepEqual(loadProgress(file).progress, p);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
  assert.deepEqual(readdirSync(path.dirname(file)), ['progress.json'], 'no temp file is left behind');
});

test('a corrupt file is moved aside with a message naming both paths, never silently reset', () => {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, '{"format":"weft-learn-progress","version":1,"scheduler":"fsrs","newPerDay":10,"cards":{},"log":[{"card":');
  const l = loadProgress(file);
  assert.deepEqual(l.progress, emptyProgress());
  assert.match(l.notice ?? '', /the progress file .*progress\.json could not be read \(not valid JSON: .*\); it was kept as .*progress\.json\.corrupt-\S+ and a new one was started/);
  const aside = readdirSync(path.dirname(file)).find((n) => n.startsWith('progress.json.corrupt-'));
  assert.ok(aside);
  assert.match(readFileSync(path.join(path.dirname(file), aside), 'utf8'), /"log":\[\{"card":$/, 'the damaged content is kept byte for byte');
  assert.equal(existsSync(file), false);
  saveProgress(file, reviews(1));
  assert.equal(loadProgress(file).progress.log.length, 1);
  assert.ok(existsSync(path.join(path.dirname(file), aside)), 'the kept copy stays');
});

test('a temp file left by a writer that died is ignored and swept; a live writer\'s is left alone', () => {
  saveProgress(file, reviews(3));
  const d = path.dirname(file);
  const stale = path.join(d, `progress.json.tmp-${deadPid()}-dead`);
  const live = path.join(d, `progress.json.tmp-${process.pid}-live`);
  writeFileSync(stale, '{"half a write');
  writeFileSync(live, '{"still writing');
  const l = loadProgress(file);
  assert.equal(l.notice, undefined);
  assert.equal(l.progress.log.length, 3);
  assert.equal(existsSync(stale), false);
  assert.equal(existsSync(live), true);
});

test('killing a writer at any moment leaves the old file or the new one, never a broken one', async () => {
  const store = fileURLToPath(new URL('./store.js', import.meta.url));
  const prog = fileURLToPath(new URL('./progress.js', import.meta.url));
  const cards = fileURLToPath(new URL('./cards/index.js', import.meta.url));
  // A writer saving ever larger files (thousands of reviews, so each write takes a while) as fast as it can.
  const writer = `
    const { saveProgress } = await import(${JSON.stringify(store)});
    const { emptyProgress, recordReview } = await import(${JSON.stringify(prog)});
    const { CARDS } = await import(${JSON.stringify(cards)});
    let p = emptyProgress();
    for (let i = 0; ; i++) {
      for (let j = 0; j < 400; j++) p = { ...p, log: [...p.log, { card: CARDS[j % 80].id, at: new Date(Date.UTC(2026, 0, 1) + (i * 400 + j) * 1000).toISOString(), grade: 3, correct: true }] };
      p = recordReview(p, CARDS[i % 80].id, 3, true, new Date(Date.UTC(2027, 0, 1) + i * 1000));
      saveProgress(process.argv[1], p, { merge: false });
      process.stdout.write(p.log.length + '\\n');
    }`;
  for (let round = 0; round < 3; round++) {
    rmSync(path.dirname(file), { recursive: true, force: true });
    const child = spawn(process.execPath, ['--input-type=module', '-e', writer, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const saved: number[] = [];
    child.stdout!.on('data', (d: Buffer) => saved.push(...d.toString().trim().split('\n').map(Number)));
    await waitFor('the writer to save', () => saved.length >= 3 + round, 30_000, 5);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const l = loadProgress(file);
    assert.equal(l.notice, undefined, `round ${round}: the file is whole`);
    assert.ok(l.progress.log.length >= saved[saved.length - 1], `round ${round}: at least the last reported save is there`);
    assert.equal(l.progress.log.length % 401, 0, `round ${round}: exactly one complete save`);
    assert.deepEqual(readdirSync(path.dirname(file)), ['progress.json'], `round ${round}: a half-written temp file is swept`);
  }
});

test('saving folds in reviews another process saved meanwhile, unless told not to', () => {
  saveProgress(file, reviews(3, 0));
  const mine = saveProgress(file, reviews(2, 10)).progress;
  assert.equal(mine.log.length, 5);
  assert.equal(loadProgress(file).progress.log.length, 5);
  saveProgress(file, emptyProgress(), { merge: false });
  assert.equal(loadProgress(file).progress.log.length, 0);
});

test('a backup copies the current file before a reset', () => {
  assert.equal(backupProgress(file), null);
  const p = reviews(4);
  saveProgress(file, p);
  const b = backupProgress(file);
  assert.ok(b && b.includes('progress.json.bak-'));
  assert.equal(readFileSync(b, 'utf8'), serializeProgress(p));
});
