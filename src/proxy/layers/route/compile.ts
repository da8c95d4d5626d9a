// Turns the snapshot's unsorted RouteEntry lists into what per-request matching needs, once per config:
// entries sorted by Gateway API precedence, regexes compiled, header names lower-cased, filters and the
// weighted backend split precompiled. Also the gateway's virtual-host (Host header) lookup.

import { compileLinear } from '../../../util/linear-regexp.js';
import type { BackendSnap, RouteEntry, VirtualHostSnap } from '../../../api/snapshot.js';
import type { RetrySnap } from '../../../api/traffic.js';
import { compileFilterChain, prefixLength, type FilterChain } from './filters.js';
import { WeightedPicker } from './split.js';
import type { CompiledFault } from '../fault/layer.js';

/** A bad route in an otherwise acceptable snapshot (e.g. an invalid regex): names the route, rule and match. */
export class RouteCompileError extends Error {
  readonly code = 'route-invalid';
  constructor(
    readonly route: string,
    readonly rule: number,
    readonly match: number,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`route ${route} rule ${rule} match ${match}: ${detail}`, options);
  }
}

export const PathKind = { Exact: 0, Prefix: 1, Regex: 2 } as const;
export type PathKind = (typeof PathKind)[keyof typeof PathKind];

export interface CompiledHeaderMatch {
  /** Lower-case. */
  readonly name: string;
  /** Exact value, or null for a regex. */
  readonly exact: string | null;
  readonly regex: RegExp | null;
}

export interface CompiledQueryMatch {
  readonly name: string;
  readonly exact: string | null;
  readonly regex: RegExp | null;
}

/** A backend as chosen per request: the snapshot's backend and the filters to run (rule's, then backend's). */
export interface CompiledBackend {
  readonly snap: BackendSnap;
  /** ClusterSnap.name, or null when the backendRef did not resolve (answer 500 backend-not-found). */
  readonly cluster: string | null;
  readonly weight: number;
  readonly filters: FilterChain;
}

/** One RouteEntry (one match of one rule) ready for matching. */
export class CompiledRoute {
  readonly entry: RouteEntry;
  /** "<namespace>/<name>" of the HTTPRoute (or "default"): lets the route itself be the Ctx's RouteDecision. */
  readonly name: string;
  readonly pathKind: PathKind;
  /** Exact: the path. Prefix: the value without its trailing "/" ("" for "/"). Regex: the source. */
  readonly path: string;
  readonly pathRegex: RegExp | null;
  readonly method: string | null;
  readonly headers: readonly CompiledHeaderMatch[];
  readonly query: readonly CompiledQueryMatch[];
  /** The rule's own filters (what applies when no backend is involved: a rule-level RequestRedirect). */
  readonly filters: FilterChain;
  readonly backends: WeightedPicker<CompiledBackend>;
  /** The rule's retry policy (the retry layer reads it through the Ctx's RouteDecision). */
  readonly retry: RetrySnap | undefined;
  readonly mirrors: RouteEntry['mirrors'];
  /** The rule's fault injection (the fault layer reads it through the Ctx's RouteDecision); null: none. */
  readonly fault: CompiledFault | null;

