import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HeaderMap } from '../../context.js';
import { extract, formatTraceparent, inject, parseB3Multi, parseB3Single, parseTraceparent, type Incoming } from './propagation.js';

const T = '12345678901234567890123456789012';
const S = '1234567890123456';

test('traceparent: valid values (W3C examples and test suite)', () => {
  const cases: [string, ReturnType<typeof parseTraceparent>][] = [
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', parentId: '00f067aa0ba902b7', sampled: true }],
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00', { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', parentId: '00f067aa0ba902b7', sampled: false }],
    // Flags are a bit field: only the sampled bit counts.
    [`00-${T}-${S}-09`, { traceId: T, parentId: S, sampled: true }],
    [`00-${T}-${S}-02`, { traceId: T, parentId: S, sampled: false }],
    // Optional whitespace around the value.
    [` 00-${T}-${S}-01`, { traceId: T, parentId: S, sampled: true }],
    [`\t00-${T}-${S}-01 \t`, { traceId: T, parentId: S, sampled: true }],
    // A future version is parsed as far as version 00 goes.
    [`cc-${T}-${S}-01`, { traceId: T, parentId: S, sampled: true }],
    [`cc-${T}-${S}-01-what-the-future-will-be-like`, { traceId: T, parentId: S, sampled: true }],
  ];
  for (const [v, want] of cases) assert.deepEqual(parseTraceparent(v), want, v);
  assert.deepEqual(parseTraceparent([`00-${T}-${S}-01`]), { traceId: T, parentId: S, sampled: true });
});

test('traceparent: invalid values are treated as absent (W3C test suite)', () => {
  const invalid = [
    '',
    `00-${T}-${S}-01.`,
    `00-${T}-${S}-01-what-the-future-will-be-like`, // version 00 is exactly 55 characters
    `cc-${T}-${S}-01.what-the-future-will-be-like`,
    `ff-${T}-${S}-01`,
    `.0-${T}-${S}-01`,
    `0.-${T}-${S}-01`,
    `000-${T}-${S}-01`,
    `0000-${T}-${S}-01`,
    `0-${T}-${S}-01`,
    `00-00000000000000000000000000000000-${S}-01`,
    `00-.2345678901234567890123456789012-${S}-01`,
    `00-1234567890123456789012345678901.-${S}-01`,
    `00-${T}3-${S}-01`,
    `00-${T.slice(1)}-${S}-01`,
    `00-${T}-0000000000000000-01`,
    `00-${T}-.234567890123456-01`,
    `00-${T}-123456789012345.-01`,
    `00-${T}-${S}7-01`,
    `00-${T}-${S.slice(1)}-01`,
    `00-${T}-${S}-.0`,
    `00-${T}-${S}-0.`,
    `00-${T}-${S}-001`,
    `00-${T}-${S}-1`,
    // Lower-case hex only.
    `00-4BF92F3577B34DA6A3CE929D0E0E4736-${S}-01`,
    `00-${T}-00F067AA0BA902B7-01`,
    `00-${T}-${S}-0A`,
    `0A-${T}-${S}-01`,
    // Two traceparent fields (Node joins repeated headers with ", ").
    `00-${T}-${S}-01, 00-${T}-${S}-01`,
    `00_${T}_${S}_01`,
  ];
  for (const v of invalid) assert.equal(parseTraceparent(v), undefined, JSON.stringify(v));
  assert.equal(parseTraceparent([`00-${T}-${S}-01`, `00-${T}-${S}-01`]), undefined);
  assert.equal(parseTraceparent(undefined), undefined);
});

test('formatTraceparent writes version 00 with only the sampled flag', () => {
  assert.equal(formatTraceparent(T, S, true), `00-${T}-${S}-01`);
  assert.equal(formatTraceparent(T, S, false), `00-${T}-${S}-00`);
});

