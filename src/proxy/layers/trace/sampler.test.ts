import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parentBased } from './sampler.js';

test('parent-based: the caller decision is kept at any rate', () => {
  for (const rate of [0, 0.01, 0.5, 1]) {
    const s = parentBased(rate, () => 0);
    assert.equal(s(true), true, `rate ${rate}`);
    assert.equal(s(false), false, `rate ${rate}`);
  }
});

test('new traces are drawn at the rate', () => {
  assert.equal(parentBased(0, () => 0)(undefined), false);
  assert.equal(parentBased(1, () => 0.999)(undefined), true);
  assert.equal(parentBased(0.25, () => 0.24)(undefined), true);
  assert.equal(parentBased(0.25, () => 0.25)(undefined), false);
  // With a real random source the share is near the rate.
  const s = parentBased(0.1);
  let n = 0;
  for (let i = 0; i < 20000; i++) if (s(undefined)) n++;
  assert.ok(n > 1500 && n < 2500, `sampled ${n} of 20000 at 0.1`);
});

test('a rate outside 0..1 is refused when the layer is built', () => {
  for (const bad of [-0.1, 1.5, NaN, '0.5' as unknown as number]) assert.throws(() => parentBased(bad), /sampleRate .*0 to 1/);
});
