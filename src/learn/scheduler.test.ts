import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEmptyCard, fsrs, generatorParameters, Rating, type Grade as FsrsGrade } from 'ts-fsrs';
import { fsrsScheduler, humanInterval, sm2Scheduler, type CardState, type Grade, type Scheduler } from './scheduler.js';

const DAY = 86_400_000;
const t0 = new Date('2026-03-02T09:00:00Z');

/** Reviews at each due time with the given grades; every state goes through JSON, as the progress file does. */
function run(s: Scheduler, grades: Grade[], start = t0): CardState[] {
  const out: CardState[] = [];
  let state: CardState | undefined;
  let now = start;
  for (const g of grades) {
    state = JSON.parse(JSON.stringify(s.review(state, g, now))) as CardState;
    out.push(state);
    now = new Date(state.due);
  }
  return out;
}

const days = (s: CardState) => (Date.parse(s.due) - Date.parse(s.last as string)) / DAY;

test('FSRS: the wrapper schedules exactly as ts-fsrs itself does, through a JSON round trip at every step', () => {
  const grades: Grade[] = [3, 3, 3, 2, 3, 1, 3, 4, 3, 3];
  const ours = run(fsrsScheduler(), grades);
  const engine = fsrs(generatorParameters({ enable_fuzz: false }));
  const map: Record<Grade, FsrsGrade> = { 1: Rating.Again, 2: Rating.Hard, 3: Rating.Good, 4: Rating.Easy };
  let card = createEmptyCard(t0);
  let now = t0;
  grades.forEach((g, i) => {
    card = engine.next(card, now, map[g]).card;
    assert.equal(ours[i].due, card.due.toISOString(), `review ${i + 1}: due`);
    assert.equal(ours[i].interval, card.scheduled_days, `review ${i + 1}: interval`);
    assert.equal(ours[i].stability, card.stability, `review ${i + 1}: stability`);
    assert.equal(ours[i].lapses, card.lapses, `review ${i + 1}: lapses`);
    now = card.due;
  });
});

test('FSRS: intervals grow with good recall and shrink after a lapse', () => {
  const states = run(fsrsScheduler(), [3, 3, 3, 3, 3, 1, 3]);
  assert.equal(states[0].phase, 'learning', 'a new card first goes through a short learning step');
  assert.ok(days(states[0]) < 1);
  const reviews = states.slice(1, 5);
  for (const s of reviews) assert.equal(s.phase, 'review');
  for (let i = 1; i < reviews.length; i++) assert.ok(days(reviews[i]) > days(reviews[i - 1]), `interval ${i + 1} (${days(reviews[i])}d) > interval ${i} (${days(reviews[i - 1])}d)`);
  const lapse = states[5];
  assert.equal(lapse.phase, 'relearning');
  assert.equal(lapse.lapses, 1);
  assert.ok(days(lapse) < 1, 'a forgotten card comes back within the day');
  assert.ok(days(states[6]) < days(states[4]), `after the lapse the interval (${days(states[6])}d) is shorter than before it (${days(states[4])}d)`);
});

test('FSRS: from the same review state, easier ratings give longer intervals', () => {
  const s = fsrsScheduler();
  const [, review] = run(s, [3, 3]);
  const at = new Date(review.due);
  const next = ([1, 2, 3, 4] as Grade[]).map((g) => Date.parse(s.review(review, g, at).due) - at.getTime());
  for (let i = 1; i < next.length; i++) assert.ok(next[i] > next[i - 1], `grade ${i + 1} waits longer than grade ${i}`);
});

test('SM-2: 1 day, 6 days, then the previous interval times the easiness factor', () => {
  const good = run(sm2Scheduler(), [3, 3, 3, 3]);
  assert.deepEqual(good.map((s) => s.interval), [1, 6, 15, 38]);
  assert.deepEqual(good.map((s) => s.ease), [2.5, 2.5, 2.5, 2.5], 'quality 4 leaves the factor as it is');
  assert.deepEqual(good.map(days), [1, 6, 15, 38]);
  const easy = run(sm2Scheduler(), [4, 4, 4]);
  assert.ok(Math.abs((easy[2].ease as number) - 2.8) < 1e-9, 'quality 5 adds 0.1 each time');
  assert.equal(easy[2].interval, Math.round(6 * 2.8));
  const hard = run(sm2Scheduler(), Array<Grade>(20).fill(2));
  assert.ok(Math.abs((hard[0].ease as number) - 2.36) < 1e-9, 'quality 3 takes 0.14 off');
  assert.equal(hard[19].ease, 1.3, 'the factor never drops below 1.3');
});

test('SM-2: a lapse starts the repetitions over (same day, then 1 day) and keeps the factor', () => {
  const states = run(sm2Scheduler(), [3, 3, 3, 1, 3, 3]);
  const [, , before, lapse, after1, after2] = states;
  assert.equal(before.interval, 15);
  assert.equal(lapse.phase, 'relearning');
  assert.equal(lapse.lapses, 1);
  assert.equal(Date.parse(lapse.due) - Date.parse(lapse.last as string), 10 * 60_000, 'failed items are repeated the same day');
  assert.equal(lapse.ease, before.ease);
  assert.equal(after1.interval, 1);
  assert.equal(after2.interval, 6);
  assert.ok(after1.interval < before.interval);
});

test('SM-2: a new card answered wrong is learning, not a lapse', () => {
  const [s] = run(sm2Scheduler(), [1]);
  assert.equal(s.phase, 'learning');
  assert.equal(s.lapses, 0);
});

test('intervals read as minutes, hours, days, months and years', () => {
  const at = (ms: number) => new Date(t0.getTime() + ms).toISOString();
  assert.equal(humanInterval(at(0), t0), '1m');
  assert.equal(humanInterval(at(10 * 60_000), t0), '10m');
  assert.equal(humanInterval(at(5 * 3_600_000), t0), '5h');
  assert.equal(humanInterval(at(3 * DAY), t0), '3d');
  assert.equal(humanInterval(at(59.9 * 60_000), t0), '1h');
  assert.equal(humanInterval(at(DAY - 60_000), t0), '1d');
  assert.equal(humanInterval(at(90 * DAY), t0), '3mo');
  assert.equal(humanInterval(at(1000 * DAY), t0), '3y');
});
