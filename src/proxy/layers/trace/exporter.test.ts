import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpListener } from '../../engine/listener.js';
import { forwardTo } from '../../engine/forward.js';
import { UpstreamPool, plainConnect } from '../../engine/client.js';
import { trace, type TraceParams } from './layer.js';
import { OtlpHttpExporter } from './exporter.js';
import { SpanKind, StatusCode, type SpanData, type SpanResource } from './span.js';
import { ExportTraceServiceResponse, Receiver } from './testutil.js';

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * One proxy hop on the engine's real listener: runs the trace layer, then (as the route layer and forward
 * would) names the route and forwards to the next address with the engine's forwarder.
 */
async function startHop(params: TraceParams, next: string, route?: { name: string; cluster: string }): Promise<{ server: HopServer; addr: string }> {
  const pool = new UpstreamPool(next, plainConnect('127.0.0.1', Number(next.split(':')[1])), { maxConnections: 8, idleTimeoutMs: 30_000, connectTimeoutMs: 5000 });
  const toNext = forwardTo(pool);
  const svc = trace(params)((ctx) => {
    if (route !== undefined) {
      ctx.route = { name: route.name };
      ctx.cluster = route.cluster;
    }
    ctx.headers['host'] = next;
    return toNext(ctx);
  });
  const l = new HttpListener((ctx) => svc(ctx).catch((e: Error) => {
    ctx.error = 'internal';
    if (!ctx.res.headersSent) ctx.res.writeHead(500, {});
    ctx.res.end(e.message);
  }));
  const port = await l.listen(0, '127.0.0.1');
  return { server: { close: () => { pool.close(); return l.drain(0); } }, addr: `127.0.0.1:${port}` };
}

interface HopServer {
  close(): Promise<void>;
}

