import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import type { HeaderMap } from '../../context.js';
import type { Service } from '../../stack/index.js';
import { trace, type TraceParams } from './layer.js';
import { SpanKind, StatusCode, type SpanData } from './span.js';
import { fakeCtx, MemoryExporter, type FakeCtx } from './testutil.js';

const proxy = (workload: string, namespace = 'default') => ({ name: `${workload}-7d4f`, workload, namespace });

/** Runs one request through a trace layer; returns the ctx and the headers the next hop would get. */
async function hop(params: TraceParams, incoming: HeaderMap, o: Parameters<typeof fakeCtx>[1] = {}, inside?: (ctx: FakeCtx) => void) {
  let sent: HeaderMap = {};
  const terminal: Service<FakeCtx> = async (ctx) => {
    inside?.(ctx);
    sent = { ...ctx.headers };
  };
  const ctx = fakeCtx(incoming, o);
  await (trace(params) as unknown as (s: Service<FakeCtx>) => Service<FakeCtx>)(terminal)(ctx);
  return { ctx, sent };
}

const TP = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;

test('three hops: each span is the child of the one before, in one trace', async () => {
  const exp = new MemoryExporter();
  const base = { sampleRate: 1, exporter: exp };
  // gateway -> (mesh) -> inbound sidecar of "cart" -> cart app -> outbound sidecar of "cart" -> ...
  const a = await hop({ ...base, direction: 'gateway', proxy: proxy('ingress', 'weft-system') }, { 'user-agent': 'curl' }, { path: '/cart/42', authority: 'shop.example.com' }, (ctx) => {
    ctx.route = { name: 'shop/cart' };
    ctx.cluster = 'cart.shop:8080';
  });
  a.ctx.finish(200);
  const b = await hop({ ...base, direction: 'inbound', proxy: proxy('cart', 'shop') }, a.sent, {
    path: '/cart/42',
    authority: 'cart.shop:8080',
    peer: { spiffeId: 'spiffe://weft.local/ns/weft-system/sa/ingress', hash: 'x' },
  });
  b.ctx.finish(200);
  // The app forwards the trace headers it received (as instrumented apps do).
  const c = await hop({ ...base, direction: 'outbound', proxy: proxy('cart', 'shop') }, b.sent, { method: 'POST', path: '/prices/42', authority: 'prices.shop:80' }, (ctx) => {
    ctx.route = { name: 'shop/prices' };
    ctx.cluster = 'prices.shop:80';
  });
  c.ctx.finish(200);

  assert.equal(exp.spans.length, 3);
  const [sa, sb, sc] = exp.spans as [SpanData, SpanData, SpanData];
  const traceId = sa.traceId;
  assert.match(traceId, /^[0-9a-f]{32}$/);
  for (const s of exp.spans) assert.equal(s.traceId, traceId);
  assert.equal(sa.parentSpanId, undefined, 'the gateway started the trace');
  assert.equal(sb.parentSpanId, sa.spanId);
  assert.equal(sc.parentSpanId, sb.spanId);
  assert.equal(new Set(exp.spans.map((s) => s.spanId)).size, 3);
  // What each hop sent names its own span as the parent of the next.
  assert.deepEqual(TP.exec(a.sent['traceparent'] as string)!.slice(1), [traceId, sa.spanId, '01']);
  assert.deepEqual(TP.exec(b.sent['traceparent'] as string)!.slice(1), [traceId, sb.spanId, '01']);
  assert.deepEqual(TP.exec(c.sent['traceparent'] as string)!.slice(1), [traceId, sc.spanId, '01']);
  for (const h of [a, b, c]) assert.equal(h.ctx.traceId, traceId);

  assert.equal(sa.name, 'GET shop/cart', 'the route name, set by a layer below, not the path');
  assert.equal(sb.name, 'GET cart.shop:8080', 'no route: the authority');
  assert.equal(sc.name, 'POST shop/prices');
  assert.deepEqual([sa.kind, sb.kind, sc.kind], [SpanKind.CLIENT, SpanKind.SERVER, SpanKind.CLIENT]);
  assert.deepEqual(sa.resource.attributes, { 'service.name': 'ingress.weft-system', 'weft.proxy': 'ingress-7d4f' });
  assert.deepEqual(sb.resource.attributes, { 'service.name': 'cart.shop', 'weft.proxy': 'cart-7d4f' });
  assert.deepEqual(sa.attributes, {
    'http.request.method': 'GET',
    'http.response.status_code': 200,
    'url.path': '/cart/42',
    'server.address': 'shop.example.com',
    'weft.direction': 'gateway',
    'weft.route': 'shop/cart',
    'weft.upstream_cluster': 'cart.shop:8080',
  });
  assert.deepEqual(sb.attributes, {
    'http.request.method': 'GET',
    'http.response.status_code': 200,
    'url.path': '/cart/42',
    'server.address': 'cart.shop',
    'server.port': 8080,
    'weft.direction': 'inbound',
    'weft.source.principal': 'spiffe://weft.local/ns/weft-system/sa/ingress',
  });
  assert.deepEqual(sa.status, { code: StatusCode.UNSET });
  assert.equal(sa.flags, 0x101, 'sampled, parent not remote (root)');
  assert.equal(sb.flags, 0x301, 'sampled, remote parent');
  for (const s of exp.spans) {
    assert.ok(s.endTimeUnixNano >= s.startTimeUnixNano);
    const ms = Number(s.startTimeUnixNano / 1_000_000n);
    assert.ok(Math.abs(ms - Date.now()) < 5000, 'unix-epoch nanoseconds');
  }
});