test('b3 single header', () => {
  const T64 = 'a3ce929d0e0e4736';
  const cases: [string, ReturnType<typeof parseB3Single>][] = [
    [`80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90`, { traceId: '80f198ee56343ba864fe8b2a57d3eff7', spanId: 'e457b5a2e4d86bd1', parentSpanId: '05e3ac9a4f6e3b90', sampling: 'accept' }],
    [`80f198ee56343ba864fe8b2a57d3eff7-05e3ac9a4f6e3b90-1`, { traceId: '80f198ee56343ba864fe8b2a57d3eff7', spanId: '05e3ac9a4f6e3b90', sampling: 'accept' }],
    [`80f198ee56343ba864fe8b2a57d3eff7-05e3ac9a4f6e3b90-d`, { traceId: '80f198ee56343ba864fe8b2a57d3eff7', spanId: '05e3ac9a4f6e3b90', sampling: 'debug' }],
    [`80f198ee56343ba864fe8b2a57d3eff7-05e3ac9a4f6e3b90-0`, { traceId: '80f198ee56343ba864fe8b2a57d3eff7', spanId: '05e3ac9a4f6e3b90', sampling: 'deny' }],
    [`80f198ee56343ba864fe8b2a57d3eff7-05e3ac9a4f6e3b90`, { traceId: '80f198ee56343ba864fe8b2a57d3eff7', spanId: '05e3ac9a4f6e3b90', sampling: undefined }],
    // 64-bit trace ids.
    [`${T64}-${S}-1`, { traceId: T64, spanId: S, sampling: 'accept' }],
    [`${T64}-${S}-0-05e3ac9a4f6e3b90`, { traceId: T64, spanId: S, parentSpanId: '05e3ac9a4f6e3b90', sampling: 'deny' }],
    [`${T64}-${S}`, { traceId: T64, spanId: S, sampling: undefined }],
    // Sampling state alone: deny-only (the spec's form), and accept/debug.
    ['0', { sampling: 'deny' }],
    ['1', { sampling: 'accept' }],
    ['d', { sampling: 'debug' }],
    // First value wins.
    [`${T64}-${S}-1, 0`, { traceId: T64, spanId: S, sampling: 'accept' }],
  ];
  for (const [v, want] of cases) assert.deepEqual(parseB3Single(v), want, v);

  const invalid = [
    '',
    '2',
    'true',
    `${T64}`,
    `${T64}-`,
    `${T64}-${S}-`,
    `${T64}-${S}-x`,
    `${T64}-${S}-11`,
    `${T64}-${S}-1-`,
    `${T64}-${S}-1-123`,
    `${T64}-${S}-1-${S}0`,
    `${T64}-${S}-1-0000000000000000`,
    `${T64}0-${S}-1`,
    `0000000000000000-${S}-1`,
    `${T64}-0000000000000000-1`,
    `${T64}-${S.toUpperCase().replace(/\d/g, 'A')}-1`,
    `${T64.toUpperCase()}-${S}-1`,
    `${T64}-${S}0`,
    `${T64}-${S.slice(1)}-1`,
  ];
  for (const v of invalid) assert.equal(parseB3Single(v), undefined, JSON.stringify(v));
});

test('b3 multiple headers', () => {
  const base = { 'x-b3-traceid': '463ac35c9f6413ad48485a3953bb6124', 'x-b3-spanid': 'a2fb4a1d1a96d312' };
  assert.deepEqual(parseB3Multi({ ...base, 'x-b3-sampled': '1' }), { traceId: base['x-b3-traceid'], spanId: base['x-b3-spanid'], sampling: 'accept' });
  assert.deepEqual(parseB3Multi({ ...base, 'x-b3-sampled': '0', 'x-b3-parentspanid': '0020000000000001' }), {
    traceId: base['x-b3-traceid'],
    spanId: base['x-b3-spanid'],
    parentSpanId: '0020000000000001',
    sampling: 'deny',
  });
  assert.equal(parseB3Multi({ ...base, 'x-b3-sampled': 'true' })?.sampling, 'accept');
  assert.equal(parseB3Multi({ ...base, 'x-b3-sampled': 'false' })?.sampling, 'deny');
  assert.equal(parseB3Multi({ ...base, 'x-b3-flags': '1' })?.sampling, 'debug');
  assert.equal(parseB3Multi({ ...base, 'x-b3-flags': '1', 'x-b3-sampled': '0' })?.sampling, 'debug');
  assert.equal(parseB3Multi(base)?.sampling, undefined, 'absent X-B3-Sampled defers');
  assert.equal(parseB3Multi({ ...base, 'x-b3-sampled': 'yes' })?.sampling, undefined, 'an unknown value is no decision');
  // 64-bit trace id; first value wins.
  assert.deepEqual(parseB3Multi({ 'x-b3-traceid': 'a3ce929d0e0e4736, ffffffffffffffff', 'x-b3-spanid': ['a2fb4a1d1a96d312', 'b'] }), {
    traceId: 'a3ce929d0e0e4736',
    spanId: 'a2fb4a1d1a96d312',
    sampling: undefined,
  });
  // Sampling decision alone.
  assert.deepEqual(parseB3Multi({ 'x-b3-sampled': '0' }), { sampling: 'deny' });
  // Invalid ids: only the sampling decision is left, or nothing.
  assert.deepEqual(parseB3Multi({ ...base, 'x-b3-spanid': 'zz', 'x-b3-sampled': '1' }), { sampling: 'accept' });
  assert.equal(parseB3Multi({ ...base, 'x-b3-traceid': '463ac35c9f6413ad4848' }), undefined);
  assert.equal(parseB3Multi({ ...base, 'x-b3-parentspanid': '00' }), undefined);
  assert.equal(parseB3Multi({ 'x-b3-traceid': base['x-b3-traceid'] }), undefined);
});