test('three real proxy hops export linked spans that a real OTLP receiver decodes', async (t) => {
  const receiver = await new Receiver().start();
  t.after(() => receiver.close());

  let appHeaders: IncomingHttpHeaders = {};
  const app = createServer((req, res) => {
    appHeaders = req.headers;
    res.end('ok');
  });
  const appAddr = await listen(app);
  t.after(() => close(app));

  const exporters: OtlpHttpExporter[] = [];
  const mk = (direction: TraceParams['direction'], workload: string, namespace: string): TraceParams => {
    const exporter = new OtlpHttpExporter({ endpoint: receiver.url, flushMs: 20, headers: { 'x-api-key': 'k1' } });
    exporters.push(exporter);
    // Rate 0: every span here exists only because the caller's B3 header said "sampled".
    return { direction, sampleRate: 0, exporter, proxy: { name: `${workload}-5c9f`, workload, namespace } };
  };
  t.after(() => Promise.all(exporters.map((e) => e.shutdown())));

  // The app behind the "cart" sidecar is elided: its inbound hop forwards straight to its outbound hop,
  // carrying the trace headers as an instrumented app would.
  const outbound = await startHop(mk('outbound', 'cart', 'shop'), appAddr, { name: 'shop/prices', cluster: 'prices.shop:80' });
  const inbound = await startHop(mk('inbound', 'cart', 'shop'), outbound.addr);
  const gateway = await startHop(mk('gateway', 'ingress', 'weft-system'), inbound.addr, { name: 'shop/cart', cluster: 'cart.shop:8080' });
  for (const h of [outbound, inbound, gateway]) t.after(() => h.server.close());

  // The client speaks B3 (single header, 64-bit trace id) and has sampled the trace.
  const clientTrace = '48485a3953bb6124';
  const clientSpan = 'a2fb4a1d1a96d312';
  const status = await new Promise<number>((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: Number(gateway.addr.split(':')[1]), path: '/cart/42?x=1', headers: { b3: `${clientTrace}-${clientSpan}-1` }, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
  assert.equal(status, 200);

  await receiver.until(() => receiver.spans.length >= 3, 5000, 'three spans');
  const spans = receiver.spans;
  assert.equal(spans.length, 3);
  for (const r of receiver.requests) {
    assert.equal(r.headers['content-type'], 'application/x-protobuf');
    assert.equal(r.headers['x-api-key'], 'k1');
  }
  const by = (dir: string) => spans.find((s) => s.attributes['weft.direction'] === dir)!;
  const [g, i, o] = [by('gateway'), by('inbound'), by('outbound')];

  const traceId = `0000000000000000${clientTrace}`;
  for (const s of spans) assert.equal(s.traceId, traceId);
  assert.equal(g.parentSpanId, clientSpan, 'the gateway span is the child of the client span');
  assert.equal(i.parentSpanId, g.spanId);
  assert.equal(o.parentSpanId, i.spanId);
  // The app sees the outbound span as its parent, in both formats, the B3 one still 64-bit.
  assert.equal(appHeaders['traceparent'], `00-${traceId}-${o.spanId}-01`);
  assert.equal(appHeaders['b3'], `${clientTrace}-${o.spanId}-1-${i.spanId}`);

  assert.equal(g.name, 'GET shop/cart');
  assert.equal(i.name, `GET ${inbound.addr}`);
  assert.equal(o.name, 'GET shop/prices');
  assert.deepEqual([g.kind, i.kind, o.kind], [SpanKind.CLIENT, SpanKind.SERVER, SpanKind.CLIENT]);
  assert.deepEqual(g.resource, { 'service.name': 'ingress.weft-system', 'weft.proxy': 'ingress-5c9f' });
  assert.deepEqual(i.resource, { 'service.name': 'cart.shop', 'weft.proxy': 'cart-5c9f' });
  assert.equal(g.scope, 'weft');
  assert.deepEqual(g.attributes, {
    'http.request.method': 'GET',
    'http.response.status_code': 200,
    'url.path': '/cart/42',
    'server.address': '127.0.0.1',
    'server.port': Number(gateway.addr.split(':')[1]),
    'weft.direction': 'gateway',
    'weft.route': 'shop/cart',
    'weft.upstream_cluster': 'cart.shop:8080',
  });
  assert.equal(o.attributes['weft.upstream_cluster'], 'prices.shop:80');
  assert.deepEqual(g.status, { code: StatusCode.UNSET, message: '' });
  for (const s of spans) {
    assert.ok(BigInt(s.end) >= BigInt(s.start));
    assert.ok(Math.abs(Number(BigInt(s.start) / 1_000_000n) - Date.now()) < 10_000);
    assert.equal(s.flags, 0x301);
  }
  // The hops nest in time: the gateway's span encloses the inbound one, which encloses the outbound one.
  assert.ok(BigInt(g.start) <= BigInt(i.start) && BigInt(i.start) <= BigInt(o.start));
  assert.ok(BigInt(o.end) <= BigInt(i.end) && BigInt(i.end) <= BigInt(g.end));
});

const resource: SpanResource = { attributes: { 'service.name': 'web.default', 'weft.proxy': 'web-1' } };
let seq = 0;
function span(name: string): SpanData {
  seq++;
  return {
    resource,
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: seq.toString(16).padStart(16, '0'),
    name,
    kind: SpanKind.SERVER,
    startTimeUnixNano: 1n,
    endTimeUnixNano: 2n,
    attributes: {},
    status: { code: StatusCode.UNSET },
    flags: 1,
  };
}

test('full batches leave at once, maxBatch spans per request', async (t) => {
  const receiver = await new Receiver().start();
  t.after(() => receiver.close());
  const exp = new OtlpHttpExporter({ endpoint: receiver.url, maxBatch: 2, flushMs: 600_000 });
  t.after(() => exp.shutdown());
  for (let n = 0; n < 5; n++) exp.export(span(`s${n}`));
  // No flush() and a 10-minute timer: only the full-batch trigger can send these.
  await receiver.until(() => receiver.spans.length === 5, 5000, 'five spans');
  assert.deepEqual(receiver.requests.map((r) => r.spans.length), [2, 2, 1]);
  assert.deepEqual(receiver.spans.map((s) => s.name), ['s0', 's1', 's2', 's3', 's4']);
  await exp.flush(); // the last response may still be on its way back to the exporter
  assert.deepEqual(exp.stats(), { queued: 0, exported: 5, dropped: 0, failed: 0 });
});

test('a full queue drops the oldest spans and counts them', async (t) => {
  const receiver = await new Receiver().start();
  t.after(() => receiver.close());
  const logs: string[] = [];
  const exp = new OtlpHttpExporter({ endpoint: receiver.url, maxQueue: 3, maxBatch: 10, flushMs: 600_000, log: (m) => logs.push(m) });
  t.after(() => exp.shutdown());
  for (let n = 0; n < 5; n++) exp.export(span(`s${n}`));
  assert.deepEqual(exp.stats(), { queued: 3, exported: 0, dropped: 2, failed: 0 });
  await exp.flush();
  assert.deepEqual(receiver.spans.map((s) => s.name), ['s2', 's3', 's4']);
  assert.equal(logs.length, 1, 'logged once, not per dropped span');
  assert.match(logs[0], /queue full/);
});

test('export errors are counted and logged at most once per 10 s', async (t) => {
  const receiver = await new Receiver().start();
  t.after(() => receiver.close());
  receiver.status = 503;
  const logs: string[] = [];
  const exp = new OtlpHttpExporter({ endpoint: receiver.url, flushMs: 600_000, log: (m) => logs.push(m) });
  t.after(() => exp.shutdown());
  for (let n = 0; n < 3; n++) {
    exp.export(span(`s${n}`));
    await exp.flush();
  }
  assert.deepEqual(exp.stats(), { queued: 0, exported: 0, dropped: 0, failed: 3 });
  assert.equal(logs.length, 1);
  assert.match(logs[0], /HTTP 503/);

  // Nothing listening: connection refused, also counted, never thrown.
  const gone = createServer();
  const addr = await listen(gone);
  await close(gone);
  const refusedLogs: string[] = [];
  const refused = new OtlpHttpExporter({ endpoint: `http://${addr}/v1/traces`, log: (m) => refusedLogs.push(m) });
  refused.export(span('lost'));
  await refused.flush();
  await refused.shutdown();
  assert.equal(refused.stats().failed, 1);
  assert.equal(refusedLogs.length, 1);
  assert.match(refusedLogs[0], /trace export to http:\/\/127\.0\.0\.1:\d+\/v1\/traces failed/);
});

test('spans the collector rejects (partial success) are counted as failed', async (t) => {
  const receiver = await new Receiver().start();
  t.after(() => receiver.close());
  receiver.responseBody = ExportTraceServiceResponse.encode({ partialSuccess: { rejectedSpans: 1, errorMessage: 'too old' } }).finish();
  const logs: string[] = [];
  const exp = new OtlpHttpExporter({ endpoint: receiver.url, log: (m) => logs.push(m) });
  exp.export(span('a'));
  exp.export(span('b'));
  await exp.shutdown();
  assert.deepEqual(exp.stats(), { queued: 0, exported: 1, dropped: 0, failed: 1 });
  assert.match(logs[0], /rejected 1 spans: too old/);
});

test('shutdown flushes; spans after it are dropped', async (t) => {
  const receiver = await new Receiver().start();
  t.after(() => receiver.close());
  const exp = new OtlpHttpExporter({ endpoint: receiver.url, flushMs: 600_000 });
  exp.export(span('before'));
  await exp.shutdown();
  exp.export(span('after'));
  await exp.flush();
  assert.deepEqual(receiver.spans.map((s) => s.name), ['before']);
  assert.deepEqual(exp.stats(), { queued: 0, exported: 1, dropped: 1, failed: 0 });
});

test('bad options are refused with what and why', () => {
  assert.throws(() => new OtlpHttpExporter({ endpoint: 'collector:4318' }), /OTLP endpoint "collector:4318"/);
  assert.throws(() => new OtlpHttpExporter({ endpoint: 'nope' }), /not a URL/);
  assert.throws(() => new OtlpHttpExporter({ endpoint: 'http://127.0.0.1:4318/v1/traces', maxBatch: 0 }), /maxBatch 0/);
  assert.throws(() => new OtlpHttpExporter({ endpoint: 'http://127.0.0.1:4318/v1/traces', flushMs: 1.5 }), /flushMs/);
});
