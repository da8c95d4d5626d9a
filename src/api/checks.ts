// Rules that span several fields of one object: the Gateway API's CEL validations (x-kubernetes-validations
// in the CRDs) and weft's own. They run after the schema passed, so the shapes here can be trusted.
// A kind with a file in kinds/ has its rules there (kinds/authorization-policy.ts).

import { isIP } from 'node:net';
import type { PathSeg } from './errors.js';
import type { Issue } from './source.js';
import { checkAuthorizationPolicy } from './kinds/authorization-policy.js';
import { ROOT_NAMESPACE } from './schemas.js';
import { parseGatewayDuration } from './traffic.js';
import type {
  AnyResource, BackendRef, Gateway, HTTPRoute, HTTPRouteFilter,
  HTTPRouteMatch, HTTPRouteRule, HeaderModifier, Mesh, PathModifier, PeerAuthentication, Service, Telemetry, TrafficPolicy,
} from './types.js';

export function checkObject(r: AnyResource): Issue[] {
  const out: Issue[] = [];
  switch (r.kind) {
    case 'Mesh': checkMesh(r, out); break;
    case 'Service': checkService(r, out); break;
    case 'Gateway': checkGateway(r, out); break;
    case 'HTTPRoute': checkHTTPRoute(r, out); break;
    case 'PeerAuthentication': checkPeerAuthentication(r, out); break;
    case 'AuthorizationPolicy': checkAuthorizationPolicy(r, out); break;
    case 'Telemetry': checkTelemetry(r, out); break;
    case 'TrafficPolicy': checkTrafficPolicy(r, out); break;
    default: break;
  }
  return out;
}

/** Reports every entry after the first whose key equals an earlier one. */
function unique<T>(items: readonly T[], keyOf: (t: T) => string | undefined, report: (i: number, first: number) => void): void {
  const seen = new Map<string, number>();
  items.forEach((t, i) => {
    const k = keyOf(t);
    if (k === undefined) return;
    const first = seen.get(k);
    if (first === undefined) seen.set(k, i);
    else report(i, first);
  });
}

function checkService(s: Service, out: Issue[]): void {
  const ports = s.spec.ports;
  unique(ports, (p) => String(p.port), (i, first) => out.push({
    path: ['spec', 'ports', i, 'port'], code: 'duplicate', message: `port ${ports[i].port} is listed twice`, hint: `also at spec.ports[${first}]`,
  }));
  unique(ports, (p) => p.name, (i, first) => out.push({
    path: ['spec', 'ports', i, 'name'], code: 'duplicate', message: `port name "${ports[i].name}" is used twice`, hint: `also at spec.ports[${first}]`,
  }));
}

function checkGateway(g: Gateway, out: Issue[]): void {
  const ls = g.spec.listeners;
  unique(ls, (l) => l.name, (i, first) => out.push({
    path: ['spec', 'listeners', i, 'name'], code: 'duplicate', message: `listener name "${ls[i].name}" is used twice`, hint: `also at spec.listeners[${first}]`,
  }));
  unique(ls, (l) => `${l.port}/${l.protocol}/${l.hostname ?? ''}`, (i, first) => out.push({
    path: ['spec', 'listeners', i], code: 'duplicate',
    message: 'the combination of port, protocol and hostname must be unique for each listener',
    hint: `spec.listeners[${first}] has the same port ${ls[i].port}, protocol and ${ls[i].hostname === undefined ? 'no hostname' : `hostname ${ls[i].hostname}`}`,
  }));
  ls.forEach((l, i) => {
    if (l.hostname !== undefined && isIP(l.hostname) !== 0) out.push(notAnIP(['spec', 'listeners', i, 'hostname']));
  });
  (g.spec.addresses ?? []).forEach((a, i) => {
    if (isIP(a.value) === 0) {
      out.push({ path: ['spec', 'addresses', i, 'value'], code: 'invalid', message: `must be an IP address (got "${a.value}")`, hint: 'e.g. 127.0.0.1, 0.0.0.0 or ::1' });
    }
  });
}

/** Gateway API hostnames are names: the pattern alone would let "10.0.0.1" through. */
function notAnIP(path: PathSeg[]): Issue {
  return { path, code: 'invalid', message: 'must be a DNS name, not an IP address', hint: 'leave the hostname out to match any host' };
}

