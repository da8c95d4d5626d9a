import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RetryBudget, RetryBudgets } from './budget.js';

describe('RetryBudget', () => {
  const clock = () => {
    let t = 5_000_000;
    return { now: () => t, advance: (ms: number) => { t += ms; } };
  };

  it('allows retryRatio of the last 10 s of requests plus minRetriesPerSecond x 10 s', () => {
    const c = clock();
    const b = new RetryBudget({ retryRatio: 0.2, minRetriesPerSecond: 1, maxRetries: 1000 }, c.now);
    b.request();
    c.advance(9_000); // the reserve is full once the budget has seen 10 s
    for (let i = 0; i < 99; i++) b.request();
    let granted = 0;
    for (let i = 0; i < 100; i++) if (b.tryRetry()) { granted++; b.done(); }
    // 0.2 x 100 + 1/s x 10 s = 30
    assert.equal(granted, 30);
    assert.equal(b.attempted, 30);
    assert.equal(b.exhausted, 70);
  });

  it('with no requests, only the per-second reserve, which grows a second at a time to the window; ratio 0 and no reserve refuse every retry', () => {
    const c = clock();
    const b = new RetryBudget({ retryRatio: 0.2, minRetriesPerSecond: 2, maxRetries: 1000 }, c.now);
    let granted = 0;
    const drain = () => { while (b.tryRetry()) { granted++; b.done(); } };
    drain();
    assert.equal(granted, 2, 'the first second: 2');
    c.advance(4_000);
    drain();
    assert.equal(granted, 10, 'five seconds in: 2 x 5');
    c.advance(20_000);
    drain();
    // 20 s in, the window holds 10 s: 2 x 10 = 20 retries in it, and the first 10 have left it.
    assert.equal(granted, 30);
    const none = new RetryBudget({ retryRatio: 0, minRetriesPerSecond: 0, maxRetries: 1000 }, c.now);
    none.request();
    assert.equal(none.tryRetry(), false);
  });

  it('forgets requests and retries older than 10 s, bucket by bucket', () => {
    const c = clock();
    const b = new RetryBudget({ retryRatio: 1, minRetriesPerSecond: 0, maxRetries: 1000 }, c.now);
    for (let i = 0; i < 10; i++) b.request();
    for (let i = 0; i < 10; i++) assert.ok(b.tryRetry()), b.done();
    assert.equal(b.tryRetry(), false, 'the ratio is spent');
    c.advance(5_000);
    assert.equal(b.tryRetry(), false, 'still within the window');
    c.advance(5_000);
    // The second the requests and retries were counted in has left the window.
    for (let i = 0; i < 4; i++) b.request();
    let granted = 0;
    while (b.tryRetry()) { granted++; b.done(); }
    assert.equal(granted, 4);
    c.advance(60_000);
    assert.equal(b.tryRetry(), false, 'a long pause clears everything: no requests, no reserve');
  });

  it('bounds retries in flight by maxRetries', () => {
    const c = clock();
    const b = new RetryBudget({ retryRatio: 10, minRetriesPerSecond: 100, maxRetries: 3 }, c.now);
    assert.ok(b.tryRetry() && b.tryRetry() && b.tryRetry());
    assert.equal(b.tryRetry(), false);
    assert.equal(b.retriesInFlight, 3);
    b.done();
    assert.ok(b.tryRetry());
  });

  it('RetryBudgets keeps one budget per cluster across new parameters', () => {
    const bs = new RetryBudgets();
    const a = bs.get('api.default:80', { retryRatio: 0.2, minRetriesPerSecond: 10, maxRetries: 5 });
    const again = bs.get('api.default:80', { retryRatio: 0.5, minRetriesPerSecond: 1, maxRetries: 5 });
    assert.equal(a, again);
    assert.equal(a.params.retryRatio, 0.5);
    assert.notEqual(bs.get('web.default:80', a.params), a);
  });
});