test('the span is recorded when the response closes, with error status for 5xx and proxy errors', async () => {
  const exp = new MemoryExporter();
  const p: TraceParams = { direction: 'outbound', sampleRate: 1, exporter: exp, proxy: proxy('web') };
  const ok = await hop(p, {});
  assert.equal(exp.spans.length, 0, 'nothing before the response is done');
  ok.ctx.finish(404);
  assert.deepEqual(exp.spans[0].status, { code: StatusCode.UNSET }, '4xx is not an error of this hop');

  const e5 = await hop(p, {});
  e5.ctx.finish(503);
  assert.deepEqual(exp.spans[1].status, { code: StatusCode.ERROR, message: 'HTTP 503' });

  const rescued = await hop(p, {}, {}, (ctx) => {
    ctx.error = 'no-healthy-endpoint';
  });
  rescued.ctx.finish(503);
  assert.deepEqual(exp.spans[2].status, { code: StatusCode.ERROR, message: 'no-healthy-endpoint' });
  assert.equal(exp.spans[2].attributes['weft.response_flags'], 'UH');
  assert.equal(exp.spans[2].attributes['weft.error'], 'no-healthy-endpoint');

  const rbac = await hop(p, {}, {}, (ctx) => {
    ctx.error = 'rbac-denied';
  });
  rbac.ctx.finish(403);
  assert.equal(exp.spans[3].status.code, StatusCode.ERROR, 'the proxy answered itself');

  const gone = await hop(p, {});
  gone.ctx.finish(200, false);
  assert.equal(exp.spans[4].attributes['weft.response_flags'], 'DC');
  assert.equal(exp.spans.length, 5);
});

test('sampling: the caller decides; new traces are drawn at the rate', async () => {
  const exp = new MemoryExporter();
  const never: TraceParams = { direction: 'inbound', sampleRate: 0, exporter: exp, proxy: proxy('web') };
  const sampledIn = await hop(never, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
  sampledIn.ctx.finish(200);
  assert.equal(exp.spans.length, 1, 'a sampled caller is followed even at rate 0');
  assert.equal(exp.spans[0].parentSpanId, '00f067aa0ba902b7');

  const always: TraceParams = { ...never, sampleRate: 1 };
  const deniedIn = await hop(always, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00' });
  deniedIn.ctx.finish(200);
  assert.equal(exp.spans.length, 1, 'an unsampled caller is followed even at rate 1');
  assert.match(deniedIn.sent['traceparent'] as string, /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-00$/);

  const b3deny = await hop(always, { b3: '0' });
  b3deny.ctx.finish(200);
  assert.equal(exp.spans.length, 1);
  assert.match(b3deny.sent['b3'] as string, /^[0-9a-f]{32}-[0-9a-f]{16}-0$/);

  const draws = [0.3, 0.7];
  const half: TraceParams = { ...never, sampleRate: 0.5, random: () => draws.shift()! };
  (await hop(half, {})).ctx.finish(200);
  const unsampled = await hop(half, {});
  unsampled.ctx.finish(200);
  assert.equal(exp.spans.length, 2);
  assert.match(unsampled.sent['traceparent'] as string, /-00$/);

  const deferred = await hop(always, { 'x-b3-traceid': 'a3ce929d0e0e4736', 'x-b3-spanid': 'e457b5a2e4d86bd1' });
  deferred.ctx.finish(200);
  assert.equal(exp.spans.length, 3, 'a deferred B3 decision is made here');
  assert.equal(exp.spans[2].traceId, '0000000000000000a3ce929d0e0e4736');
  assert.deepEqual(
    {
      t: deferred.sent['x-b3-traceid'],
      p: deferred.sent['x-b3-parentspanid'],
      s: deferred.sent['x-b3-sampled'],
      id: deferred.sent['x-b3-spanid'],
    },
    { t: 'a3ce929d0e0e4736', p: 'e457b5a2e4d86bd1', s: '1', id: exp.spans[2].spanId },
  );
});

test('W3C context is preferred and tracestate is carried unchanged and recorded', async () => {
  const exp = new MemoryExporter();
  const { ctx, sent } = await hop({ direction: 'inbound', sampleRate: 0, exporter: exp, proxy: proxy('web') }, {
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    tracestate: 'congo=t61rcWkgMzE',
    b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-0',
  });
  ctx.finish(200);
  const s = exp.spans[0];
  assert.equal(s.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(s.parentSpanId, '00f067aa0ba902b7');
  assert.equal(s.traceState, 'congo=t61rcWkgMzE');
  assert.equal(sent['tracestate'], 'congo=t61rcWkgMzE');
  assert.equal(sent['b3'], `4bf92f3577b34da6a3ce929d0e0e4736-${s.spanId}-1-00f067aa0ba902b7`, 'b3 follows the winning context');
});

test('without an exporter: still propagates (a traceparent always), records nothing, starts traces unsampled', async () => {
  const p: TraceParams = { direction: 'outbound', sampleRate: 1, exporter: undefined, proxy: proxy('web') };
  const fresh = await hop(p, {});
  assert.equal((fresh.ctx.res as unknown as EventEmitter).listenerCount('close'), 0, 'no span bookkeeping');
  const m = TP.exec(fresh.sent['traceparent'] as string);
  assert.ok(m, 'a traceparent is forwarded');
  assert.equal(m[1], fresh.ctx.traceId);
  assert.equal(m[3], '00');

  const joined = await hop(p, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
  assert.equal((joined.ctx.res as unknown as EventEmitter).listenerCount('close'), 0);
  assert.match(joined.sent['traceparent'] as string, /^00-4bf92f3577b34da6a3ce929d0e0e4736-(?!00f067aa0ba902b7)[0-9a-f]{16}-01$/);
});

test('a bad sample rate fails when the stack is built', () => {
  assert.throws(() => trace({ direction: 'inbound', sampleRate: 2, exporter: new MemoryExporter(), proxy: proxy('web') }), /sampleRate/);
});
