import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CARDS, cardsOf } from './cards/index.js';
import { emptyProgress, recordReview, type Progress } from './progress.js';
import { renderStats } from './render.js';
import { buildQueue, optionOrder, Session } from './session.js';
import { computeStats, stageOf } from './stats.js';

const at = (day: number, hour = 9, minute = 0) => new Date(2026, 2, day, hour, minute, 0);

test('the queue puts due cards first (earliest first), then new ones in curriculum order up to the daily limit', () => {
  let p = emptyProgress();
  p = recordReview(p, CARDS[40].id, 1, false, at(1, 9));
  p = recordReview(p, CARDS[30].id, 1, false, at(1, 8));
  p = { ...p, newPerDay: 4 };
  const q = buildQueue(p, { now: at(1, 12) });
  assert.deepEqual(q, [CARDS[30].id, CARDS[40].id, CARDS[0].id, CARDS[1].id]);
  assert.deepEqual(buildQueue(p, { now: at(2, 12) }).slice(2), [CARDS[0].id, CARDS[1].id, CARDS[2].id, CARDS[3].id], 'a new day brings a new allowance');
  const m3 = buildQueue({ ...p, newPerDay: 10 }, { now: at(1, 12), module: 3 });
  assert.ok(m3.every((id) => id.startsWith('security/')));
  assert.equal(m3[0], CARDS[40].id, 'the due security card first');
  assert.equal(m3.length, 1 + 8, 'two of the ten new cards today were already introduced');
  assert.deepEqual(buildQueue({ ...p, newPerDay: 0 }, { now: at(1, 7) }), [], 'nothing due before its time, no new allowance');
});

test('options are shown in a stable shuffled order that differs between showings', () => {
  for (const c of CARDS) {
    const o = optionOrder(c, 0);
    assert.deepEqual([...o].sort(), c.options.map((_, i) => i));
    assert.deepEqual(optionOrder(c, 0), o);
  }
  const positions = new Set(CARDS.map((c) => optionOrder(c, 0).indexOf(c.answer)));
  assert.ok(positions.size >= 3, 'the right answer lands in different places');
  assert.ok(CARDS.some((c) => optionOrder(c, 0).join() !== optionOrder(c, 1).join()));
});

test('a session: pick, see the answer, rate; a wrong pick can only be rated again; learning cards come back', () => {
  let now = at(5);
  const s = new Session({ ...emptyProgress(), newPerDay: 2 }, { clock: () => now });
  let v = s.view();
  assert.equal(v.phase, 'question');
  assert.equal(v.card?.id, CARDS[0].id);
  assert.equal(s.rate(3), null, 'no rating before an answer');
  const right = v.order.indexOf(CARDS[0].answer);
  assert.equal(s.choose(9), false, 'out of range');
  assert.equal(s.choose(right), true);
  v = s.view();
  assert.equal(v.correct, true);
  assert.deepEqual(v.grades, [1, 2, 3, 4]);
  assert.ok(Date.parse(v.preview[4] as string) > Date.parse(v.preview[1] as string));
  const p1 = s.rate(3) as Progress;
  assert.deepEqual(p1.log.map((e) => [e.card, e.grade, e.correct]), [[CARDS[0].id, 3, true]]);

  v = s.view();
  assert.equal(v.card?.id, CARDS[1].id);
  s.choose(v.order.indexOf(CARDS[1].answer) === 0 ? 1 : 0);
  v = s.view();
  assert.equal(v.correct, false);
  assert.deepEqual(v.grades, [1]);
  assert.equal(s.rate(3), null, 'a wrong answer cannot be rated good');
  s.rate(1);

  // Both are in learning steps within the learn-ahead window, so they come back in this session.
  v = s.view();
  assert.equal(v.card?.id, CARDS[0].id);
  assert.equal(v.isNew, false);
  now = at(5, 9, 11);
  s.choose(v.order.indexOf(CARDS[0].answer));
  s.rate(3);
  assert.equal(s.progress.cards[CARDS[0].id].phase, 'review', 'a second good answer graduates it to days');
  v = s.view();
  assert.equal(v.card?.id, CARDS[1].id);
  s.choose(v.order.indexOf(CARDS[1].answer));
  s.rate(4);
  assert.equal(s.view().phase, 'done');
  assert.equal(s.view().reviewed, 4);
  assert.equal(s.view().right, 1, 'right the first time: only the first card');
});

test('stats sort cards from seed to full bloom, count due, streak and retention', () => {
  let p = emptyProgress();
  const id = CARDS[0].id;
  p = recordReview(p, id, 3, true, at(1));
  p = recordReview(p, id, 3, true, at(1, 9, 10));
  let t = new Date(p.cards[id].due);
  for (let i = 0; i < 6 && p.cards[id].interval < 21; i++) {
    p = recordReview(p, id, 3, true, t);
    t = new Date(p.cards[id].due);
  }
  assert.equal(stageOf(p, id), 'mature');
  p = recordReview(p, CARDS[1].id, 3, true, at(20));
  p = recordReview(p, CARDS[1].id, 3, true, at(20, 9, 10));
  p = recordReview(p, CARDS[2].id, 1, false, at(20, 10));
  const now = at(20, 12);
  const s = computeStats(p, now);
  assert.deepEqual([s.modules[0].new, s.modules[0].learning, s.modules[0].young, s.modules[0].mature], [13, 1, 1, 1]);
  assert.equal(s.new, 77);
  assert.equal(s.dueToday, 1, 'only the card in learning is due today');
  assert.equal(s.reviewsToday, 3);
  assert.equal(s.streak, 1, 'today only');
  assert.ok(s.retention !== null && s.retention === 1, 'every recall after a gap passed');
  assert.equal(computeStats(p, at(21, 8)).streak, 1, 'a streak stays alive until the day ends without reviews');
  assert.equal(computeStats(p, at(22, 8)).streak, 0);
  assert.equal(computeStats(p, now, 2).cards, 16);
  assert.equal(computeStats(p, now, 2).reviews, 0);
  const table = renderStats(s, '/home/x/.weft/learn/progress.json');
  for (const line of table.split('\n')) assert.ok(line.length <= 80, `stats line longer than 80 columns: ${line}`);
  assert.match(table, /1 What a mesh is +16 +13 +1 +1 +1 +1 +\.{13}\+o@\n/);
});

test('a session limited to one module shows only its cards', () => {
  const s = new Session({ ...emptyProgress(), newPerDay: 100 }, { module: 4, clock: () => at(3) });
  assert.equal(s.view().remaining, cardsOf(4).length);
  assert.equal(s.view().card?.module, 4);
});
