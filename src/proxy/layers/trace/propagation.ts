// Trace context in HTTP headers: W3C Trace Context (traceparent version 00, tracestate carried unchanged)
// and Zipkin B3, both the single `b3` header and the X-B3-* set. Pure functions over header maps with
// lower-case keys; they run on every request, so parsing is index arithmetic, not regexes or splits.
//
// W3C: https://www.w3.org/TR/trace-context/ (and its test suite); B3: github.com/openzipkin/b3-propagation.
import type { HeaderMap } from '../../context.js';

type HeaderValue = HeaderMap[string];

/** A valid traceparent. */
export interface TraceParent {
  /** 32 lower-hex characters, not all zeros. */
  traceId: string;
  /** The caller's span id: 16 lower-hex characters, not all zeros. */
  parentId: string;
  sampled: boolean;
}

/** B3 sampling state; `undefined` is Defer (the receiver decides). */
export type B3Sampling = 'accept' | 'deny' | 'debug' | undefined;

/** A valid B3 context. Ids are absent when only a sampling decision was sent (`b3: 0`). */
export interface B3Context {
  /** 16 or 32 lower-hex characters, as received. */
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  sampling: B3Sampling;
}

/** What a request says about the trace it belongs to, from whichever header format won. */
export interface Incoming {
  /** 'w3c' when a valid traceparent was present, else 'b3' when valid B3 was, else 'none'. */
  format: 'w3c' | 'b3' | 'none';
  /** The trace to continue (32 lower-hex); undefined starts a new trace. */
  traceId: string | undefined;
  /** The caller's span id: the parent of this hop's span. */
  parentSpanId: string | undefined;
  /** The caller's sampling decision; undefined when it made none (B3 Defer, or no context at all). */
  sampled: boolean | undefined;
  /** B3 debug ("d" or X-B3-Flags: 1): an emphasized accept, propagated as such. */
  debug: boolean;
  /** Which B3 encodings the request used: they are written back, updated, for apps that read only B3. */
  b3Single: boolean;
  b3Multi: boolean;
  /** The B3 trace id was 64-bit (16 hex); written back in the same width while its high half is zero. */
  b3TraceId64: boolean;
}

/** This hop's span, as the next hop must see it. */
export interface Outgoing {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  sampled: boolean;
  debug: boolean;
}

const NONE: Incoming = Object.freeze({
  format: 'none',
  traceId: undefined,
  parentSpanId: undefined,
  sampled: undefined,
  debug: false,
  b3Single: false,
  b3Multi: false,
  b3TraceId64: false,
}) as Incoming;

const DASH = 0x2d;
const ZEROS16 = '0000000000000000';

/** Value of one lower-case hex digit, or -1. */
function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** s[start, end) is lower-case hex and not all zeros (W3C and B3 both forbid all-zero ids). */
function isId(s: string, start: number, end: number): boolean {
  let nonZero = false;
  for (let i = start; i < end; i++) {
    const d = hexDigit(s.charCodeAt(i));
    if (d < 0) return false;
    if (d !== 0) nonZero = true;
  }
  return nonZero;
}

function hexByte(s: string, at: number): number {
  const hi = hexDigit(s.charCodeAt(at));
  const lo = hexDigit(s.charCodeAt(at + 1));
  return hi < 0 || lo < 0 ? -1 : (hi << 4) | lo;
}

/** Strips HTTP optional whitespace (spaces and tabs) around a value. */
function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 0x20 || s.charCodeAt(a) === 0x09)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 0x20 || s.charCodeAt(b - 1) === 0x09)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/**
 * Parses a traceparent value; undefined when absent or invalid, which callers treat alike (the spec:
 * an invalid traceparent is ignored and the trace restarts). Several traceparent fields are invalid,
 * whether they arrive as an array or joined by a comma.
 */
export function parseTraceparent(value: HeaderValue): TraceParent | undefined {
  if (value === undefined) return undefined;
  let raw: string;
  if (typeof value === 'string') raw = value;
  else if (value.length === 1) raw = value[0];
  else return undefined;
  const s = trimOws(raw);
  const len = s.length;
  if (len < 55) return undefined;
  const version = hexByte(s, 0);
  if (version < 0 || version === 0xff || s.charCodeAt(2) !== DASH) return undefined;
  // Version 00 is exactly 55 characters. A later version may append fields after a dash: parse the
  // four we know and ignore the rest, as the spec's versioning rules require.
  if (version === 0 ? len !== 55 : len > 55 && s.charCodeAt(55) !== DASH) return undefined;
  if (s.charCodeAt(35) !== DASH || s.charCodeAt(52) !== DASH) return undefined;
  if (!isId(s, 3, 35) || !isId(s, 36, 52)) return undefined;
  const flags = hexByte(s, 53);
  if (flags < 0) return undefined;
  return { traceId: s.slice(3, 35), parentId: s.slice(36, 52), sampled: (flags & 1) === 1 };
}