  constructor(entry: RouteEntry) {
    this.entry = entry;
    this.name = entry.route;
    this.retry = entry.retry;
    this.mirrors = entry.mirrors;
    const m = entry.match;
    const where = (detail: string, cause?: unknown): RouteCompileError =>
      new RouteCompileError(entry.route, entry.rule, entry.order.match, detail, cause === undefined ? undefined : { cause });
    const path = m.path ?? { type: 'PathPrefix', value: '/' };
    switch (path.type) {
      case 'Exact':
        this.pathKind = PathKind.Exact;
        this.path = path.value;
        this.pathRegex = null;
        break;
      case 'PathPrefix':
        this.pathKind = PathKind.Prefix;
        this.path = path.value.slice(0, prefixLength(path.value));
        this.pathRegex = null;
        break;
      case 'RegularExpression':
        this.pathKind = PathKind.Regex;
        this.path = path.value;
        this.pathRegex = fullMatch(path.value, (e) => where(`path regular expression ${JSON.stringify(path.value)}: ${e.message}`, e));
        break;
      default:
        throw where(`unsupported path match type ${JSON.stringify((path as { type: unknown }).type)}`);
    }
    this.method = m.method ?? null;
    this.headers = compileValueMatches(m.headers, true, (what, e) => where(`header ${what}`, e));
    this.query = compileValueMatches(m.queryParams, false, (what, e) => where(`query parameter ${what}`, e));
    const fs = entry.fault;
    this.fault = fs === undefined ? null : {
      ref: fs.ref,
      missing: fs.missing === true,
      headers: compileValueMatches(fs.headers, true, (what, e) => where(`fault ${fs.ref} header ${what}`, e)),
      delayMs: fs.delay?.ms ?? 0,
      delayPercent: fs.delay?.percent ?? 0,
      abortPercent: fs.abort?.percent ?? 0,
      httpStatus: fs.abort?.httpStatus,
      grpcStatus: fs.abort?.grpcStatus,
    };
    this.filters = compileFilterChain(entry.filters, path);
    const ruleFilters = entry.filters;
    const backends: CompiledBackend[] = entry.backends.map((b) => ({
      snap: b,
      cluster: b.cluster,
      weight: b.weight,
      filters: b.filters.length === 0 ? this.filters : compileFilterChain([...ruleFilters, ...b.filters], path),
    }));
    this.backends = new WeightedPicker(backends, (b) => b.weight);
  }

  /** Weighted backend choice; undefined when the rule has no backend with weight > 0 (answer 500). No allocation. */
  pick(rand: number): CompiledBackend | undefined {
    return this.backends.pick(rand);
  }
}

/**
 * Gateway API regexes are matched against the whole value (as Envoy's RE2 full match does), so anchor them.
 * The dialect is JavaScript's RegExp, without flags, limited to what runs in linear time (src/util/linear-regexp.ts).
 */
function fullMatch(source: string, onError: (e: Error) => Error): RegExp {
  try {
    return compileLinear(`^(?:${source})$`);
  } catch (e) {
    throw onError(e as Error);
  }
}

function compileValueMatches(
  list: readonly { type: 'Exact' | 'RegularExpression'; name: string; value: string }[] | undefined,
  caseInsensitiveName: boolean,
  where: (what: string, cause?: unknown) => Error,
): CompiledQueryMatch[] {
  if (!list || list.length === 0) return [];
  const out: CompiledQueryMatch[] = [];
  const seen = new Set<string>();
  for (const h of list) {
    const name = caseInsensitiveName ? h.name.toLowerCase() : h.name;
    // Spec: when several entries name the same header/param, only the first counts; the rest are ignored.
    if (seen.has(name)) continue;
    seen.add(name);
    if (h.type === 'Exact') out.push({ name, exact: h.value, regex: null });
    else if (h.type === 'RegularExpression') {
      out.push({ name, exact: null, regex: fullMatch(h.value, (e) => where(`${h.name}: regular expression ${JSON.stringify(h.value)}: ${e.message}`, e)) });
    } else throw where(`${h.name}: unsupported match type ${JSON.stringify((h as { type: unknown }).type)}`);
  }
  return out;
}

// ---- precedence ----

