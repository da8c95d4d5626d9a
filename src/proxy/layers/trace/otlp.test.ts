import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeExportResponse, encodeExportRequest, ProtoWriter } from './otlp.js';
import { SpanKind, StatusCode, type SpanData, type SpanResource } from './span.js';
import { decodeRequest, ExportTraceServiceRequest, ExportTraceServiceResponse } from './testutil.js';

const resA: SpanResource = { attributes: { 'service.name': 'a.default', 'weft.proxy': 'a-1' } };
const resB: SpanResource = { attributes: { 'service.name': 'b.shop', 'weft.proxy': 'b-7' } };

function span(over: Partial<SpanData> = {}): SpanData {
  return {
    resource: resA,
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    parentSpanId: 'e457b5a2e4d86bd1',
    name: 'GET shop/checkout',
    kind: SpanKind.SERVER,
    startTimeUnixNano: 1_700_000_000_123_456_789n,
    endTimeUnixNano: 1_700_000_000_223_456_789n,
    attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200 },
    status: { code: StatusCode.UNSET },
    flags: 0x301,
    ...over,
  };
}

test('a span survives encoding and decoding by the reference decoder, field by field', () => {
  const [d, ...rest] = decodeRequest(
    encodeExportRequest([
      span({
        traceState: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
        attributes: { s: 'héllo ✓ 𝄞', i: 42, neg: -7, big: 2 ** 53 - 1, d: 0.25, t: true, f: false, empty: '' },
        status: { code: StatusCode.ERROR, message: 'upstream-reset' },
      }),
    ]),
  );
  assert.equal(rest.length, 0);
  assert.deepEqual(d, {
    resource: { 'service.name': 'a.default', 'weft.proxy': 'a-1' },
    scope: 'weft',
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    parentSpanId: 'e457b5a2e4d86bd1',
    traceState: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
    name: 'GET shop/checkout',
    kind: 2,
    start: '1700000000123456789',
    end: '1700000000223456789',
    attributes: { s: 'héllo ✓ 𝄞', i: 42, neg: -7, big: 2 ** 53 - 1, d: 0.25, t: true, f: false, empty: '' },
    status: { code: 2, message: 'upstream-reset' },
    flags: 0x301,
  });
});

test('root spans have no parent; UNSET status is left out', () => {
  const body = encodeExportRequest([span({ parentSpanId: undefined, kind: SpanKind.CLIENT, flags: 0x101 })]);
  const msg = ExportTraceServiceRequest.decode(body);
  const s = msg.resourceSpans[0].scopeSpans[0].spans[0];
  assert.ok(s.parentSpanId == null || s.parentSpanId.length === 0);
  assert.equal(s.status, null);
  assert.equal(s.kind, 3);
  assert.equal(ExportTraceServiceRequest.verify(msg), null);
});

test('spans are grouped per resource, in order, and large messages get multi-byte lengths', () => {
  const spans: SpanData[] = [];
  for (let i = 0; i < 300; i++) {
    spans.push(span({ resource: i % 3 === 0 ? resB : resA, spanId: (i + 1).toString(16).padStart(16, '0'), name: `n${i}` }));
  }
  // One attribute long enough for a 3-byte length (>= 16384), nested three messages deep.
  spans.push(span({ attributes: { blob: 'x'.repeat(40_000) } }));
  const decoded = decodeRequest(encodeExportRequest(spans));
  assert.equal(decoded.length, 301);
  const msg = ExportTraceServiceRequest.decode(encodeExportRequest(spans));
  assert.equal(msg.resourceSpans.length, 2);
  assert.deepEqual(
    decoded.filter((d) => d.resource['service.name'] === 'b.shop').map((d) => d.name),
    spans.filter((s) => s.resource === resB).map((s) => s.name),
  );
  assert.equal(decoded.at(-1)!.attributes['blob'], 'x'.repeat(40_000));
  // Groups come in the order their resource first appeared (span 0 is resB's).
  assert.equal(decoded[0].resource['service.name'], 'b.shop');
  assert.equal(decoded[0].spanId, '0000000000000001');
});

test('varints and fixed fields match the reference encoding', () => {
  for (const v of [0, 1, 127, 128, 300, 16383, 16384, 2 ** 31, 2 ** 32 + 5, 2 ** 53 - 1]) {
    const w = new ProtoWriter(8);
    w.uint(1, v);
    const want = Buffer.from(ExportTraceServiceResponse.encode({ partialSuccess: { rejectedSpans: v } }).finish()).subarray(2);
    assert.deepEqual(w.finish(), want, `varint ${v}`);
  }
  assert.throws(() => encodeExportRequest([span({ traceId: 'zz' })]), /hex id/);
});

test('partial success in the collector response is read', () => {
  const ok = ExportTraceServiceResponse.encode({}).finish();
  assert.equal(decodeExportResponse(ok), undefined);
  assert.equal(decodeExportResponse(new Uint8Array(0)), undefined);
  const partial = ExportTraceServiceResponse.encode({ partialSuccess: { rejectedSpans: 3, errorMessage: 'too old' } }).finish();
  assert.deepEqual(decodeExportResponse(partial), { rejectedSpans: 3, errorMessage: 'too old' });
  assert.equal(decodeExportResponse(Buffer.from('not protobuf at all')), undefined);
});