function checkHTTPRoute(r: HTTPRoute, out: Issue[]): void {
  const spec = r.spec;
  checkParentRefs(r, out);
  (spec.hostnames ?? []).forEach((h, i) => {
    if (isIP(h) !== 0) out.push(notAnIP(['spec', 'hostnames', i]));
  });

  const rules = spec.rules;
  unique(rules, (x) => x.name, (i) => out.push({
    path: ['spec', 'rules', i, 'name'], code: 'duplicate', message: 'rule name must be unique within the route',
  }));
  const totalMatches = rules.reduce((n, x) => n + x.matches.length, 0);
  if (totalMatches > 128) {
    out.push({
      path: ['spec', 'rules'], code: 'items',
      message: `a route may have at most 128 matches across all its rules (got ${totalMatches})`,
      hint: 'split the route into several HTTPRoutes',
    });
  }
  rules.forEach((rule, i) => checkRule(rule, ['spec', 'rules', i], out));
}

function checkParentRefs(r: HTTPRoute, out: Issue[]): void {
  const refs = r.spec.parentRefs;
  refs.forEach((p, i) => {
    const want = p.kind === 'Gateway' ? 'gateway.networking.k8s.io' : '';
    if (p.group !== undefined && p.group !== want) {
      out.push({
        path: ['spec', 'parentRefs', i, 'group'], code: 'invalid',
        message: `a ${p.kind} parent must have group ${JSON.stringify(want)} (got ${JSON.stringify(p.group)})`,
        hint: 'or leave group out',
      });
    }
  });
  // Gateway API: two references to the same parent must be told apart by sectionName and/or port, and
  // must all use the same combination of those fields.
  const parentKey = (p: (typeof refs)[number]) => `${p.kind}/${p.namespace ?? ''}/${p.name}`;
  for (let i = 0; i < refs.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = refs[j];
      const b = refs[i];
      if (parentKey(a) !== parentKey(b)) continue;
      if ((a.sectionName === undefined) !== (b.sectionName === undefined) || (a.port === undefined) !== (b.port === undefined)) {
        out.push({
          path: ['spec', 'parentRefs', i], code: 'invalid',
          message: 'sectionName or port must be specified when parentRefs includes 2 or more references to the same parent',
          hint: `spec.parentRefs[${j}] refers to the same ${a.kind} ${a.name}; give both the same fields (sectionName and/or port)`,
        });
        break;
      }
      if (a.sectionName === b.sectionName && a.port === b.port) {
        out.push({
          path: ['spec', 'parentRefs', i], code: 'duplicate',
          message: 'sectionName or port must be unique when parentRefs includes 2 or more references to the same parent',
          hint: `same as spec.parentRefs[${j}]`,
        });
        break;
      }
    }
  }
}

function checkRule(rule: HTTPRouteRule, at: PathSeg[], out: Issue[]): void {
  rule.matches.forEach((m, j) => checkMatch(m, [...at, 'matches', j], out));
  // GEP-1742: one attempt cannot outlast the whole request ("0s" request = no overall limit).
  const rt = rule.retry;
  if (rt?.backoff !== undefined && rt.maxBackoff !== undefined) {
    const lo = parseGatewayDuration(rt.backoff);
    const hi = parseGatewayDuration(rt.maxBackoff);
    if (lo !== undefined && hi !== undefined && hi < lo) {
      out.push({ path: [...at, 'retry', 'maxBackoff'], code: 'range', message: `must not be shorter than backoff (${rt.backoff}), got ${JSON.stringify(rt.maxBackoff)}` });
    }
  }
  const t = rule.timeouts;
  const req = t?.request === undefined ? undefined : parseGatewayDuration(t.request);
  const backend = t?.backendRequest === undefined ? undefined : parseGatewayDuration(t.backendRequest);
  if (req !== undefined && backend !== undefined && req !== 0 && (backend > req || backend === 0)) {
    out.push({
      path: [...at, 'timeouts', 'backendRequest'], code: 'range',
      message: `must not be longer than timeouts.request (${t!.request}), got ${JSON.stringify(t!.backendRequest)}`,
      hint: 'backendRequest limits one attempt; request limits the whole exchange, retries included',
    });
  }
  const filters = rule.filters ?? [];
  checkFilters(filters, [...at, 'filters'], rule.matches, out);
  const backends = rule.backendRefs ?? [];
  if (backends.length > 0 && filters.some((f) => f.type === 'RequestRedirect')) {
    out.push({
      path: [...at, 'filters', filters.findIndex((f) => f.type === 'RequestRedirect')], code: 'conflict',
      message: 'RequestRedirect filter must not be used together with backendRefs',
      hint: 'a redirect answers the request itself; remove backendRefs or the redirect',
    });
  }
  backends.forEach((b, k) => checkBackendRef(b, [...at, 'backendRefs', k], rule.matches, out));
}

