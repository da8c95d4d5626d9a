import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fault, snapshotHasFault } from './layer.js';
import { rescue } from '../rescue/layer.js';
import { retry } from '../retry/layer.js';
import { RetryBudgets } from '../retry/budget.js';
import { observe } from '../../observe/layer.js';
import type { RequestRecord } from '../../observe/record.js';
import { CompiledRoute } from '../route/compile.js';
import { entry } from '../route/testutil.js';
import { mockInner, testCtx } from '../../stack/testing.js';
import type { Service } from '../../stack/index.js';
import type { Ctx, HeaderMap } from '../../context.js';
import type { FaultSnap } from '../../../api/fault.js';
import type { Snapshot } from '../../../api/snapshot.js';
import { resolveRetry, type RouteTimeoutsSnap } from '../../../api/traffic.js';

const GRPC = { 'content-type': 'application/grpc' };

/** A route whose rule has `f`, with `timeouts`. */
function routeWith(f: Omit<FaultSnap, 'ref'> & { ref?: string }, timeouts?: RouteTimeoutsSnap, retrySnap = false): CompiledRoute {
  return new CompiledRoute({ ...entry({}), fault: { ref: 'default/chaos', ...f }, ...(timeouts !== undefined ? { timeouts } : {}), ...(retrySnap ? { retry: resolveRetry({ attempts: 3, codes: [503] }) } : {}) });
}

/** The outbound order that matters here: observe -> rescue -> fault -> inner; records kept. */
function stack(inner: Service<Ctx>, random?: () => number) {
  const records: RequestRecord[] = [];
  const svc = observe({ direction: 'outbound', sinks: [{ record: (r) => records.push(r) }], self: { workload: 'web', namespace: 'default', principal: 'spiffe://t/ns/default/sa/web' }, tls: () => false })(
    rescue({ log: () => {} })(fault({ random })(inner)),
  );
  return { svc, records };
}

function call(svc: Service<Ctx>, r: CompiledRoute, headers: HeaderMap = {}) {
  const ctx = testCtx({ headers });
  ctx.route = r;
  ctx.timeouts = r.entry.timeouts;
  const t0 = performance.now();
  return { ctx, done: svc(ctx).then(() => performance.now() - t0) };
}

