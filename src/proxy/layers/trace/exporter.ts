// Ships spans to an OpenTelemetry collector over OTLP/HTTP (binary protobuf). export() only puts the span
// in a bounded ring; batches leave on a timer or when a batch fills, one POST at a time, so a slow or
// absent collector costs the request path nothing and memory stays bounded (the oldest spans give way).
import http from 'node:http';
import https from 'node:https';
import { decodeExportResponse, encodeExportRequest, type Scope } from './otlp.js';
import type { SpanData, SpanExporter } from './span.js';

export interface OtlpHttpExporterOptions {
  /** The collector's traces URL, e.g. http://127.0.0.1:4318/v1/traces. */
  endpoint: string;
  /** Most spans in one request (default 512). */
  maxBatch?: number;
  /** Longest a span waits before it is sent, in ms (default 1000). */
  flushMs?: number;
  /** Most spans waiting; beyond it the oldest are dropped and counted (default 4096). */
  maxQueue?: number;
  /** Extra request headers (e.g. an API key). */
  headers?: Record<string, string>;
  /** Per-request connect/response timeout in ms (default 10000). */
  timeoutMs?: number;
  /** Where export errors go, at most once per 10 s (default: stderr). */
  log?: (msg: string) => void;
  /** The instrumentation scope spans are reported under (default "weft"). */
  scope?: Scope;
}

export interface ExporterStats {
  /** Spans waiting to be sent. */
  queued: number;
  /** Spans the collector accepted. */
  exported: number;
  /** Spans dropped before sending: queue full, or exported after shutdown. */
  dropped: number;
  /** Spans in requests that failed or that the collector rejected. */
  failed: number;
}

const LOG_INTERVAL_MS = 10_000;

export class OtlpHttpExporter implements SpanExporter {
  private readonly endpoint: string;
  private readonly maxBatch: number;
  private readonly flushMs: number;
  private readonly maxQueue: number;
  private readonly headers: Record<string, string>;
  private readonly log: (msg: string) => void;
  private readonly scope: Scope | undefined;
  // node:http rather than undici: a handful of POSTs a second do not need it, and loading undici's full
  // entry point (fetch, WebSocket, ...) would cost every proxy ~16 MB of RSS (docs/performance.md).
  private readonly agent: http.Agent;
  private readonly timeoutMs: number;

  /** Ring buffer: `len` spans from `head`, wrapping at maxQueue. */
  private readonly ring: (SpanData | undefined)[];
  private head = 0;
  private len = 0;

  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private kicked = false;
  private closed = false;
  private readonly counts = { exported: 0, dropped: 0, failed: 0 };
  private lastLog = -Infinity;
  private suppressed = 0;

  constructor(opts: OtlpHttpExporterOptions) {
    let url: URL;
    try {
      url = new URL(opts.endpoint);
    } catch {
      throw new TypeError(`OTLP endpoint "${opts.endpoint}": not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`OTLP endpoint "${opts.endpoint}": must be http:// or https://`);
    this.endpoint = url.href;
    this.maxBatch = positiveInt('maxBatch', opts.maxBatch ?? 512);
    this.flushMs = positiveInt('flushMs', opts.flushMs ?? 1000);
    this.maxQueue = positiveInt('maxQueue', opts.maxQueue ?? 4096);
    const timeoutMs = positiveInt('timeoutMs', opts.timeoutMs ?? 10_000);
    this.headers = { ...opts.headers, 'content-type': 'application/x-protobuf' };
    this.log = opts.log ?? ((msg) => process.stderr.write(`${msg}\n`));
    this.scope = opts.scope;
    this.ring = new Array<SpanData | undefined>(this.maxQueue);
    this.timeoutMs = timeoutMs;
    this.agent = new (url.protocol === 'https:' ? https.Agent : http.Agent)({ keepAlive: true, maxSockets: 2 });
  }

  export(span: SpanData): void {
    if (this.closed) {
      this.counts.dropped++;
      return;
    }
    if (this.len === this.maxQueue) {
      // Full: the newest span takes the oldest one's slot.
      this.ring[this.head] = span;
      this.head = (this.head + 1) % this.maxQueue;
      this.counts.dropped++;
      this.report(`trace export queue full (${this.maxQueue} spans): dropping the oldest spans; ${this.counts.dropped} dropped so far`);
    } else {
      this.ring[(this.head + this.len) % this.maxQueue] = span;
      this.len++;
    }
    if (this.len >= this.maxBatch) {
      // A full batch leaves on the next turn, not inside the request's own callback.
      if (this.sending === undefined && !this.kicked) {
        this.kicked = true;
        setImmediate(() => {
          this.kicked = false;
          void this.drain();
        });
      }
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.drain();
      }, this.flushMs);
      this.timer.unref();
    }
  }