/** A version-00 traceparent. Flags other than sampled are reserved: the spec says to send them as zero. */
export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

/** B3: "when extracting state headers, the first value wins" (repeated headers arrive comma-joined). */
function firstValue(value: HeaderValue): string | undefined {
  if (value === undefined) return undefined;
  const s = typeof value === 'string' ? value : value[0];
  if (s === undefined) return undefined;
  const comma = s.indexOf(',');
  return trimOws(comma < 0 ? s : s.slice(0, comma));
}

function samplingChar(c: number): B3Sampling | null {
  if (c === 0x31) return 'accept'; // '1'
  if (c === 0x30) return 'deny'; // '0'
  if (c === 0x64) return 'debug'; // 'd'
  return null;
}

/**
 * Parses the single `b3` header: `{TraceId}-{SpanId}[-{SamplingState}[-{ParentSpanId}]]`, with a 16- or
 * 32-hex trace id, or a sampling state alone (`0`, `1`, `d`). Undefined when absent or invalid.
 */
export function parseB3Single(value: HeaderValue): B3Context | undefined {
  const s = firstValue(value);
  if (s === undefined) return undefined;
  const len = s.length;
  if (len === 1) {
    const sampling = samplingChar(s.charCodeAt(0));
    return sampling === null ? undefined : { sampling };
  }
  const tl = len > 16 && s.charCodeAt(16) === DASH ? 16 : len > 32 && s.charCodeAt(32) === DASH ? 32 : 0;
  if (tl === 0 || !isId(s, 0, tl)) return undefined;
  const spanEnd = tl + 17;
  if (len < spanEnd || !isId(s, tl + 1, spanEnd)) return undefined;
  const ctx: B3Context = { traceId: s.slice(0, tl), spanId: s.slice(tl + 1, spanEnd), sampling: undefined };
  if (len === spanEnd) return ctx;
  // "-{SamplingState}", then optionally "-{ParentSpanId}" and nothing after it.
  if (s.charCodeAt(spanEnd) !== DASH || len < spanEnd + 2) return undefined;
  const sampling = samplingChar(s.charCodeAt(spanEnd + 1));
  if (sampling === null) return undefined;
  ctx.sampling = sampling;
  const p = spanEnd + 2;
  if (len === p) return ctx;
  if (len !== p + 17 || s.charCodeAt(p) !== DASH || !isId(s, p + 1, p + 17)) return undefined;
  ctx.parentSpanId = s.slice(p + 1);
  return ctx;
}

export function formatB3Single(traceId: string, spanId: string, sampling: Exclude<B3Sampling, undefined>, parentSpanId?: string): string {
  const st = sampling === 'debug' ? 'd' : sampling === 'accept' ? '1' : '0';
  return parentSpanId === undefined ? `${traceId}-${spanId}-${st}` : `${traceId}-${spanId}-${st}-${parentSpanId}`;
}

function isTraceId(s: string): boolean {
  return (s.length === 32 || s.length === 16) && isId(s, 0, s.length);
}

function isSpanId(s: string): boolean {
  return s.length === 16 && isId(s, 0, 16);
}

/** True when the request carries any of the X-B3-* headers. */
export function hasB3Multi(h: HeaderMap): boolean {
  return (
    h['x-b3-traceid'] !== undefined ||
    h['x-b3-spanid'] !== undefined ||
    h['x-b3-sampled'] !== undefined ||
    h['x-b3-flags'] !== undefined ||
    h['x-b3-parentspanid'] !== undefined
  );
}

/**
 * Parses X-B3-TraceId/-SpanId/-ParentSpanId/-Sampled/-Flags. Ids count only when trace and span id are
 * both valid (and the parent, when sent); a sampling decision counts on its own. `X-B3-Flags: 1` is debug;
 * `X-B3-Sampled` accepts "1"/"0" and, leniently as the spec allows, "true"/"false".
 */
