import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSplit } from './split.js';
import { backend } from './testutil.js';
import { seeded } from '../../../util/prng.js';


test('90/10 weights give 9000±300 of 10000', () => {
  for (const seed of [1, 42, 2024]) {
    const rand = seeded(seed);
    const s = compileSplit([backend('a', 90), backend('b', 10)]);
    let a = 0;
    for (let i = 0; i < 10000; i++) if (s.pick(rand())!.cluster === 'a') a++;
    assert.ok(Math.abs(a - 9000) <= 300, `seed ${seed}: ${a}`);
  }
});

test('many backends (binary search) follow their weights', () => {
  const bs = Array.from({ length: 20 }, (_, i) => backend(`c${i}`, i + 1)); // total 210
  const s = compileSplit(bs);
  const rand = seeded(7);
  const counts = new Map<string, number>();
  const n = 210000;
  for (let i = 0; i < n; i++) {
    const c = s.pick(rand())!.cluster!;
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  for (let i = 0; i < 20; i++) {
    const want = (n * (i + 1)) / 210;
    const got = counts.get(`c${i}`) ?? 0;
    assert.ok(Math.abs(got - want) <= Math.max(60, want * 0.05), `c${i}: ${got} vs ${want}`);
  }
});

test('weight 0 is never chosen', () => {
  for (const bs of [
    [backend('zero', 0), backend('a', 1)],
    [backend('a', 1), backend('zero', 0)],
    [backend('a', 1), backend('zero', 0), backend('b', 3)],
    Array.from({ length: 12 }, (_, i) => backend(i % 2 === 0 ? 'zero' : `c${i}`, i % 2 === 0 ? 0 : 1)),
  ]) {
    const s = compileSplit(bs);
    const rand = seeded(3);
    for (let i = 0; i < 2000; i++) assert.notEqual(s.pick(rand())!.cluster, 'zero');
    // The edges of [0, 1) too.
    assert.notEqual(s.pick(0)!.cluster, 'zero');
    assert.notEqual(s.pick(0.9999999999999999)!.cluster, 'zero');
  }
});

test('all weights zero, or no backends: undefined', () => {
  assert.equal(compileSplit([]).pick(0.5), undefined);
  assert.equal(compileSplit([backend('a', 0), backend('b', 0)]).pick(0.5), undefined);
  assert.equal(compileSplit([backend('a', -1), backend('b', NaN)]).pick(0.5), undefined);
});

test('boundaries map to the right backend', () => {
  const s = compileSplit([backend('a', 1), backend('b', 1), backend('c', 2)]);
  assert.equal(s.pick(0)!.cluster, 'a');
  assert.equal(s.pick(0.2499)!.cluster, 'a');
  assert.equal(s.pick(0.25)!.cluster, 'b');
  assert.equal(s.pick(0.5)!.cluster, 'c');
  assert.equal(s.pick(0.9999999999999999)!.cluster, 'c');
  const one = compileSplit([backend('only', 5)]);
  assert.equal(one.pick(0.7)!.cluster, 'only');
});
