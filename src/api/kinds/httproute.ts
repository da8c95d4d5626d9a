// HTTPRoute: the Gateway API CEL rules and weft's own, across the fields of one route.
import { isIP } from 'node:net';
import type { PathSeg } from '../errors.js';
import type { Issue } from '../source.js';
import { unique, notAnIP } from './check-helpers.js';
import { parseGatewayDuration } from '../traffic.js';
import { FAULT_REF, isFaultRef } from '../fault.js';
import type { BackendRef, HTTPRoute, HTTPRouteFilter, HTTPRouteMatch, HTTPRouteRule, HeaderModifier, ParentRef, PathModifier } from '../types.js';

export function checkHTTPRoute(r: HTTPRoute, out: Issue[]): void {
  checkRouteShape(r, 'HTTPRoutes', out);
  r.spec.rules.forEach((rule, i) => checkRule(rule, ['spec', 'rules', i], out));
}

/**
 * What HTTPRoute and GRPCRoute check alike at the route level: parents, hostnames that are names (not IPs),
 * unique rule names, and at most 128 matches over all rules (the Gateway API's limit).
 */
export function checkRouteShape(r: { spec: { parentRefs: ParentRef[]; hostnames?: string[]; rules: { name?: string; matches: unknown[] }[] } }, plural: string, out: Issue[]): void {
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
      hint: `split the route into several ${plural}`,
    });
  }
}

export function checkParentRefs(r: { spec: { parentRefs: ParentRef[] } }, out: Issue[]): void {
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
  checkTimeouts(rule, at, out);
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

/** A rule's retry backoffs and GEP-1742 timeouts (HTTPRoute's, and GRPCRoute's in weft). */
export function checkTimeouts(rule: Pick<HTTPRouteRule, 'retry' | 'timeouts'>, at: PathSeg[], out: Issue[]): void {
  const rt = rule.retry;
  if (rt?.backoff !== undefined && rt.maxBackoff !== undefined) {
    const lo = parseGatewayDuration(rt.backoff);
    const hi = parseGatewayDuration(rt.maxBackoff);
    if (lo !== undefined && hi !== undefined && hi < lo) {
      out.push({ path: [...at, 'retry', 'maxBackoff'], code: 'range', message: `must not be shorter than backoff (${rt.backoff}), got ${JSON.stringify(rt.maxBackoff)}` });
    }
  }
  // GEP-1742: one attempt cannot outlast the whole request ("0s" request = no overall limit).
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
}

/** A backendRef's group and filters; `matches` are its rule's (ReplacePrefixMatch needs them). */
export function checkBackendRef(b: BackendRef, at: PathSeg[], matches: HTTPRouteMatch[], out: Issue[]): void {
  if (b.group !== undefined && b.group !== '') {
    out.push({ path: [...at, 'group'], code: 'invalid', message: `a Service backend must have group "" (got ${JSON.stringify(b.group)})`, hint: 'or leave group out' });
  }
  if (b.filters !== undefined) checkFilters(b.filters, [...at, 'filters'], matches, out);
  (b.filters ?? []).forEach((f, i) => {
    if (f.type === 'RequestMirror') out.push({ path: [...at, 'filters', i, 'type'], code: 'unsupported-field', message: 'RequestMirror on a backendRef is not implemented by weft', hint: "put it in the rule's filters: it then mirrors every request the rule matches" });
    if (f.type === 'ExtensionRef' && isFaultRef(f)) out.push({ path: [...at, 'filters', i, 'type'], code: 'unsupported-field', message: 'a FaultInjection on a backendRef is not implemented by weft', hint: "put it in the rule's filters: it then applies to every request the rule matches" });
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

export function checkMatch(m: HTTPRouteMatch, at: PathSeg[], out: Issue[]): void {
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
  ExtensionRef: 'extensionRef',
} as const;

/** One list of filters (a rule's or a backendRef's): Gateway API CEL rules and weft's. */
export function checkFilters(filters: HTTPRouteFilter[], at: PathSeg[], matches: HTTPRouteMatch[], out: Issue[]): void {
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
    if (f.type === 'ExtensionRef' && f.extensionRef !== undefined && !isFaultRef(f)) {
      const { group, kind } = f.extensionRef;
      out.push({
        path: [...at, i, 'extensionRef', group === FAULT_REF.group ? 'kind' : 'group'], code: 'reference',
        message: `weft has no extension filter of group ${JSON.stringify(group)} and kind ${JSON.stringify(kind)}`,
        hint: `the one ExtensionRef weft implements is { group: ${FAULT_REF.group}, kind: ${FAULT_REF.kind}, name: <a FaultInjection in the route's namespace> }`,
      });
    }
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
