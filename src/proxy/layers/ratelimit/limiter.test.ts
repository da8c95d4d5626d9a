import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Limiter, Limiters } from './limiter.js';
import { testCtx } from '../../stack/testing.js';
import type { RateLimitSnap } from '../../../api/ratelimit.js';
import type { Ctx } from '../../context.js';

const snap = (o: Partial<RateLimitSnap> = {}): RateLimitSnap => ({ policy: 'default/p', index: 0, requests: 10, perMs: 1000, burst: 10, by: 'none', ...o });

/** Takes a token when there is one; the bucket's state after. */
function take(l: Limiter, ctx: Ctx, now: number): { ok: boolean; tokens: number; waitMs: number } {
  const b = l.bucketFor(ctx, now);
  const ok = b.tokens >= 1;
  if (ok) b.tokens -= 1;
  return { ok, tokens: b.tokens, waitMs: l.waitMs(b) };
}

describe('rate limit token bucket', () => {
  it('starts full: burst requests at once, then none until a token comes back', () => {
    const l = new Limiter(snap({ requests: 10, perMs: 1000, burst: 25 }));
    const ctx = testCtx();
    const got = Array.from({ length: 30 }, () => take(l, ctx, 0).ok);
    assert.equal(got.filter(Boolean).length, 25);
    assert.deepEqual(got.slice(25), [false, false, false, false, false]);
    // 10 per second: a token every 100 ms.
    assert.equal(take(l, ctx, 0).waitMs, 100);
  });

  it('refills continuously at requests/per, never past burst', () => {
    const l = new Limiter(snap({ requests: 10, perMs: 1000, burst: 10 }));
    const ctx = testCtx();
    for (let i = 0; i < 10; i++) assert.ok(take(l, ctx, 0).ok);
    assert.equal(take(l, ctx, 0).ok, false);
    // 250 ms: 2.5 tokens; two requests pass, the third waits the remaining 50 ms.
    assert.equal(take(l, ctx, 250).ok, true);
    assert.equal(take(l, ctx, 250).ok, true);
    const third = take(l, ctx, 250);
    assert.equal(third.ok, false);
    assert.ok(Math.abs(third.waitMs - 50) < 1e-6, `waits ${third.waitMs} ms`);
    // An hour idle fills it to burst, not beyond.
    assert.equal(l.bucketFor(ctx, 3_600_000).tokens, 10);
  });

  it('sustains the configured rate: over 10 s of requests every 10 ms, burst + rate x time pass', () => {
    const l = new Limiter(snap({ requests: 20, perMs: 1000, burst: 5 }));
    const ctx = testCtx();
    let passed = 0;
    for (let t = 0; t <= 10_000; t += 10) if (take(l, ctx, t).ok) passed++;
    assert.equal(passed, 5 + 20 * 10);
  });

  it('keeps one bucket per descriptor value; no value (no principal, no header) is one shared bucket', () => {
    const byPrincipal = new Limiter(snap({ burst: 1, requests: 1, perMs: 60_000, by: 'sourcePrincipal' }));
    const from = (id?: string) => Object.assign(testCtx(), id === undefined ? {} : { peer: { spiffeId: id, hash: 'h' } });
    assert.ok(take(byPrincipal, from('spiffe://t/ns/a/sa/alice'), 0).ok);
    assert.ok(take(byPrincipal, from('spiffe://t/ns/a/sa/bob'), 0).ok);
    assert.ok(!take(byPrincipal, from('spiffe://t/ns/a/sa/alice'), 0).ok);
    assert.ok(take(byPrincipal, from(), 0).ok);
    assert.ok(!take(byPrincipal, from(), 0).ok);
    assert.equal(byPrincipal.size, 3);

    const byHeader = new Limiter(snap({ burst: 1, requests: 1, perMs: 60_000, by: { header: 'x-user' } }));
    assert.ok(take(byHeader, testCtx({ headers: { 'x-user': 'ann' } }), 0).ok);
    assert.ok(take(byHeader, testCtx({ headers: { 'x-user': 'ben' } }), 0).ok);
    assert.ok(!take(byHeader, testCtx({ headers: { 'x-user': 'ann' } }), 0).ok);
    assert.ok(take(byHeader, testCtx(), 0).ok, 'without the header: the shared bucket');
    assert.ok(!take(byHeader, testCtx({ headers: {} }), 0).ok, 'leaving the header out is no way around the limit');
    assert.ok(take(byHeader, testCtx({ headers: { 'x-user': ['ann', 'ben'] } }), 0).ok, 'a repeated header is its values joined');

    const byPath = new Limiter(snap({ burst: 1, requests: 1, perMs: 60_000, by: 'path' }));
    assert.ok(take(byPath, testCtx({ url: '/a?x=1' }), 0).ok);
    assert.ok(!take(byPath, testCtx({ url: '/a?x=2' }), 0).ok, 'the path without the query');
    assert.ok(take(byPath, testCtx({ url: '/b' }), 0).ok);

    const byIp = new Limiter(snap({ burst: 1, requests: 1, perMs: 60_000, by: 'sourceIP' }));
    assert.ok(take(byIp, testCtx({ remoteAddress: '10.0.0.1' }), 0).ok);
    assert.ok(take(byIp, testCtx({ remoteAddress: '10.0.0.2' }), 0).ok);
    assert.ok(!take(byIp, testCtx({ remoteAddress: '10.0.0.1' }), 0).ok);
  });

  it('holds at most maxBuckets buckets, dropping the least recently used; a dropped one comes back full', () => {
    const l = new Limiter(snap({ burst: 1, requests: 1, perMs: 60_000, by: { header: 'x-user' } }), 3);
    const u = (v: string) => testCtx({ headers: { 'x-user': v } });
    for (const v of ['a', 'b', 'c']) assert.ok(take(l, u(v), 0).ok);
    assert.ok(!take(l, u('a'), 1).ok, 'a is used again: most recent now');
    assert.ok(take(l, u('d'), 2).ok);
    assert.equal(l.size, 3);
    assert.ok(!take(l, u('a'), 3).ok, 'a was kept');
    assert.ok(!take(l, u('c'), 3).ok, 'c was kept');
    assert.ok(take(l, u('b'), 3).ok, 'b was the least recently used: dropped, and new again');
    // A client sending a new value every time cannot grow it.
    for (let i = 0; i < 10_000; i++) take(l, u(`random-${i}`), 4);
    assert.equal(l.size, 3);
  });

  it('keeps long values as a digest: equal values share a bucket, different ones do not', () => {
    const l = new Limiter(snap({ burst: 1, requests: 1, perMs: 60_000, by: { header: 'x-key' } }));
    const long = (c: string) => testCtx({ headers: { 'x-key': c.repeat(8000) } });
    assert.ok(take(l, long('a'), 0).ok);
    assert.ok(!take(l, long('a'), 0).ok);
    assert.ok(take(l, long('b'), 0).ok);
    // A short value cannot be the digest of a long one.
    assert.ok(take(l, testCtx({ headers: { 'x-key': 'a' } }), 0).ok);
  });

  it('counts only the requests its match selects, with the route matcher\'s semantics', () => {
    const l = new Limiter(snap({ match: { path: { type: 'PathPrefix', value: '/search' }, headers: [{ type: 'Exact', name: 'X-Tier', value: 'free' }], method: 'GET' } }));
    assert.equal(l.counts(testCtx({ url: '/search/books?q=1', headers: { 'x-tier': 'free' } })), true);
    assert.equal(l.counts(testCtx({ url: '/searching', headers: { 'x-tier': 'free' } })), false);
    assert.equal(l.counts(testCtx({ url: '/search', headers: { 'x-tier': 'paid' } })), false);
    assert.equal(l.counts(testCtx({ url: '/search', method: 'POST', headers: { 'x-tier': 'free' } })), false);
    assert.equal(new Limiter(snap()).counts(testCtx({ url: '/anything' })), true);
  });

  it('Limiters: a limit that stays the same keeps its limiter (and buckets); a changed one starts afresh', () => {
    const ls = new Limiters();
    const a = ls.get(snap());
    const ctx = testCtx();
    take(a, ctx, 0);
    assert.equal(ls.get(snap()), a, 'same policy, position and settings');
    assert.notEqual(ls.get(snap({ requests: 11 })), a);
    assert.notEqual(ls.get(snap({ policy: 'default/q' })), a);
    assert.notEqual(ls.get(snap({ match: { path: { type: 'Exact', value: '/x' } } })), a);
    ls.retain(new Set([a.key]));
    assert.equal(ls.size, 1);
    assert.equal(ls.get(snap()).bucketFor(ctx, 0).tokens, 9, 'its bucket survived');
    ls.retain(new Set());
    assert.equal(ls.size, 0);
  });
});