/** A random() that returns the values given, in turn (the layer draws delay, then abort). */
function sequence(values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

describe('fault layer', () => {
  it('a rule without a fault passes straight through', async () => {
    const inner = mockInner();
    const { svc, records } = stack(inner);
    const { ctx, done } = call(svc, new CompiledRoute(entry({})));
    await done;
    assert.equal(inner.calls.length, 1);
    assert.equal(ctx.res.answer.status, 200);
    assert.equal(records[0]!.flags, '-');
  });

  it('aborts with the fault\'s status, x-weft-error fault-abort and a short text, without calling the backend (flag FI)', async () => {
    const inner = mockInner();
    const { svc, records } = stack(inner);
    const { ctx, done } = call(svc, routeWith({ abort: { httpStatus: 418, percent: 100 } }));
    await done;
    assert.equal(inner.calls.length, 0);
    assert.equal(ctx.res.answer.status, 418);
    assert.equal(ctx.res.answer.headers!['x-weft-error'], 'fault-abort');
    assert.equal(ctx.res.answer.body, 'fault-abort: aborted by fault injection\n');
    assert.equal(ctx.res.answer.headers!['grpc-status'], undefined);
    assert.deepEqual([records[0]!.status, records[0]!.flags, records[0]!.error], [418, 'FI', 'fault-abort']);
  });

  it('answers a gRPC call with a gRPC status (named, or mapped from httpStatus); an HTTP request with the HTTP status of a gRPC one', async () => {
    const inner = mockInner();
    const { svc, records } = stack(inner);
    const grpcAbort = routeWith({ abort: { grpcStatus: 8, percent: 100 } });
    const a = call(svc, grpcAbort, GRPC);
    await a.done;
    // The HTTP/2 stream turns a head with grpc-status into a trailers-only answer; the record keeps the status meant.
    assert.deepEqual([a.ctx.res.answer.status, a.ctx.res.answer.headers!['grpc-status'], a.ctx.grpcStatus], [429, '8', 8]);
    assert.deepEqual([records[0]!.grpcStatus, records[0]!.flags], ['8', 'FI']);
    const b = call(svc, routeWith({ abort: { httpStatus: 503, percent: 100 } }), GRPC);
    await b.done;
    assert.deepEqual([b.ctx.res.answer.status, b.ctx.res.answer.headers!['grpc-status']], [503, '14']);
    const c = call(svc, grpcAbort);
    await c.done;
    assert.deepEqual([c.ctx.res.answer.status, c.ctx.res.answer.headers!['grpc-status'], c.ctx.grpcStatus], [429, undefined, undefined]);
    const d = call(svc, routeWith({ abort: { grpcStatus: 14, percent: 100 } }));
    await d.done;
    assert.equal(d.ctx.res.answer.status, 503);
    assert.equal(inner.calls.length, 0);
  });

  it('holds a delayed request fixedDelay, then sends it on (flag DI); a delay then an abort is DI,FI', async () => {
    const inner = mockInner();
    const { svc, records } = stack(inner);
    const { ctx, done } = call(svc, routeWith({ delay: { ms: 60, percent: 100 } }));
    await new Promise((r) => setImmediate(r));
    assert.equal(inner.calls.length, 0, 'not sent on before the delay is over');
    const ms = await done;
    assert.ok(ms >= 59, `held ${ms.toFixed(1)} ms`);
    assert.equal(inner.calls.length, 1);
    assert.equal(ctx.res.answer.status, 200);
    assert.equal(records[0]!.flags, 'DI');
    const both = call(svc, routeWith({ delay: { ms: 20, percent: 100 }, abort: { httpStatus: 503, percent: 100 } }));
    assert.ok((await both.done) >= 19);
    assert.equal(inner.calls.length, 1);
    assert.deepEqual([both.ctx.res.answer.status, records[1]!.flags], [503, 'DI,FI']);
  });

  it('draws each request independently, the delay and the abort each with its own share', async () => {
    // Ten requests, draws 0.00..0.90 for the delay and the reverse for the abort: 30 % delayed, 20 % aborted.
    const draws: number[] = [];
    for (let i = 0; i < 10; i++) draws.push(i / 10, (9 - i) / 10);
    const inner = mockInner();
    const { svc, records } = stack(inner, sequence(draws));
    const r = routeWith({ delay: { ms: 1, percent: 30 }, abort: { httpStatus: 503, percent: 20 } });
    for (let i = 0; i < 10; i++) await call(svc, r).done;
    assert.deepEqual(records.map((x) => x.flags), ['DI', 'DI', 'DI', '-', '-', '-', '-', '-', 'FI', 'FI']);
    assert.equal(inner.calls.length, 8);
    // Shares of 0 and 100 take no draw at all.
    let drawn = 0;
    const none = stack(mockInner(), () => (drawn++, 0));
    await call(none.svc, routeWith({ delay: { ms: 1, percent: 0 }, abort: { httpStatus: 503, percent: 100 } })).done;
    assert.deepEqual([drawn, none.records[0]!.flags], [0, 'FI']);
  });

  it('faults only requests whose headers match (exact or a regular expression)', async () => {
    const inner = mockInner();
    const { svc } = stack(inner);
    const r = routeWith({ abort: { httpStatus: 503, percent: 100 }, headers: [{ type: 'Exact', name: 'X-Chaos', value: 'on' }, { type: 'RegularExpression', name: 'x-user', value: 'test-[0-9]+' }] });
    const statuses: number[] = [];
    for (const h of [{}, { 'x-chaos': 'on' }, { 'x-chaos': 'on', 'x-user': 'test-12' }, { 'x-chaos': 'off', 'x-user': 'test-12' }, { 'x-chaos': 'on', 'x-user': 'test-12x' }]) {
      const c = call(svc, r, h);
      await c.done;
      statuses.push(c.ctx.res.answer.status!);
    }
    assert.deepEqual(statuses, [200, 200, 503, 200, 200]);
  });

  it('a delay longer than timeouts.request ends at that limit in 504 upstream-timeout (DI,UT), the backend never called', async () => {
    const inner = mockInner();
    const { svc, records } = stack(inner);
    const { ctx, done } = call(svc, routeWith({ delay: { ms: 5000, percent: 100 } }, { requestMs: 80, backendRequestMs: 0, responseHeadersMs: 0 }));
    const ms = await done;
    assert.ok(ms >= 75 && ms < 2000, `ended after ${ms.toFixed(0)} ms`);
    assert.equal(inner.calls.length, 0);
    assert.deepEqual([ctx.res.answer.status, ctx.res.answer.headers!['x-weft-error'], records[0]!.flags], [504, 'upstream-timeout', 'DI,UT']);
    // A shorter delay within the limit goes on.
    const ok = call(svc, routeWith({ delay: { ms: 10, percent: 100 } }, { requestMs: 2000, backendRequestMs: 0, responseHeadersMs: 0 }));
    await ok.done;
    assert.equal(ok.ctx.res.answer.status, 200);
  });

  it('a gRPC caller\'s grpc-timeout shorter than the delay ends the call at the deadline', async () => {
    const inner = mockInner();
    const { svc } = stack(inner);
    const { ctx, done } = call(svc, routeWith({ delay: { ms: 5000, percent: 100 } }), { ...GRPC, 'grpc-timeout': '50m' });
    const ms = await done;
    assert.ok(ms < 2000, `ended after ${ms.toFixed(0)} ms`);
    assert.deepEqual([ctx.res.answer.status, ctx.res.answer.headers!['x-weft-error']], [504, 'upstream-timeout']);
    assert.equal(inner.calls.length, 0);
  });

  it('a client that goes away during the delay ends it: nothing is sent on or answered (DI,DC)', async () => {
    const inner = mockInner();
    const { svc, records } = stack(inner);
    const { ctx, done } = call(svc, routeWith({ delay: { ms: 5000, percent: 100 }, abort: { httpStatus: 503, percent: 100 } }));
    await new Promise((r) => setImmediate(r));
    ctx.res.destroy();
    const ms = await done;
    assert.ok(ms < 2000);
    assert.equal(inner.calls.length, 0);
    assert.equal(ctx.res.answer.status, undefined);
    assert.equal(records[0]!.flags, 'DI,DC');
  });

  it('a FaultInjection that does not exist fails the rule\'s requests with 500 filter-not-found', async () => {
    const inner = mockInner();
    const { svc, records } = stack(inner);
    const { ctx, done } = call(svc, routeWith({ ref: 'default/gone', missing: true }));
    await done;
    assert.equal(inner.calls.length, 0);
    assert.deepEqual([ctx.res.answer.status, ctx.res.answer.headers!['x-weft-error'], records[0]!.flags], [500, 'filter-not-found', 'NR']);
  });

  it('an abort is never retried: it answers above the retry layer, which never sees it', async () => {
    const inner = mockInner((ctx) => {
      ctx.res.writeHead(200, {});
      ctx.res.end();
    });
    const counted: string[] = [];
    const svc = rescue({ log: () => {} })(fault()(retry({ budgets: new RetryBudgets(), budgetOf: () => ({ retryRatio: 1, minRetriesPerSecond: 100, maxRetries: 10 }), count: (_c, o) => counted.push(o) })(inner)));
    const ctx = testCtx();
    ctx.route = routeWith({ abort: { httpStatus: 503, percent: 100 } }, undefined, true);
    ctx.cluster = 'svc.default:80';
    await svc(ctx);
    assert.deepEqual([ctx.res.answer.status, inner.calls.length, counted], [503, 0, []]);
  });

  it('is wanted in the stack only when some route of the snapshot has a fault', () => {
    const snap = (fault?: FaultSnap) => ({
      services: [{ ports: [{ routes: [entry({})] }] }],
      listeners: [{ virtualHosts: [{ routes: [{ ...entry({}), ...(fault !== undefined ? { fault } : {}) }] }] }],
    }) as unknown as Snapshot;
    assert.equal(snapshotHasFault(snap()), false);
    assert.equal(snapshotHasFault(snap({ ref: 'default/x', abort: { httpStatus: 503, percent: 1 } })), true);
  });
});