function checkBackendRef(b: BackendRef, at: PathSeg[], matches: HTTPRouteMatch[], out: Issue[]): void {
  if (b.group !== undefined && b.group !== '') {
    out.push({ path: [...at, 'group'], code: 'invalid', message: `a Service backend must have group "" (got ${JSON.stringify(b.group)})`, hint: 'or leave group out' });
  }
  if (b.filters !== undefined) checkFilters(b.filters, [...at, 'filters'], matches, out);
  (b.filters ?? []).forEach((f, i) => {
    if (f.type === 'RequestMirror') out.push({ path: [...at, 'filters', i, 'type'], code: 'unsupported-field', message: 'RequestMirror on a backendRef is not implemented by weft', hint: "put it in the rule's filters: it then mirrors every request the rule matches" });
  });
}

const FORBIDDEN_PATH_PARTS = ['//', '/./', '/../', '%2f', '%2F', '#'];
const PATH_CHARS = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$/;

/** Gateway API rules for an Exact or PathPrefix path value (HTTPPathMatch CEL). */
function pathProblem(value: string): { message: string; hint?: string } | undefined {
  if (!value.startsWith('/')) return { message: 'must be an absolute path and start with "/" for Exact and PathPrefix matches', hint: `did you mean "/${value}"?` };
  for (const part of FORBIDDEN_PATH_PARTS) {
    if (value.includes(part)) return { message: `must not contain ${JSON.stringify(part)} for Exact and PathPrefix matches` };
  }
  if (value.endsWith('/..') || value.endsWith('/.')) return { message: 'must not end with "/.." or "/." for Exact and PathPrefix matches' };
  if (!PATH_CHARS.test(value)) {
    return { message: "must only contain URL path characters (letters, digits, -/._~!$&'()*+,;=:@ and %XX escapes) for Exact and PathPrefix matches", hint: 'use type: RegularExpression for patterns' };
  }
  return undefined;
}

function checkMatch(m: HTTPRouteMatch, at: PathSeg[], out: Issue[]): void {
  if (m.path.type !== 'RegularExpression') {
    const p = pathProblem(m.path.value);
    if (p !== undefined) out.push({ path: [...at, 'path', 'value'], code: 'invalid', ...p });
  }
  // Gateway API treats header names case-insensitively: a second entry for the same name would be ignored.
  const headers = m.headers ?? [];
  unique(headers, (h) => h.name.toLowerCase(), (i, first) => out.push({
    path: [...at, 'headers', i, 'name'], code: 'duplicate', message: `header "${headers[i].name}" is matched twice (names are case-insensitive)`, hint: `also at headers[${first}]`,
  }));
  const qps = m.queryParams ?? [];
  unique(qps, (q) => q.name, (i, first) => out.push({
    path: [...at, 'queryParams', i, 'name'], code: 'duplicate', message: `query parameter "${qps[i].name}" is matched twice`, hint: `also at queryParams[${first}]`,
  }));
}

const FILTER_FIELD = {
  RequestHeaderModifier: 'requestHeaderModifier',
  ResponseHeaderModifier: 'responseHeaderModifier',
  URLRewrite: 'urlRewrite',
  RequestRedirect: 'requestRedirect',
  RequestMirror: 'requestMirror',
} as const;

