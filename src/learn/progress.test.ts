import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CARDS } from './cards/index.js';
import {
  emptyProgress, mergeProgress, newCardsOn, parseProgress, recordReview, replay, resetProgress, serializeProgress, withScheduler, ProgressError, type Progress,
} from './progress.js';
import type { Grade } from './scheduler.js';

const at = (day: number, hour = 9) => new Date(2026, 2, day, hour, 0, 0);

function history(start = 2): Progress {
  let p = emptyProgress();
  const steps: [number, Grade, boolean, Date][] = [
    [0, 3, true, at(start)], [1, 1, false, at(start, 10)], [0, 3, true, at(start + 1)], [1, 3, true, at(start + 1, 11)], [2, 4, true, at(start + 2)],
  ];
  for (const [i, g, ok, t] of steps) p = recordReview(p, CARDS[i].id, g, ok, t);
  return p;
}

test('a progress document survives serialization unchanged', () => {
  const p = history();
  assert.deepEqual(parseProgress(serializeProgress(p)), p);
});

test('a bad document is refused with a message naming what is wrong', () => {
  const good = JSON.parse(serializeProgress(history()));
  const bad = (mutate: (d: any) => void, message: RegExp) => {
    const d = structuredClone(good);
    mutate(d);
    assert.throws(() => parseProgress(JSON.stringify(d)), (e: Error) => e instanceof ProgressError && message.test(e.message));
  };
  assert.throws(() => parseProgress('{"format": "weft-learn-progress", '), /not valid JSON/);
  assert.throws(() => parseProgress('[]'), /must be a JSON object/);
  bad((d) => (d.format = 'anki'), /format: expected "weft-learn-progress", got "anki"/);
  bad((d) => (d.version = 2), /version: 2 is not supported .*newer weft/);
  bad((d) => (d.scheduler = 'leitner'), /scheduler: must be one of fsrs, sm2/);
  bad((d) => (d.newPerDay = -1), /newPerDay/);
  bad((d) => (d.cards[CARDS[0].id].due = 'tomorrow'), /cards\["mesh\/data-plane"\]\.due: must be an ISO date/);
  bad((d) => (d.cards[CARDS[0].id].phase = 'bloom'), /\.phase: must be one of/);
  bad((d) => (d.cards[CARDS[0].id].reps = 1.5), /\.reps: must be a whole number/);
  bad((d) => (d.log[3].grade = 5), /log\[3\]: must be/);
});

test('the log rebuilds the card states: replay gives what the reviews recorded', () => {
  const p = history();
  assert.deepEqual(replay(p.log, 'fsrs'), p.cards);
});

test('switching the scheduler replays the log with the other one', () => {
  const p = withScheduler(history(), 'sm2');
  assert.equal(p.scheduler, 'sm2');
  assert.equal(p.cards[CARDS[2].id].interval, 1, 'SM-2: a first pass waits one day');
  assert.ok(p.cards[CARDS[0].id].ease !== undefined && p.cards[CARDS[0].id].stability === undefined);
  assert.deepEqual(withScheduler(p, 'fsrs').cards, history().cards);
});

test('merge takes the union of two histories, in time order, and counts no review twice', () => {
  const a = history(2);
  let b = emptyProgress();
  b = recordReview(b, CARDS[5].id, 3, true, at(1));
  b = { ...b, log: [...b.log, a.log[2]] };
  const m = mergeProgress(a, b);
  assert.equal(m.log.length, a.log.length + 1);
  assert.deepEqual(m.log.map((e) => e.at), [...m.log.map((e) => e.at)].sort());
  assert.deepEqual(m.cards, replay(m.log, 'fsrs'));
  assert.deepEqual(mergeProgress(m, b), m, 'merging again changes nothing');
  assert.deepEqual(mergeProgress(m, m), m);
  assert.deepEqual(new Set(mergeProgress(b, a).log.map((e) => e.card + e.at)), new Set(m.log.map((e) => e.card + e.at)));
  assert.equal(mergeProgress({ ...a, newPerDay: 3 }, b).newPerDay, 3, 'the receiving side keeps its settings');
});

test('reset forgets one module, or everything', () => {
  const p = history();
  const module1 = new Set(CARDS.filter((c) => c.module === 1).map((c) => c.id));
  const r = resetProgress(recordReview(p, CARDS[16].id, 3, true, at(9)), module1);
  assert.deepEqual(Object.keys(r.cards), [CARDS[16].id]);
  assert.deepEqual(r.log.map((e) => e.card), [CARDS[16].id]);
  const all = resetProgress({ ...p, newPerDay: 4 });
  assert.deepEqual(all.log, []);
  assert.equal(all.newPerDay, 4);
});

test('new cards per day counts the cards first seen that day', () => {
  const p = history(2);
  assert.equal(newCardsOn(p, at(2, 23)), 2);
  assert.equal(newCardsOn(p, at(3, 8)), 0, 'cards seen again are not new');
  assert.equal(newCardsOn(p, at(4, 8)), 1);
});
