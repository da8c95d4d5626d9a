// Access log: one JSON object per line per request, with Envoy/Istio field names so existing log
// pipelines and habits carry over. A RecordSink, not a layer: the observe layer builds the record once
// and this only filters and formats it. Field by field in docs/config-reference.md (Telemetry).
import type { RecordSink, RequestRecord } from '../../observe/record.js';
import { child, type KeyTree } from '../../../util/keytree.js';

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
  /** Receives each line, newline included: `process.stdout.write.bind(process.stdout)` or the proxy's log stream. */
  write: (line: string) => void;
  /** Only "json" so far. */
  format?: 'json';
  filter?: AccessLogFilter;
  /** Default true: access logs are on unless a Telemetry turns them off. */
  enabled?: boolean;
  /** The proxy writing the log (sidecar or gateway name), for the `proxy` field. */
  proxy: { name: string };
}

export class AccessLog implements RecordSink {
  private readonly write: (line: string) => void;
  private readonly proxy: string;
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
    this.write(formatJson(r, this.proxy));
  }
}

/** A request counts as failed when the status says so or the proxy flagged it (its own error, a downstream disconnect). */
export function isError(r: RequestRecord): boolean {
  return r.status >= 400 || (r.flags !== '-' && r.flags !== '');
}

/**
 * Printable ASCII without `"` or `\\`: such a string is its own JSON body, so it is quoted as is. Most
 * fields (methods, ids, principals, names) are like that; anything else goes through JSON.stringify,
 * which escapes quotes, backslashes, control and non-ASCII characters.
 */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const q = (v: string) => (PLAIN.test(v) ? '"' + v + '"' : JSON.stringify(v));
const str = (v: string | undefined) => (v === undefined ? 'null' : q(v));
/** A number JSON can hold: NaN and Infinity would make the line invalid. */
const num = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? String(v) : 'null');
/**
 * Milliseconds to 3 decimals. Written from whole microseconds with integer formatting: turning a double
 * into its shortest decimal string costs more than the rest of the field (a JSON reader sees the same
 * number; "1.500" and "1.5" are equal).
 */
const ms3 = (v: number | undefined): string => {
  if (v === undefined || !Number.isFinite(v)) return 'null';
  const us = Math.round(v * 1000);
  if (us < 0 || us > 0x7fffffff) return String(us / 1000);
  const whole = (us / 1000) | 0;
  const frac = us - whole * 1000;
  return frac === 0 ? String(whole) : whole + (frac < 10 ? '.00' : frac < 100 ? '.0' : '.') + frac;
};

// ISO-8601 start times: the part up to the second changes once a second, so it is formatted then and
// the milliseconds are appended per line (a Date and toISOString per request cost more than the rest).
let isoSecond = NaN;
let isoPrefix = '';
function isoTime(epochMs: number): string {
  if (!Number.isFinite(epochMs)) return 'null';
  const t = Math.floor(epochMs);
  const sec = Math.floor(t / 1000);
  if (sec !== isoSecond) {
    const d = new Date(sec * 1000);
    if (Number.isNaN(d.getTime())) return 'null';
    isoSecond = sec;
    isoPrefix = d.toISOString().slice(0, -4); // "YYYY-MM-DDTHH:MM:SS."
  }
  const ms = t - sec * 1000;
  return '"' + isoPrefix + (ms < 10 ? '00' : ms < 100 ? '0' : '') + ms + 'Z"';
}

/**
 * One line, newline included, keys in a fixed order. A template rather than JSON.stringify of an object
 * (twice as slow, measured on Node 20), and still valid JSON whatever the path or authority holds: every
 * string value is either plain ASCII or escaped by JSON.stringify, so one request can never forge or break
 * another's line. The fields from source_principal on depend only on who called whom (a few combinations
 * per proxy), so that part of the line is rendered once per combination and reused.
 */
export function formatJson(r: RequestRecord, proxy: string): string {
  return '{"start_time":' + isoTime(r.start)
    + ',"method":' + q(r.method)
    + ',"path":' + q(r.path)
    + ',"protocol":' + q(r.protocol)
    + ',"response_code":' + num(r.status)
    + ',"response_flags":' + q(r.flags)
    + ',"error":' + str(r.error)
    + ',"bytes_received":' + num(r.bytesIn)
    + ',"bytes_sent":' + num(r.bytesOut)
    + ',"duration_ms":' + ms3(r.durationMs)
    + ',"upstream_host":' + str(r.upstreamHost)
    + ',"upstream_service_time_ms":' + ms3(r.upstreamServiceTimeMs)
    + ',"upstream_cluster":' + str(r.cluster)
    + ',"route":' + str(r.route)
    // '' when the request named no host.
    + ',"authority":' + str(r.authority || undefined)
    + ',"x_request_id":' + str(r.requestId)
    + ',"trace_id":' + str(r.traceId)
    + tail(r, proxy);
}

/** `,"source_principal":...,"proxy":"..."}\n` as formatTail renders it, cached by the values it holds. */
let tails: KeyTree = new Map();
let tailCount = 0;
const TAIL_MAX = 1024;

function tail(r: RequestRecord, proxy: string): string {
  let m = child(tails, r.sourcePrincipal);
  m = child(m, r.destPrincipal);
  m = child(m, r.sourceWorkload);
  m = child(m, r.sourceNamespace);
  m = child(m, r.destService);
  m = child(m, r.destWorkload);
  m = child(m, r.destNamespace);
  m = child(m, r.direction);
  m = child(m, r.tls);
  let t = m.get(proxy) as string | undefined;
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

function formatTail(r: RequestRecord, proxy: string): string {
  return ',"source_principal":' + str(r.sourcePrincipal)
    + ',"destination_principal":' + str(r.destPrincipal)
    + ',"source_workload":' + str(r.sourceWorkload)
    + ',"source_namespace":' + str(r.sourceNamespace)
    + ',"destination_service":' + str(r.destService)
    + ',"destination_workload":' + str(r.destWorkload)
    + ',"destination_namespace":' + str(r.destNamespace)
    + ',"direction":' + q(r.direction)
    + ',"tls":' + (r.tls === true ? 'true' : 'false')
    + ',"proxy":' + q(proxy)
    + '}\n';
}