function checkFilters(filters: HTTPRouteFilter[], at: PathSeg[], matches: HTTPRouteMatch[], out: Issue[]): void {
  filters.forEach((f, i) => {
    const own = FILTER_FIELD[f.type];
    const rec = f as unknown as Record<string, unknown>;
    if (rec[own] === undefined) {
      out.push({ path: [...at, i, own], at: [...at, i], code: 'required', message: `is required when type is ${f.type}` });
    }
    for (const [type, field] of Object.entries(FILTER_FIELD)) {
      if (field !== own && rec[field] !== undefined) {
        out.push({ path: [...at, i, field], key: true, code: 'invalid', message: `must not be set when type is ${f.type}`, hint: `set type: ${type}, or move it to a filter of its own` });
      }
    }
  });
  // Gateway API: each of these filters at most once per list (a mirror may be repeated, one per target),
  // and never a redirect and a rewrite together.
  filters.forEach((f, i) => {
    if (f.type !== 'RequestMirror' || f.requestMirror === undefined) return;
    const m = f.requestMirror;
    if (m.percent !== undefined && m.fraction !== undefined) {
      out.push({ path: [...at, i, 'requestMirror', 'fraction'], key: true, code: 'conflict', message: 'percent and fraction cannot both be set', hint: 'keep one' });
    }
    if (m.fraction !== undefined && m.fraction.numerator > (m.fraction.denominator ?? 100)) {
      out.push({ path: [...at, i, 'requestMirror', 'fraction', 'numerator'], code: 'range', message: `must not be greater than the denominator (${m.fraction.denominator ?? 100})` });
    }
  });
  unique(filters, (f) => (f.type === 'RequestMirror' ? undefined : f.type), (i, first) => out.push({
    path: [...at, i, 'type'], code: 'duplicate', message: `${filters[i].type} filter cannot be repeated`, hint: `already at filters[${first}]; merge them`,
  }));
  const redirect = filters.findIndex((f) => f.type === 'RequestRedirect');
  const rewrite = filters.findIndex((f) => f.type === 'URLRewrite');
  if (redirect >= 0 && rewrite >= 0) {
    out.push({
      path: [...at, Math.max(redirect, rewrite), 'type'], code: 'conflict',
      message: 'may specify either RequestRedirect or URLRewrite, but not both',
    });
  }
  filters.forEach((f, i) => {
    if (f.type === 'RequestHeaderModifier' && f.requestHeaderModifier) checkHeaderModifier(f.requestHeaderModifier, [...at, i, 'requestHeaderModifier'], out);
    if (f.type === 'ResponseHeaderModifier' && f.responseHeaderModifier) checkHeaderModifier(f.responseHeaderModifier, [...at, i, 'responseHeaderModifier'], out);
    if (f.type === 'URLRewrite' && f.urlRewrite?.path) checkPathModifier(f.urlRewrite.path, [...at, i, 'urlRewrite', 'path'], matches, 'URLRewrite', out);
    if (f.type === 'RequestRedirect' && f.requestRedirect?.path) checkPathModifier(f.requestRedirect.path, [...at, i, 'requestRedirect', 'path'], matches, 'RequestRedirect', out);
  });
}

function checkPathModifier(p: PathModifier, at: PathSeg[], matches: HTTPRouteMatch[], filter: string, out: Issue[]): void {
  const rec = p as unknown as Record<string, unknown>;
  const own = p.type === 'ReplaceFullPath' ? 'replaceFullPath' : 'replacePrefixMatch';
  const other = own === 'replaceFullPath' ? 'replacePrefixMatch' : 'replaceFullPath';
  if (rec[own] === undefined) {
    out.push({ path: [...at, own], at, code: 'required', message: `is required when type is ${p.type}` });
    return;
  }
  if (rec[other] !== undefined) {
    out.push({ path: [...at, other], key: true, code: 'invalid', message: `must not be set when type is ${p.type}` });
  }
  const value = rec[own] as string;
  if (own === 'replaceFullPath' && !value.startsWith('/')) {
    out.push({ path: [...at, own], code: 'invalid', message: 'must start with "/"', hint: `did you mean "/${value}"?` });
  }
  if (own === 'replacePrefixMatch' && value !== '' && !value.startsWith('/')) {
    out.push({ path: [...at, own], code: 'invalid', message: 'must be empty or start with "/"', hint: `did you mean "/${value}"?` });
  }
  if (p.type === 'ReplacePrefixMatch' && (matches.length !== 1 || matches[0].path.type !== 'PathPrefix')) {
    out.push({
      path: [...at, 'type'], code: 'conflict',
      message: `when using ${filter} with path.replacePrefixMatch, exactly one PathPrefix match must be specified`,
      hint: `this rule has ${matches.length === 1 ? `one ${matches[0].path.type} match` : `${matches.length} matches`}; ReplacePrefixMatch needs to know which prefix to replace`,
    });
  }
}