  async flush(): Promise<void> {
    this.clearTimer();
    await this.drain();
    // Spans queued while the last batch was in flight, after the drain loop last looked.
    if (this.len > 0) await this.drain();
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush();
    this.agent.destroy();
  }

  stats(): ExporterStats {
    return { queued: this.len, ...this.counts };
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** Sends batches until the queue is empty; one drain at a time. Never rejects. */
  private drain(): Promise<void> {
    if (this.sending === undefined) {
      this.sending = (async () => {
        try {
          while (this.len > 0) await this.send(this.take());
        } finally {
          this.sending = undefined;
        }
      })();
    }
    return this.sending;
  }

  private take(): SpanData[] {
    const n = Math.min(this.len, this.maxBatch);
    const batch = new Array<SpanData>(n);
    for (let i = 0; i < n; i++) {
      batch[i] = this.ring[this.head]!;
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.maxQueue;
    }
    this.len -= n;
    return batch;
  }

  private async send(batch: SpanData[]): Promise<void> {
    try {
      const body = encodeExportRequest(batch, this.scope);
      const res = await this.post(body);
      if (res.statusCode < 200 || res.statusCode >= 300) {
        const text = res.body.toString('utf8').slice(0, 200);
        this.counts.failed += batch.length;
        this.report(`trace export to ${this.endpoint} failed: HTTP ${res.statusCode}${text ? `: ${text}` : ''} (${batch.length} spans lost)`);
        return;
      }
      const partial = decodeExportResponse(new Uint8Array(res.body));
      const rejected = partial === undefined ? 0 : Math.min(partial.rejectedSpans, batch.length);
      this.counts.exported += batch.length - rejected;
      this.counts.failed += rejected;
      if (partial !== undefined) this.report(`trace export to ${this.endpoint}: collector rejected ${partial.rejectedSpans} spans: ${partial.errorMessage || '(no message)'}`);
    } catch (err) {
      this.counts.failed += batch.length;
      this.report(`trace export to ${this.endpoint} failed: ${(err as Error)?.message ?? String(err)} (${batch.length} spans lost)`);
    }
  }

  /** One POST of an encoded batch; the whole answer (a small protobuf) is read before it resolves. */
  private post(body: Uint8Array): Promise<{ statusCode: number; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const url = new URL(this.endpoint);
      const mod = url.protocol === 'https:' ? https : http;
      const req = mod.request(url, { method: 'POST', headers: { ...this.headers, 'content-length': String(body.byteLength) }, agent: this.agent, timeout: this.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Logs at most once per 10 s, saying how many messages were held back meanwhile. */
  private report(msg: string): void {
    const now = performance.now();
    if (now - this.lastLog < LOG_INTERVAL_MS) {
      this.suppressed++;
      return;
    }
    const held = this.suppressed;
    this.lastLog = now;
    this.suppressed = 0;
    try {
      this.log(held > 0 ? `${msg} (${held} more since the last report)` : msg);
    } catch {
      // A broken logger must not break exporting.
    }
  }
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`OtlpHttpExporter ${name} ${String(v)}: must be a positive integer`);
  return v;
}