/*
 * Gateway API (HTTPRouteRule.matches): across all rules of all applicable routes, precedence goes to the match
 * having, in order, continuing on ties:
 *   "Exact" path match; "Prefix" path match with largest number of characters; method match;
 *   largest number of header matches; largest number of query param matches;
 * then the oldest route by creation timestamp; then the route first in alphabetical order by
 * "{namespace}/{name}"; then, within a route, the first rule in list order (and here, the first match in it).
 *
 * RegularExpression path precedence is implementation-specific. weft ranks it after Exact and before every
 * PathPrefix, and does not rank regexes by length: a prefix is usually a catch-all ("/"), and a regex after it
 * would never be reached. Contour, NGINX Gateway Fabric, Envoy Gateway and kgateway chose the same order
 * (gateway-api issues #1770 and #2974). Among regexes the remaining criteria (method, headers, ...) decide.
 *
 * Prefix length is counted without the trailing "/", which the spec says is ignored ("/foo/" == "/foo").
 */
const PATH_RANK = [3 /* Exact */, 1 /* Prefix */, 2 /* Regex */] as const;

/*
 * GRPCRoute (GRPCRouteRule.matches) orders its own way: after the hostname (the virtual host decides that),
 * precedence goes to the largest number of characters in a matching service, then in a matching method, then
 * the largest number of header matches; then the same route and rule tie-breakers as HTTPRoute. Merging with
 * HTTPRoutes is not allowed, so a table normally holds one kind; if it holds both, GRPCRoute entries come
 * first (GEP-1426's order of route kinds).
 *
 * A RegularExpression service or method has no character count in the spec (its support is implementation-
 * specific). weft ranks a pattern after every exact name and before no name at all, as it ranks path regexes
 * between Exact and the catch-all: a pattern scored 0 would tie with, and so lose to, an older catch-all.
 */
interface SortKey {
  r: CompiledRoute;
  /** 1 for a GRPCRoute entry. */
  grpc: number;
  pathRank: number;
  pathLen: number;
  method: number;
  headers: number;
  query: number;
  /** GRPCRoute: characters of an Exact service (0: none, or a pattern), whether it is a pattern; the same for the method. */
  service: number;
  servicePattern: number;
  grpcMethod: number;
  grpcMethodPattern: number;
  created: number;
}

function keyOf(r: CompiledRoute): SortKey {
  const created = Date.parse(r.entry.order.created);
  const g = r.entry.grpc;
  const gm = g?.method;
  const exact = gm !== undefined && (gm.type ?? 'Exact') === 'Exact';
  return {
    r,
    grpc: g === undefined ? 0 : 1,
    pathRank: PATH_RANK[r.pathKind],
    pathLen: r.pathKind === PathKind.Regex ? 0 : r.path.length,
    method: r.method === null ? 0 : 1,
    headers: r.headers.length,
    query: r.query.length,
    service: exact ? (gm.service?.length ?? 0) : 0,
    servicePattern: !exact && gm?.service !== undefined ? 1 : 0,
    grpcMethod: exact ? (gm.method?.length ?? 0) : 0,
    grpcMethodPattern: !exact && gm?.method !== undefined ? 1 : 0,
    // A route without a usable timestamp sorts as the newest, after every route that has one.
    created: Number.isNaN(created) ? Infinity : created,
  };
}

function byMatch(a: SortKey, b: SortKey): number {
  if (a.grpc !== b.grpc) return b.grpc - a.grpc;
  if (a.grpc === 1) {
    return (
      b.service - a.service ||
      b.servicePattern - a.servicePattern ||
      b.grpcMethod - a.grpcMethod ||
      b.grpcMethodPattern - a.grpcMethodPattern ||
      b.headers - a.headers
    );
  }
  return (
    b.pathRank - a.pathRank ||
    b.pathLen - a.pathLen ||
    b.method - a.method ||
    b.headers - a.headers ||
    b.query - a.query
  );
}

function byPrecedence(a: SortKey, b: SortKey): number {
  return (
    byMatch(a, b) ||
    (a.created < b.created ? -1 : a.created > b.created ? 1 : 0) ||
    // Code-unit order, not localeCompare: precedence must not depend on the machine's locale.
    (a.r.entry.route < b.r.entry.route ? -1 : a.r.entry.route > b.r.entry.route ? 1 : 0) ||
    a.r.entry.rule - b.r.entry.rule ||
    a.r.entry.order.match - b.r.entry.order.match
  );
}

