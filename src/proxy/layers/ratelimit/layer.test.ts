import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rateLimit, routeLimiters, snapshotLimits } from './layer.js';
import { Limiter, Limiters } from './limiter.js';
import { rescue } from '../rescue/layer.js';
import { stack } from '../../stack/index.js';
import { mockInner, testCtx } from '../../stack/testing.js';
import { CompiledRoute } from '../route/compile.js';
import type { RateLimitSnap } from '../../../api/ratelimit.js';
import type { RouteEntry, Snapshot } from '../../../api/snapshot.js';
import type { Ctx } from '../../context.js';

const snap = (o: Partial<RateLimitSnap> = {}): RateLimitSnap => ({ policy: 'default/p', index: 0, requests: 1, perMs: 10_000, burst: 1, by: 'none', ...o });

function setup(limiters: Limiter[]) {
  let t = 0;
  const limited: string[] = [];
  const inner = mockInner();
  const svc = stack<Ctx>([rescue({ log: () => {} }), rateLimit({ limitersOf: () => limiters, limited: (p) => limited.push(p), now: () => t })], inner);
  const call = async (init: Parameters<typeof testCtx>[0] = {}) => {
    const ctx = testCtx(init);
    await svc(ctx);
    return ctx;
  };
  return { call, inner, limited, advance: (ms: number) => { t += ms; } };
}

describe('rate limit layer', () => {
  it('over the limit: 429 rate-limited with retry-after in whole seconds until a token, at least 1', async () => {
    const t = setup([new Limiter(snap({ requests: 1, perMs: 10_000, burst: 1 }))]);
    assert.equal((await t.call()).res.answer.status, 200);
    const refused = await t.call();
    assert.equal(refused.res.answer.status, 429);
    assert.equal(refused.res.answer.headers?.['x-weft-error'], 'rate-limited');
    assert.equal(refused.res.answer.headers?.['retry-after'], '10');
    assert.equal(refused.error, 'rate-limited');
    t.advance(2500);
    assert.equal((await t.call()).res.answer.headers?.['retry-after'], '8', '7.5 s left, rounded up');
    t.advance(7500);
    assert.equal((await t.call()).res.answer.status, 200, 'a client that waited retry-after finds its token');
    assert.equal(t.inner.calls.length, 2);
    assert.deepEqual(t.limited, ['default/p', 'default/p']);

    const fast = setup([new Limiter(snap({ requests: 100, perMs: 1000, burst: 100 }))]);
    for (let i = 0; i < 100; i++) await fast.call();
    assert.equal((await fast.call()).res.answer.headers?.['retry-after'], '1', '10 ms to the next token is still 1 second');
  });

  it('every limit that counts a request needs a token, and a refused request takes none', async () => {
    // A generous overall limit and a strict one for /search.
    const overall = new Limiter(snap({ policy: 'default/overall', requests: 5, perMs: 10_000, burst: 5 }));
    const search = new Limiter(snap({ policy: 'default/search', requests: 1, perMs: 10_000, burst: 1, match: { path: { type: 'PathPrefix', value: '/search' } } }));
    const t = setup([overall, search]);
    assert.equal((await t.call({ url: '/search' })).res.answer.status, 200);
    const refused = await t.call({ url: '/search' });
    assert.equal(refused.res.answer.status, 429);
    assert.deepEqual(t.limited, ['default/search']);
    // The refused /search took nothing from the overall limit: 4 tokens remain there.
    const rest = [];
    for (let i = 0; i < 5; i++) rest.push((await t.call({ url: '/other' })).res.answer.status);
    assert.deepEqual(rest, [200, 200, 200, 200, 429]);
    assert.deepEqual(t.limited, ['default/search', 'default/overall']);
  });

  it('retry-after is the longest wait among the limits that refused', async () => {
    const a = new Limiter(snap({ policy: 'default/a', requests: 1, perMs: 3000, burst: 1 }));
    const b = new Limiter(snap({ policy: 'default/b', requests: 1, perMs: 30_000, burst: 1 }));
    const t = setup([a, b]);
    await t.call();
    const refused = await t.call();
    assert.equal(refused.res.answer.headers?.['retry-after'], '30');
    assert.deepEqual(t.limited, ['default/a'], 'counted once, for the first limit that refused');
  });

  it('a refused gRPC call (HTTP/2, application/grpc) is RESOURCE_EXHAUSTED in its record; HTTP/1 gets a plain 429', async () => {
    const t = setup([new Limiter(snap())]);
    const grpc = (protocol: 1 | 2) => {
      const ctx = testCtx({ headers: { 'content-type': 'application/grpc' } });
      (ctx.conn as { protocol: number }).protocol = protocol;
      return ctx;
    };
    const svc = stack<Ctx>([rescue({ log: () => {} }), rateLimit({ limitersOf: () => [l], now: () => 0 })], mockInner());
    const l = new Limiter(snap({ burst: 1 }));
    const first = grpc(2);
    await svc(first);
    assert.equal(first.grpcStatus, undefined);
    const refused = grpc(2);
    await svc(refused);
    assert.equal(refused.grpcStatus, 8);
    assert.equal(refused.res.answer.status, 429, 'the HTTP/2 stream turns it into a trailers-only answer (h2/server.ts)');
    const h1 = grpc(1);
    await svc(h1);
    assert.equal(h1.res.answer.status, 429);
    assert.equal(h1.grpcStatus, undefined);
    assert.equal((await t.call()).grpcStatus, undefined);
  });

  it('no limits for the request: the layer passes it through untouched', async () => {
    const inner = mockInner();
    const ctx = testCtx();
    await rateLimit({ limitersOf: () => undefined })(inner)(ctx);
    assert.equal(inner.calls.length, 1);
  });

  it('snapshotLimits: the inbound limits, each route entry\'s, and the keys to keep; nothing when no limit is set', () => {
    const entry = (rateLimits?: RateLimitSnap[]): RouteEntry => ({
      route: 'default/r', rule: 0, order: { created: '', match: 0 }, match: { path: { type: 'PathPrefix', value: '/' } }, filters: [], backends: [],
      ...(rateLimits !== undefined ? { rateLimits } : {}),
    });
    const limited = entry([snap({ policy: 'default/route' })]);
    const plain = entry();
    const s = {
      rateLimits: [snap({ policy: 'default/wl' })],
      services: [{ name: 'a', namespace: 'default', hosts: ['a'], ports: [{ port: 80, cluster: 'a.default:80', routes: [limited, plain] }] }],
      listeners: [],
    } as unknown as Snapshot;
    const store = new Limiters();
    const got = snapshotLimits(s, store);
    assert.deepEqual(got.inbound?.map((l) => l.policy), ['default/wl']);
    assert.deepEqual(got.routes?.get(limited)?.map((l) => l.policy), ['default/route']);
    assert.equal(got.routes?.get(plain), undefined);
    assert.equal(got.keys.size, 2);
    const of = routeLimiters(got.routes!);
    const ctx = testCtx();
    ctx.route = new CompiledRoute(limited);
    assert.equal(of(ctx), got.routes?.get(limited), 'the compiled route leads back to its entry\'s limiters');
    ctx.route = new CompiledRoute(plain);
    assert.equal(of(ctx), undefined);
    const none = snapshotLimits({ services: [], listeners: [] } as unknown as Snapshot, store);
    assert.deepEqual(none, { keys: new Set() });
  });
});