export function parseB3Multi(h: HeaderMap): B3Context | undefined {
  const flags = firstValue(h['x-b3-flags']);
  const sampled = firstValue(h['x-b3-sampled']);
  const sampling: B3Sampling =
    flags === '1' ? 'debug' : sampled === '1' || sampled === 'true' ? 'accept' : sampled === '0' || sampled === 'false' ? 'deny' : undefined;
  const traceId = firstValue(h['x-b3-traceid']);
  const spanId = firstValue(h['x-b3-spanid']);
  const parent = firstValue(h['x-b3-parentspanid']);
  if (traceId !== undefined && spanId !== undefined && isTraceId(traceId) && isSpanId(spanId) && (parent === undefined || isSpanId(parent))) {
    return parent === undefined ? { traceId, spanId, sampling } : { traceId, spanId, parentSpanId: parent, sampling };
  }
  return sampling === undefined ? undefined : { sampling };
}

/**
 * What the request says about its trace. A valid traceparent wins; else B3 (the single header before
 * the X-B3-* set, as B3 specifies); else nothing, and the caller starts a new trace. The B3 encodings
 * present are reported even when W3C wins, so both can be written back.
 */
export function extract(h: HeaderMap): Incoming {
  const tp = h['traceparent'];
  const b3 = h['b3'];
  const multi = hasB3Multi(h);
  if (tp === undefined && b3 === undefined && !multi) return NONE;
  const b3Single = b3 !== undefined;
  const w3c = parseTraceparent(tp);
  if (w3c !== undefined) {
    return {
      format: 'w3c',
      traceId: w3c.traceId,
      parentSpanId: w3c.parentId,
      sampled: w3c.sampled,
      debug: false,
      b3Single,
      b3Multi: multi,
      // A B3-only app downstream keeps getting the id width it sent.
      b3TraceId64: b3Single ? firstValue(b3)?.charCodeAt(16) === DASH : multi && firstValue(h['x-b3-traceid'])?.length === 16,
    };
  }
  const b = parseB3Single(b3) ?? (multi ? parseB3Multi(h) : undefined);
  if (b === undefined) return { ...NONE, b3Single, b3Multi: multi };
  const tid = b.traceId;
  return {
    format: 'b3',
    // W3C has only 128-bit trace ids: a 64-bit B3 id is left-padded with zeros.
    traceId: tid === undefined ? undefined : tid.length === 16 ? ZEROS16 + tid : tid,
    parentSpanId: b.spanId,
    sampled: b.sampling === undefined ? undefined : b.sampling !== 'deny',
    debug: b.sampling === 'debug',
    b3Single,
    b3Multi: multi,
    b3TraceId64: tid !== undefined && tid.length === 16,
  };
}

/**
 * Writes this hop's span into the upstream headers: always a traceparent (so any next hop can join),
 * tracestate unchanged when it belongs to the traceparent the request came with (dropped otherwise:
 * it describes a trace we are not continuing), and each B3 encoding the request used, updated.
 */
export function inject(h: HeaderMap, out: Outgoing, inc: Incoming): void {
  h['traceparent'] = formatTraceparent(out.traceId, out.spanId, out.sampled);
  const ts = h['tracestate'];
  if (ts !== undefined && (inc.format !== 'w3c' || isBlank(ts))) delete h['tracestate'];
  if (!inc.b3Single && !inc.b3Multi) return;
  const tid = inc.b3TraceId64 && out.traceId.startsWith(ZEROS16) ? out.traceId.slice(16) : out.traceId;
  const sampling = out.debug ? 'debug' : out.sampled ? 'accept' : 'deny';
  if (inc.b3Single) h['b3'] = formatB3Single(tid, out.spanId, sampling, out.parentSpanId);
  if (inc.b3Multi) {
    h['x-b3-traceid'] = tid;
    h['x-b3-spanid'] = out.spanId;
    if (out.parentSpanId === undefined) delete h['x-b3-parentspanid'];
    else h['x-b3-parentspanid'] = out.parentSpanId;
    // Debug implies accept, and B3 says not to send X-B3-Sampled alongside it.
    if (sampling === 'debug') {
      h['x-b3-flags'] = '1';
      delete h['x-b3-sampled'];
    } else {
      h['x-b3-sampled'] = sampling === 'accept' ? '1' : '0';
      delete h['x-b3-flags'];
    }
  }
}

/** The tracestate to record on a span: multiple fields combine with commas (RFC 7230 3.2.2). */
export function traceStateOf(value: HeaderValue): string | undefined {
  if (value === undefined) return undefined;
  const s = typeof value === 'string' ? value : value.join(',');
  return isBlank(s) ? undefined : s;
}

function isBlank(v: string | string[]): boolean {
  if (typeof v !== 'string') return v.every(isBlank);
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x2c) return false;
  }
  return true;
}
