// OTLP/protobuf encoding of spans, by hand: ExportTraceServiceRequest and the few messages inside it.
// No protobuf library on the proxy: this is all the wire format the exporter needs (varints,
// length-delimited fields, fixed64/fixed32/double), and it encodes straight from SpanData into one buffer.
//
// Field numbers are those of opentelemetry-proto (collector/trace/v1/trace_service.proto,
// trace/v1/trace.proto, common/v1/common.proto, resource/v1/resource.proto).
import type { AttributeValue, Attributes, SpanData, SpanResource } from './span.js';

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

/** Appends protobuf fields to a growing buffer. */
export class ProtoWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(size = 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(64, size));
  }

  private ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** A non-negative integer up to 2^53 as a varint. */
  varint(v: number): void {
    this.ensure(10);
    const b = this.buf;
    let p = this.pos;
    while (v > 0x7f) {
      // `v % 128` rather than `v & 0x7f`: bitwise operators truncate to 32 bits.
      b[p++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    b[p++] = v;
    this.pos = p;
  }

  private varintBig(v: bigint): void {
    this.ensure(10);
    while (v > 0x7fn) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  uint(field: number, v: number): void {
    this.tag(field, VARINT);
    this.varint(v);
  }

  /** int64: negative values are their 64-bit two's complement (10 bytes), as protobuf specifies. */
  int64(field: number, v: number): void {
    this.tag(field, VARINT);
    if (v >= 0) this.varint(v);
    else this.varintBig(BigInt.asUintN(64, BigInt(v)));
  }

  bool(field: number, v: boolean): void {
    this.tag(field, VARINT);
    this.varint(v ? 1 : 0);
  }

  fixed64(field: number, v: bigint): void {
    this.tag(field, I64);
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, v), this.pos);
    this.pos += 8;
  }

  fixed32(field: number, v: number): void {
    this.tag(field, I32);
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }

  double(field: number, v: number): void {
    this.tag(field, I64);
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  string(field: number, s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.tag(field, LEN);
    this.varint(n);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, n, 'utf8');
  }

  /** A bytes field from a hex string (trace and span ids travel as hex everywhere else). */
  hexBytes(field: number, hex: string): void {
    const n = hex.length >>> 1;
    this.tag(field, LEN);
    this.varint(n);
    this.ensure(n);
    const wrote = this.buf.write(hex, this.pos, n, 'hex');
    if (wrote !== n) throw new Error(`otlp: "${hex}" is not a ${n}-byte hex id`);
    this.pos += n;
  }

  /**
   * Starts an embedded message. Its length is not known yet, so one byte is reserved for it; `end`
   * fills it in, moving the body along when the length needs a longer varint.
   */
  begin(field: number): number {
    this.tag(field, LEN);
    this.ensure(1);
    return this.pos++;
  }

  end(at: number): void {
    const len = this.pos - at - 1;
    if (len < 0x80) {
      this.buf[at] = len;
      return;
    }
    let n = 1;
    for (let v = len; v > 0x7f; v = Math.floor(v / 128)) n++;
    this.ensure(n - 1);
    this.buf.copyWithin(at + n, at + 1, this.pos);
    this.pos += n - 1;
    let v = len;
    for (let i = 0; i < n - 1; i++) {
      this.buf[at + i] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[at + n - 1] = v;
  }

  /** The bytes written so far (a view, not a copy). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

function anyValue(w: ProtoWriter, field: number, v: AttributeValue): void {
  const at = w.begin(field);
  if (typeof v === 'string') w.string(1, v);
  else if (typeof v === 'boolean') w.bool(2, v);
  else if (Number.isSafeInteger(v)) w.int64(3, v);
  else w.double(4, v);
  w.end(at);
}

/** Repeated KeyValue{key = 1, value = 2: AnyValue}. */
function attributes(w: ProtoWriter, field: number, attrs: Readonly<Attributes>): void {
  for (const key in attrs) {
    const v = attrs[key];
    if (v === undefined) continue;
    const at = w.begin(field);
    w.string(1, key);
    anyValue(w, 2, v);
    w.end(at);
  }
}

function span(w: ProtoWriter, s: SpanData): void {
  w.hexBytes(1, s.traceId);
  w.hexBytes(2, s.spanId);
  if (s.traceState) w.string(3, s.traceState);
  if (s.parentSpanId !== undefined) w.hexBytes(4, s.parentSpanId);
  w.string(5, s.name);
  w.uint(6, s.kind);
  w.fixed64(7, s.startTimeUnixNano);
  w.fixed64(8, s.endTimeUnixNano);
  attributes(w, 9, s.attributes);
  if (s.status.code !== 0 || s.status.message) {
    const at = w.begin(15);
    if (s.status.message) w.string(2, s.status.message);
    if (s.status.code !== 0) w.uint(3, s.status.code);
    w.end(at);
  }
  if (s.flags !== 0) w.fixed32(16, s.flags);
}

export interface Scope {
  name: string;
  version?: string;
}

export const DEFAULT_SCOPE: Scope = { name: 'weft' };

/**
 * ExportTraceServiceRequest{resource_spans = 1} with one ResourceSpans{resource = 1, scope_spans = 2}
 * per distinct resource object, each with one ScopeSpans{scope = 1, spans = 2}.
 */
export function encodeExportRequest(spans: readonly SpanData[], scope: Scope = DEFAULT_SCOPE): Buffer {
  const byResource = new Map<SpanResource, SpanData[]>();
  for (const s of spans) {
    const list = byResource.get(s.resource);
    if (list === undefined) byResource.set(s.resource, [s]);
    else list.push(s);
  }
  const w = new ProtoWriter(spans.length * 400);
  for (const [resource, list] of byResource) {
    const rs = w.begin(1);
    const r = w.begin(1);
    attributes(w, 1, resource.attributes);
    w.end(r);
    const ss = w.begin(2);
    const sc = w.begin(1);
    w.string(1, scope.name);
    if (scope.version !== undefined) w.string(2, scope.version);
    w.end(sc);
    for (const s of list) {
      const at = w.begin(2);
      span(w, s);
      w.end(at);
    }
    w.end(ss);
    w.end(rs);
  }
  return w.finish();
}

/** ExportTraceServiceResponse.partial_success, when the collector rejected some spans. */
export interface PartialSuccess {
  rejectedSpans: number;
  errorMessage: string;
}

/**
 * Reads ExportTraceServiceResponse{partial_success = 1: {rejected_spans = 1, error_message = 2}};
 * undefined when the response reports full success (or is not a message we can read).
 */
export function decodeExportResponse(buf: Uint8Array): PartialSuccess | undefined {
  try {
    const r = new Reader(buf, 0, buf.length);
    let out: PartialSuccess | undefined;
    while (r.more()) {
      const [field, wire] = r.key();
      if (field === 1 && wire === LEN) {
        const inner = r.sub();
        const ps: PartialSuccess = { rejectedSpans: 0, errorMessage: '' };
        while (inner.more()) {
          const [f, wt] = inner.key();
          if (f === 1 && wt === VARINT) ps.rejectedSpans = inner.varint();
          else if (f === 2 && wt === LEN) ps.errorMessage = inner.str();
          else inner.skip(wt);
        }
        out = ps.rejectedSpans > 0 || ps.errorMessage !== '' ? ps : undefined;
      } else r.skip(wire);
    }
    return out;
  } catch {
    return undefined;
  }
}

class Reader {
  constructor(
    private readonly buf: Uint8Array,
    private pos: number,
    private readonly limit: number,
  ) {}

  more(): boolean {
    return this.pos < this.limit;
  }

  varint(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.limit) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
    throw new Error('varint too long');
  }

  key(): [number, number] {
    const k = this.varint();
    return [Math.floor(k / 8), k % 8];
  }

  sub(): Reader {
    const len = this.varint();
    if (this.pos + len > this.limit) throw new Error('truncated message');
    const r = new Reader(this.buf, this.pos, this.pos + len);
    this.pos += len;
    return r;
  }

  str(): string {
    const len = this.varint();
    if (this.pos + len > this.limit) throw new Error('truncated string');
    const s = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, len).toString('utf8');
    this.pos += len;
    return s;
  }

  skip(wire: number): void {
    if (wire === VARINT) this.varint();
    else if (wire === I64) this.pos += 8;
    else if (wire === LEN) this.pos += this.varint();
    else if (wire === I32) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
    if (this.pos > this.limit) throw new Error('truncated field');
  }
}