/**
 * Compiles and sorts one route table (a service port's or a virtual host's). The first CompiledRoute that
 * matches a request is the one Gateway API precedence selects. Throws RouteCompileError for an invalid entry,
 * so a bad snapshot is rejected whole and the last good table stays in use.
 */
export function compileRoutes(entries: readonly RouteEntry[]): CompiledRoute[] {
  const keys = entries.map((e) => keyOf(new CompiledRoute(e)));
  keys.sort(byPrecedence);
  return keys.map((k) => k.r);
}

// ---- virtual hosts ----

export interface CompiledVirtualHosts {
  /** Lower-case exact domains. */
  readonly exact: ReadonlyMap<string, CompiledRoute[]>;
  /** "*.example.com" as suffix ".example.com", longest first. */
  readonly wildcards: readonly { readonly suffix: string; readonly routes: CompiledRoute[] }[];
  /** The "*" virtual host, if any. */
  readonly any: CompiledRoute[] | undefined;
}

export function compileVirtualHosts(vhosts: readonly VirtualHostSnap[]): CompiledVirtualHosts {
  const exact = new Map<string, CompiledRoute[]>();
  const wildcards: { suffix: string; routes: CompiledRoute[] }[] = [];
  const seenSuffix = new Set<string>();
  let any: CompiledRoute[] | undefined;
  for (const vh of vhosts) {
    const routes = compileRoutes(vh.routes);
    for (const raw of vh.domains) {
      const d = stripTrailingDot(raw.toLowerCase());
      // A domain listed twice keeps its first virtual host (the snapshot lists the most specific first).
      if (d === '*') any ??= routes;
      else if (d.startsWith('*.')) {
        const suffix = d.slice(1);
        if (seenSuffix.has(suffix)) continue;
        seenSuffix.add(suffix);
        wildcards.push({ suffix, routes });
      } else if (!exact.has(d)) exact.set(d, routes);
    }
  }
  // Longest wildcard first: "*.a.example.com" beats "*.example.com". Array.sort is stable for equal lengths.
  wildcards.sort((a, b) => b.suffix.length - a.suffix.length);
  return { exact, wildcards, any };
}

function stripTrailingDot(h: string): string {
  return h.length > 1 && h.charCodeAt(h.length - 1) === 46 /* . */ ? h.slice(0, -1) : h;
}

/**
 * The Host header as matched against domains: port removed ("a.example.com:8080", "[::1]:80" -> "[::1]"),
 * a trailing "." removed, lower-cased.
 */
export function normalizeHost(host: string): string {
  let end = host.length;
  if (host.charCodeAt(0) === 91 /* [ */) {
    const close = host.indexOf(']');
    if (close >= 0) end = close + 1;
  } else {
    const colon = host.indexOf(':');
    // More than one ":" is a bare IPv6 address, which has no port to strip.
    if (colon >= 0 && host.indexOf(':', colon + 1) < 0) end = colon;
  }
  if (end > 1 && host.charCodeAt(end - 1) === 46 /* . */) end--;
  return (end === host.length ? host : host.slice(0, end)).toLowerCase();
}

/**
 * The route table for a request's Host: an exact domain, else the longest matching wildcard ("*.example.com"
 * matches "a.example.com" and "a.b.example.com", never "example.com"), else "*". Undefined: answer 404.
 */
export function selectVirtualHost(c: CompiledVirtualHosts, host: string): CompiledRoute[] | undefined {
  const h = normalizeHost(host);
  const e = c.exact.get(h);
  if (e !== undefined) return e;
  const w = c.wildcards;
  for (let i = 0; i < w.length; i++) {
    const s = w[i]!.suffix;
    // Longer than the suffix, so at least one label stands in for "*".
    if (h.length > s.length && h.endsWith(s)) return w[i]!.routes;
  }
  return c.any;
}