const W3C = `00-${T}-${S}-01`;
const B3T = 'a3ce929d0e0e4736a3ce929d0e0e4736';
const B3S = 'e457b5a2e4d86bd1';

test('extract: W3C wins over B3, single b3 over X-B3-*, else a new trace', () => {
  const both = extract({ traceparent: W3C, b3: `${B3T}-${B3S}-0`, 'x-b3-traceid': B3T, 'x-b3-spanid': B3S });
  assert.equal(both.format, 'w3c');
  assert.equal(both.traceId, T);
  assert.equal(both.parentSpanId, S);
  assert.equal(both.sampled, true);
  assert.equal(both.b3Single, true);
  assert.equal(both.b3Multi, true);

  const bad = extract({ traceparent: `00-${T}-${S}-0x`, b3: `${B3T}-${B3S}-0` });
  assert.equal(bad.format, 'b3', 'an invalid traceparent falls back to B3');
  assert.equal(bad.traceId, B3T);
  assert.equal(bad.parentSpanId, B3S);
  assert.equal(bad.sampled, false);

  const single = extract({ b3: `${B3T}-${B3S}-1`, 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-sampled': '0' });
  assert.equal(single.traceId, B3T);
  assert.equal(single.sampled, true);

  const multi = extract({ 'x-b3-traceid': 'a3ce929d0e0e4736', 'x-b3-spanid': B3S, 'x-b3-flags': '1' });
  assert.equal(multi.format, 'b3');
  assert.equal(multi.traceId, '0000000000000000a3ce929d0e0e4736', '64-bit ids are left-padded');
  assert.equal(multi.b3TraceId64, true);
  assert.equal(multi.sampled, true);
  assert.equal(multi.debug, true);

  const deny = extract({ b3: '0' });
  assert.equal(deny.format, 'b3');
  assert.equal(deny.traceId, undefined);
  assert.equal(deny.sampled, false);

  const defer = extract({ b3: `${B3T}-${B3S}` });
  assert.equal(defer.sampled, undefined);

  const none = extract({ host: 'x', tracestate: 'foo=1' });
  assert.equal(none.format, 'none');
  assert.equal(none.traceId, undefined);
  assert.equal(none.sampled, undefined);

  const garbage = extract({ traceparent: 'nope', b3: 'nope' });
  assert.equal(garbage.format, 'none');
  assert.equal(garbage.b3Single, true, 'the b3 style is still written back');
});

function injected(h: HeaderMap, spanId = 'bbbbbbbbbbbbbbbb', sampled?: boolean): HeaderMap {
  const inc: Incoming = extract(h);
  const out = { ...h };
  inject(out, { traceId: inc.traceId ?? 'cccccccccccccccccccccccccccccccc', spanId, parentSpanId: inc.parentSpanId, sampled: sampled ?? inc.sampled ?? true, debug: inc.debug }, inc);
  return out;
}

test('inject: traceparent always; tracestate kept unchanged only with its traceparent', () => {
  assert.deepEqual(injected({}), { traceparent: '00-cccccccccccccccccccccccccccccccc-bbbbbbbbbbbbbbbb-01' });
  assert.deepEqual(injected({ traceparent: W3C, tracestate: 'rojo=00f067aa0ba902b7, congo=t61rcWkgMzE' }), {
    traceparent: `00-${T}-bbbbbbbbbbbbbbbb-01`,
    tracestate: 'rojo=00f067aa0ba902b7, congo=t61rcWkgMzE',
  });
  assert.deepEqual(injected({ traceparent: W3C, tracestate: ['a=1', 'b=2'] }).tracestate, ['a=1', 'b=2']);
  assert.equal(injected({ tracestate: 'foo=1' }).tracestate, undefined, 'tracestate without traceparent is discarded');
  assert.equal(injected({ traceparent: 'ff-x', tracestate: 'foo=1' }).tracestate, undefined);
  assert.equal(injected({ traceparent: W3C, tracestate: ' ' }).tracestate, undefined, 'empty tracestate is not sent');
  assert.equal(injected({ traceparent: `00-${T}-${S}-00` })['traceparent'], `00-${T}-bbbbbbbbbbbbbbbb-00`, 'not sampled stays not sampled');
});

test('inject: the B3 encodings the request used are written back with the new span id', () => {
  // Single header; W3C context wins, the b3 header follows it.
  assert.deepEqual(injected({ traceparent: W3C, b3: `${B3T}-${B3S}-1` }), {
    traceparent: `00-${T}-bbbbbbbbbbbbbbbb-01`,
    b3: `${T}-bbbbbbbbbbbbbbbb-1-${S}`,
  });
  // 64-bit trace id stays 64-bit; debug stays debug.
  assert.deepEqual(injected({ b3: `a3ce929d0e0e4736-${B3S}-d` }), {
    traceparent: `00-0000000000000000a3ce929d0e0e4736-bbbbbbbbbbbbbbbb-01`,
    b3: `a3ce929d0e0e4736-bbbbbbbbbbbbbbbb-d-${B3S}`,
  });
  // W3C wins, but the 64-bit B3 width the request used is kept while the trace id allows it.
  assert.equal(
    injected({ traceparent: `00-0000000000000000a3ce929d0e0e4736-${S}-01`, b3: `a3ce929d0e0e4736-${S}-1` })['b3'],
    `a3ce929d0e0e4736-bbbbbbbbbbbbbbbb-1-${S}`,
  );
  assert.equal(
    injected({ traceparent: `00-0000000000000000a3ce929d0e0e4736-${S}-01`, 'x-b3-traceid': 'a3ce929d0e0e4736', 'x-b3-spanid': S })['x-b3-traceid'],
    'a3ce929d0e0e4736',
  );
  // Deny-only: a new trace, not sampled, ids now established.
  assert.deepEqual(injected({ b3: '0' }), {
    traceparent: `00-cccccccccccccccccccccccccccccccc-bbbbbbbbbbbbbbbb-00`,
    b3: `cccccccccccccccccccccccccccccccc-bbbbbbbbbbbbbbbb-0`,
  });
  // Multiple headers, stale parent replaced.
  assert.deepEqual(injected({ 'x-b3-traceid': B3T, 'x-b3-spanid': B3S, 'x-b3-parentspanid': '0020000000000001', 'x-b3-sampled': '1' }), {
    traceparent: `00-${B3T}-bbbbbbbbbbbbbbbb-01`,
    'x-b3-traceid': B3T,
    'x-b3-spanid': 'bbbbbbbbbbbbbbbb',
    'x-b3-parentspanid': B3S,
    'x-b3-sampled': '1',
  });
  // Debug in multi-header form: X-B3-Flags, never X-B3-Sampled beside it.
  assert.deepEqual(injected({ 'x-b3-traceid': 'a3ce929d0e0e4736', 'x-b3-spanid': B3S, 'x-b3-flags': '1', 'x-b3-sampled': '1' }), {
    traceparent: `00-0000000000000000a3ce929d0e0e4736-bbbbbbbbbbbbbbbb-01`,
    'x-b3-traceid': 'a3ce929d0e0e4736',
    'x-b3-spanid': 'bbbbbbbbbbbbbbbb',
    'x-b3-parentspanid': B3S,
    'x-b3-flags': '1',
  });
  // Deferred decision: the hop's own decision is written.
  assert.equal(injected({ 'x-b3-traceid': B3T, 'x-b3-spanid': B3S }, 'bbbbbbbbbbbbbbbb', false)['x-b3-sampled'], '0');
  // A sampling-only X-B3-Sampled starts a trace; no parent to name.
  assert.deepEqual(injected({ 'x-b3-sampled': '1', 'x-b3-parentspanid': 'junk' }), {
    traceparent: `00-cccccccccccccccccccccccccccccccc-bbbbbbbbbbbbbbbb-01`,
    'x-b3-traceid': 'cccccccccccccccccccccccccccccccc',
    'x-b3-spanid': 'bbbbbbbbbbbbbbbb',
    'x-b3-sampled': '1',
  });
});