function checkHeaderModifier(h: HeaderModifier, at: PathSeg[], out: Issue[]): void {
  // Gateway API: one action per header name (names are case-insensitive).
  const seen = new Map<string, string>();
  const visit = (list: 'set' | 'add' | 'remove', names: string[]) => {
    names.forEach((n, i) => {
      const k = n.toLowerCase();
      const prev = seen.get(k);
      const here: PathSeg[] = list === 'remove' ? [...at, list, i] : [...at, list, i, 'name'];
      if (prev !== undefined) {
        out.push({ path: here, code: 'duplicate', message: `header "${n}" has more than one action`, hint: `already at ${prev}; a header may be set, added or removed, once` });
      } else {
        seen.set(k, `${list}[${i}]`);
      }
    });
  };
  visit('set', (h.set ?? []).map((x) => x.name));
  visit('add', (h.add ?? []).map((x) => x.name));
  visit('remove', h.remove ?? []);
}

// --- Mesh --------------------------------------------------------------------------------------------

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, '\u00b5s': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_PART = /([0-9]+(?:\.[0-9]+)?)(ns|us|\u00b5s|ms|s|m|h)/y;

/** Go's time.ParseDuration syntax without a sign ("24h", "1h30m", "1.5h", "3600s") in milliseconds; undefined if malformed. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '') return undefined;
  let total = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < text.length) {
    const m = DURATION_PART.exec(text);
    if (m === null) return undefined;
    total += Number(m[1]) * DURATION_UNITS[m[2]];
  }
  return total;
}

/** Shorter certificates make clock skew and rotation churn dominate; longer ones outlive any sane revocation window (Istio caps at 90 days). */
export const CERTIFICATE_LIFETIME_MIN_MS = 60_000;
export const CERTIFICATE_LIFETIME_MAX_MS = 90 * 24 * 3_600_000;

function checkMesh(m: Mesh, out: Issue[]): void {
  const ct = m.spec.traffic?.connectTimeout;
  const ctMs = ct === undefined ? undefined : parseGatewayDuration(ct);
  if (ctMs !== undefined && (ctMs < 1 || ctMs > 300_000)) {
    out.push({ path: ['spec', 'traffic', 'connectTimeout'], code: 'range', message: `must be between 1ms and 5m (got ${JSON.stringify(ct)})` });
  }
  const l = m.spec.listeners;
  for (const [field, min, max, range] of [['requestHeadersTimeout', 100, 3_600_000, '100ms and 1h'], ['idleTimeout', 1000, 86_400_000, '1s and 24h']] as const) {
    const v = l?.[field];
    const ms = v === undefined ? undefined : parseGoDuration(v);
    if (ms !== undefined && (ms < min || ms > max)) {
      out.push({ path: ['spec', 'listeners', field], code: 'range', message: `must be between ${range} (got ${JSON.stringify(v)})` });
    }
  }
  const text = m.spec.certificateLifetime;
  if (text === undefined) return;
  const ms = parseGoDuration(text);
  if (ms === undefined) return; // the schema pattern already reported it
  if (ms < CERTIFICATE_LIFETIME_MIN_MS || ms > CERTIFICATE_LIFETIME_MAX_MS) {
    out.push({
      path: ['spec', 'certificateLifetime'], code: 'range',
      message: `must be between 1m and 2160h (90 days) (got ${JSON.stringify(text)})`,
      hint: 'the default is "24h"',
    });
  }
}

// --- PeerAuthentication ------------------------------------------------------------------------------

function checkPeerAuthentication(p: PeerAuthentication, out: Issue[]): void {
  const ports = p.spec.portLevelMtls;
  if (ports !== undefined) {
    // Istio: port-level settings name workload ports, which only mean something for selected workloads.
    if (p.spec.selector === undefined) {
      out.push({
        path: ['spec', 'portLevelMtls'], key: true, code: 'invalid',
        message: 'needs spec.selector: port-level settings apply only to the workloads a selector picks',
        hint: 'add spec.selector.matchLabels, or set spec.mtls.mode for the whole namespace',
      });
    }
    for (const key of Object.keys(ports)) {
      const n = Number(key);
      if (n < 1 || n > 65535) out.push({ path: ['spec', 'portLevelMtls', key], key: true, code: 'range', message: `invalid key: port must be 1..65535 (got ${key})` });
    }
  }
  if (p.metadata.namespace === ROOT_NAMESPACE && p.spec.selector !== undefined) {
    out.push({
      path: ['spec', 'selector'], key: true, code: 'invalid',
      message: `a PeerAuthentication in the root namespace ${ROOT_NAMESPACE} applies to the whole mesh and cannot have a selector`,
      hint: 'move it to the namespace of the workloads it selects',
    });
  }
}

