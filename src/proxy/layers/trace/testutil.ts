// Helpers for this folder's tests: an OTLP/HTTP receiver that decodes with the generated protobufjs code
// of @opentelemetry/otlp-transformer (a devDependency: an independent decoder of the official .proto
// files, so a wrong field number or wire type in otlp.ts fails the tests), an in-memory exporter and
// fake request contexts.
import { EventEmitter } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { Ctx, HeaderMap } from '../../context.js';
import type { SpanData, SpanExporter } from './span.js';

// Versions after 0.216 of the package dropped the generated root; the devDependency is pinned to it.
const require = createRequire(import.meta.url);
 
const root: any = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const v1 = root.opentelemetry.proto.collector.trace.v1;
export const ExportTraceServiceRequest = v1.ExportTraceServiceRequest;
export const ExportTraceServiceResponse = v1.ExportTraceServiceResponse;

export type Value = string | number | boolean | null;

/** A span as the receiver decoded it, flattened for assertions. */
export interface DecodedSpan {
  resource: Record<string, Value>;
  scope: string;
  traceId: string;
  spanId: string;
  /** '' when absent. */
  parentSpanId: string;
  traceState: string;
  name: string;
  kind: number;
  /** Decimal strings: nanoseconds exceed 2^53. */
  start: string;
  end: string;
  attributes: Record<string, Value>;
  status: { code: number; message: string };
  flags: number;
}

function hex(b: Uint8Array | undefined): string {
  return b === undefined ? '' : Buffer.from(b).toString('hex');
}

 
function kv(list: any[] | undefined): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const a of list ?? []) {
    const v = a.value ?? {};
    out[a.key] =
      v.stringValue !== undefined ? v.stringValue
      : v.intValue !== undefined ? Number(v.intValue)
      : v.boolValue !== undefined ? v.boolValue
      : v.doubleValue !== undefined ? v.doubleValue
      : null;
  }
  return out;
}

/** Decodes an ExportTraceServiceRequest body into flat spans. */
export function decodeRequest(body: Uint8Array): DecodedSpan[] {
  const msg = ExportTraceServiceRequest.decode(body);
  const o = ExportTraceServiceRequest.toObject(msg, { longs: String, enums: Number });
  const out: DecodedSpan[] = [];
  for (const rs of o.resourceSpans ?? []) {
    const resource = kv(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          resource,
          scope: ss.scope?.name ?? '',
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          traceState: s.traceState ?? '',
          name: s.name ?? '',
          kind: s.kind ?? 0,
          start: String(s.startTimeUnixNano ?? '0'),
          end: String(s.endTimeUnixNano ?? '0'),
          attributes: kv(s.attributes),
          status: { code: s.status?.code ?? 0, message: s.status?.message ?? '' },
          flags: s.flags ?? 0,
        });
      }
    }
  }
  return out;
}

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  spans: DecodedSpan[];
}

/** An OTLP/HTTP traces receiver on 127.0.0.1, port 0. */
export class Receiver extends EventEmitter {
  readonly requests: ReceivedRequest[] = [];
  /** What the next responses are: status and body (an encoded ExportTraceServiceResponse). */
  status = 200;
  responseBody: Uint8Array = new Uint8Array(0);
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (this.status === 200) {
          this.requests.push({ headers: req.headers, spans: decodeRequest(Buffer.concat(chunks)) });
        }
        res.writeHead(this.status, { 'content-type': 'application/x-protobuf' });
        res.end(this.responseBody);
        this.emit('request');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/traces`;
    return this;
  }

  get spans(): DecodedSpan[] {
    return this.requests.flatMap((r) => r.spans);
  }

  /** Resolves once `done()` holds after some request arrived, or rejects after `ms`. */
  until(done: () => boolean, ms = 5000, what = 'the receiver condition'): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.off('request', check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.off('request', check);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}; have ${this.spans.length} spans in ${this.requests.length} requests`));
      }, ms);
      this.on('request', check);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.server === undefined) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

export class MemoryExporter implements SpanExporter {
  readonly spans: SpanData[] = [];
  export(span: SpanData): void {
    this.spans.push(span);
  }
  async flush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

export interface FakeCtx extends Ctx {
  /** Ends the fake response: sets the status and runs the onClose callbacks, as the engine would. */
  finish(status: number, complete?: boolean): void;
}

/** A Ctx with a stand-in response: enough for layers that read the request and watch 'close'. */
export function fakeCtx(headers: HeaderMap, o: Partial<Pick<Ctx, 'method' | 'path' | 'authority' | 'peer'>> = {}): FakeCtx {
  const res = Object.assign(new EventEmitter(), {
    statusCode: 200,
    writableFinished: false,
    onClose(fn: () => void) {
      res.once('close', fn);
    },
  });
  const ctx = {
    conn: { remoteAddress: '127.0.0.1', bytesRead: 0, bytesWritten: 0 },
    reqHeaders: { ...headers },
    version: '1.1',
    res,
    start: process.hrtime.bigint(),
    method: o.method ?? 'GET',
    path: o.path ?? '/',
    query: '',
    authority: o.authority ?? 'svc.default:8080',
    scheme: 'http',
    headers: { ...headers },
    peer: o.peer,
    finish(status: number, complete = true) {
      res.statusCode = status;
      res.writableFinished = complete;
      res.emit('close');
    },
  };
  return ctx as unknown as FakeCtx;
}
