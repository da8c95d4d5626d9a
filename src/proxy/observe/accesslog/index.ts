// Access log: one JSON object per line per request, with Envoy/Istio field names so existing log
// pipelines and habits carry over. A RecordSink, not a layer: the observe layer builds the record once
// and this only filters and formats it. Field by field in docs/config-reference.md (Telemetry).
import type { RecordSink, RequestRecord } from '../../observe/record.js';
import { child, type KeyTree } from '../../../util/keytree.js';
import { LineWriter, writeIsoTime } from './line.js';

export interface AccessLogFilter {
  /** Only requests with status >= minStatus. Default 0 (every status). */
  minStatus?: number;
  /** Only failed requests: status >= 400 or a response flag (e.g. DC with a 200 status). Default false. */
  errorsOnly?: boolean;
}

/** What a config push may change; the shape of resolveTelemetry(...).accessLog (src/api/telemetry.ts). */
export interface AccessLogSettings extends AccessLogFilter {
  enabled?: boolean;
}

export interface AccessLogOptions {
  /**
   * Receives each line as UTF-8, newline included: the first `length` bytes of `buf`, which the log reuses
   * for the next line, so copy them before returning (LineBatch.writeBytes does).
   */
  write: (buf: Buffer, length: number) => void;
  /** Only "json" so far. */
  format?: 'json';
  filter?: AccessLogFilter;
  /** Default true: access logs are on unless a Telemetry turns them off. */
  enabled?: boolean;
  /** The proxy writing the log (sidecar or gateway name), for the `proxy` field. */
  proxy: { name: string };
}

export class AccessLog implements RecordSink {
  private readonly write: (buf: Buffer, length: number) => void;
  private readonly proxy: string;
  private readonly line = new LineWriter();
  private enabled = true;
  private errorsOnly = false;
  private minStatus = 0;

  constructor(o: AccessLogOptions) {
    if (o.format !== undefined && o.format !== 'json') throw new Error(`access log format ${JSON.stringify(o.format)}: only "json" is supported`);
    this.write = o.write;
    this.proxy = o.proxy.name;
    this.configure({ enabled: o.enabled, ...o.filter });
  }

  /** Applies settings from a config push without rebuilding the stack; fields left out keep their value. */
  configure(s: AccessLogSettings): void {
    if (s.enabled !== undefined) this.enabled = s.enabled;
    if (s.errorsOnly !== undefined) this.errorsOnly = s.errorsOnly;
    if (s.minStatus !== undefined) this.minStatus = s.minStatus;
  }

  record(r: RequestRecord): void {
    if (!this.enabled || r.status < this.minStatus) return;
    if (this.errorsOnly && !isError(r)) return;
    const w = this.line;
    w.pos = 0;
    writeJson(w, r, this.proxy);
    this.write(w.buf, w.pos);
  }
}

export function isError(r: RequestRecord): boolean {
  return r.status >= 400 || (r.flags !== '-' && r.flags !== '');
}

/**
 * One line, newline included, keys in a fixed order. Encoded field by field rather than by JSON.stringify
 * of an object (twice as slow, measured on Node 20), and still valid JSON whatever the path or authority
 * holds: every string value is either plain ASCII or escaped by JSON.stringify (LineWriter.str), so one
 * request can never forge or break another's line. The fields from source_principal on depend only on who
 * called whom (a few combinations per proxy), so that part of the line is encoded once per combination
 * and reused.
 */
function writeJson(w: LineWriter, r: RequestRecord, proxy: string): void {
  w.ascii('{"start_time":');
  writeIsoTime(w, r.start);
  w.ascii(',"method":');
  w.str(r.method);
  w.ascii(',"path":');
  w.str(r.path);
  w.ascii(',"protocol":');
  w.str(r.protocol);
  w.ascii(',"response_code":');
  w.num(r.status);
  w.ascii(',"response_flags":');
  w.str(r.flags);
  // Only on gRPC calls: the status the call ended with (trailers, or a trailers-only answer).
  if (r.grpcStatus !== undefined) {
    w.ascii(',"grpc_status":');
    w.num(Number(r.grpcStatus));
  }
  w.ascii(',"error":');
  w.str(r.error);
  w.ascii(',"bytes_received":');
  w.num(r.bytesIn);
  w.ascii(',"bytes_sent":');
  w.num(r.bytesOut);
  w.ascii(',"duration_ms":');
  w.ms3(r.durationMs);
  w.ascii(',"upstream_host":');
  w.str(r.upstreamHost);
  w.ascii(',"upstream_service_time_ms":');
  w.ms3(r.upstreamServiceTimeMs);
  w.ascii(',"upstream_cluster":');
  w.str(r.cluster);
  w.ascii(',"route":');
  w.str(r.route);
  // null when the request named no host.
  w.ascii(',"authority":');
  w.str(r.authority || undefined);
  w.ascii(',"x_request_id":');
  w.str(r.requestId);
  w.ascii(',"trace_id":');
  w.str(r.traceId);
  w.bytes(tail(r, proxy));
}

/** `,"source_principal":...,"proxy":"..."}\n` as encoded bytes, cached by the values it holds. */
let tails: KeyTree = new Map();
let tailCount = 0;
const TAIL_MAX = 1024;

function tail(r: RequestRecord, proxy: string): Buffer {
  let m = child(tails, r.sourcePrincipal);
  m = child(m, r.destPrincipal);
  m = child(m, r.sourceWorkload);
  m = child(m, r.sourceNamespace);
  m = child(m, r.destService);
  m = child(m, r.destWorkload);
  m = child(m, r.destNamespace);
  m = child(m, r.direction);
  m = child(m, r.tls);
  let t = m.get(proxy) as Buffer | undefined;
  if (t === undefined) {
    t = formatTail(r, proxy);
    // Bounded: principals come from peers' certificates, so a churning peer set must not grow this forever.
    if (++tailCount > TAIL_MAX) {
      tails = new Map();
      tailCount = 0;
    } else {
      m.set(proxy, t);
    }
  }
  return t;
}

function formatTail(r: RequestRecord, proxy: string): Buffer {
  const w = new LineWriter(512);
  w.ascii(',"source_principal":');
  w.str(r.sourcePrincipal);
  w.ascii(',"destination_principal":');
  w.str(r.destPrincipal);
  w.ascii(',"source_workload":');
  w.str(r.sourceWorkload);
  w.ascii(',"source_namespace":');
  w.str(r.sourceNamespace);
  w.ascii(',"destination_service":');
  w.str(r.destService);
  w.ascii(',"destination_workload":');
  w.str(r.destWorkload);
  w.ascii(',"destination_namespace":');
  w.str(r.destNamespace);
  w.ascii(',"direction":');
  w.str(r.direction);
  w.ascii(r.tls === true ? ',"tls":true' : ',"tls":false');
  w.ascii(',"proxy":');
  w.str(proxy);
  w.ascii('}\n');
  return Buffer.from(w.buf.subarray(0, w.pos));
}