// --- Telemetry -----------------------------------------------------------------------------------------

/** Istio lists several entries to pick providers and CLIENT/SERVER modes; weft has neither, so a second entry could only contradict the first. */
const ONE_ENTRY = {
  accessLogging: 'weft has one access log per proxy',
  tracing: 'weft has one trace exporter per proxy',
  metrics: 'weft has one metrics pipeline per proxy',
} as const;

function checkTelemetry(t: Telemetry, out: Issue[]): void {
  if (t.metadata.namespace === ROOT_NAMESPACE && t.spec.selector !== undefined) {
    out.push({
      path: ['spec', 'selector'], key: true, code: 'invalid',
      message: `a Telemetry in the root namespace ${ROOT_NAMESPACE} applies to the whole mesh and cannot have a selector`,
      hint: 'move it to the namespace of the workloads it selects',
    });
  }
  for (const [list, why] of Object.entries(ONE_ENTRY) as [keyof typeof ONE_ENTRY, string][]) {
    const items = t.spec[list] ?? [];
    if (items.length > 1) {
      out.push({ path: ['spec', list, 1], code: 'items', message: `${list} takes at most one entry (got ${items.length})`, hint: `${why}; merge the entries into one` });
    }
  }
  (t.spec.tracing ?? []).forEach((tr, i) => {
    const endpoint = tr.provider?.otlpHttp.endpoint;
    if (endpoint === undefined) return;
    const at: PathSeg[] = ['spec', 'tracing', i, 'provider', 'otlpHttp', 'endpoint'];
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      out.push({ path: at, code: 'invalid', message: `is not a valid URL (got ${JSON.stringify(endpoint)})`, hint: 'e.g. http://127.0.0.1:4318/v1/traces' });
      return;
    }
    if (url.hostname === '') {
      out.push({ path: at, code: 'invalid', message: `must name a host (got ${JSON.stringify(endpoint)})`, hint: 'e.g. http://127.0.0.1:4318/v1/traces' });
    }
    if (url.username !== '' || url.password !== '') {
      // Config is stored, diffed and printed: a password in it leaks.
      out.push({ path: at, code: 'invalid', message: 'must not contain a user name or password', hint: 'run a collector next to the mesh that adds credentials when it forwards spans' });
    }
  });
}

// --- TrafficPolicy -----------------------------------------------------------------------------------

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

function checkTrafficPolicy(p: TrafficPolicy, out: Issue[]): void {
  const lb = p.spec.loadBalancer;
  if (lb === undefined) return;
  const at = ['spec', 'loadBalancer'];
  const keys = Object.keys(lb.hashOn ?? {}).filter((k) => (lb.hashOn as Record<string, unknown>)[k] !== undefined && (lb.hashOn as Record<string, unknown>)[k] !== false);
  const hashing = lb.type === 'RING_HASH' || lb.type === 'MAGLEV';
  if (hashing && keys.length !== 1) {
    out.push({ path: [...at, 'hashOn'], at, code: keys.length === 0 ? 'required' : 'conflict', message: keys.length === 0 ? `is required for ${lb.type}: one of header, cookie, sourceIP` : `must name one key to hash, got ${keys.join(', ')}` });
  }
  if (!hashing && lb.hashOn !== undefined) out.push({ path: [...at, 'hashOn'], key: true, code: 'invalid', message: `only RING_HASH and MAGLEV hash (type is ${lb.type})`, hint: 'set type: RING_HASH or MAGLEV' });
  if (lb.ringSize !== undefined && lb.type !== 'RING_HASH') out.push({ path: [...at, 'ringSize'], key: true, code: 'invalid', message: `applies to RING_HASH only (type is ${lb.type})` });
  if (lb.tableSize !== undefined && lb.type !== 'MAGLEV') out.push({ path: [...at, 'tableSize'], key: true, code: 'invalid', message: `applies to MAGLEV only (type is ${lb.type})` });
  if (lb.tableSize !== undefined && !isPrime(lb.tableSize)) out.push({ path: [...at, 'tableSize'], code: 'invalid', message: `must be a prime number (got ${lb.tableSize})`, hint: 'e.g. 65537 (the default) or 5000011' });
  if (lb.slowStart !== undefined && hashing) out.push({ path: [...at, 'slowStart'], key: true, code: 'invalid', message: `slow start does not apply to ${lb.type} (a key's endpoint does not depend on load)` });
}
