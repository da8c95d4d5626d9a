// The span this proxy records for one request, and the interface of whatever ships spans out.
// Kept as plain data so the exporter can batch and encode them away from the request path.

/** OTLP Span.SpanKind values. */
export const SpanKind = { INTERNAL: 1, SERVER: 2, CLIENT: 3 } as const;
export type SpanKind = (typeof SpanKind)[keyof typeof SpanKind];

/** OTLP Status.StatusCode values. Instrumentation leaves successful spans UNSET. */
export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;
export type StatusCode = (typeof StatusCode)[keyof typeof StatusCode];

/** Integers become int_value, other numbers double_value. */
export type AttributeValue = string | number | boolean;
export type Attributes = Record<string, AttributeValue>;

/** Who produced the spans (service.name, ...). One object per proxy, shared by all of its spans. */
export interface SpanResource {
  readonly attributes: Readonly<Attributes>;
}

/** OTLP Span.flags bits: the W3C trace flags in the low byte, then whether the parent is remote. */
export const SPAN_FLAGS_HAS_IS_REMOTE = 0x100;
export const SPAN_FLAGS_IS_REMOTE = 0x200;

export interface SpanData {
  resource: SpanResource;
  /** 32 lower-hex characters. */
  traceId: string;
  /** 16 lower-hex characters. */
  spanId: string;
  /** 16 lower-hex characters; absent on a trace's root span. */
  parentSpanId?: string;
  /** The W3C tracestate the span's context carried. */
  traceState?: string;
  name: string;
  kind: SpanKind;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Attributes;
  status: { code: StatusCode; message?: string };
  flags: number;
}

export interface SpanExporter {
  /** Queues a finished span. Must return at once: it runs on the request's event-loop turn. */
  export(span: SpanData): void;
  /** Sends everything queued so far; never rejects. */
  flush(): Promise<void>;
  /** Flushes, then stops accepting spans and releases connections and timers. */
  shutdown(): Promise<void>;
}
