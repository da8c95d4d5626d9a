// Gateway API HTTPRoute filters, compiled once per (route match, backend) when config arrives.
// Per request the proxy only walks short precompiled arrays: header names are already lower-case and the
// prefix to strip for ReplacePrefixMatch is already a length.

import type { HTTPRouteFilter, HeaderModifier, PathMatch, PathModifier } from '../../../api/types.js';
import { isFaultRef } from '../../../api/fault.js';

/** Request or response headers with lower-case names (Node's IncomingHttpHeaders / OutgoingHttpHeaders shape). */
export type HeaderMap = Record<string, string | string[] | undefined>;

export interface CompiledHeaderModifier {
  readonly setNames: readonly string[];
  readonly setValues: readonly string[];
  readonly addNames: readonly string[];
  readonly addValues: readonly string[];
  readonly remove: readonly string[];
}

export interface CompiledPathModifier {
  readonly full: boolean;
  /** ReplaceFullPath: the new path. ReplacePrefixMatch: the replacement with its trailing "/" removed. */
  readonly value: string;
  /**
   * ReplacePrefixMatch: how many leading characters of a matching request path are the matched prefix
   * (the PathPrefix value without its trailing "/"). -1 when the match has no prefix to replace (a
   * RegularExpression path; the API rejects that combination) and the path is then left unchanged.
   */
  readonly prefixLen: number;
}

export interface CompiledRewrite {
  readonly hostname: string | null;
  readonly path: CompiledPathModifier | null;
}

export interface CompiledRedirect {
  readonly scheme: 'http' | 'https' | null;
  readonly hostname: string | null;
  readonly port: number | null;
  readonly path: CompiledPathModifier | null;
  readonly statusCode: number;
}

/**
 * Everything one request needs from its filters: the rule's filters followed by the chosen backend's.
 * Header modifiers run in that order; for URLRewrite (hostname and path separately) and RequestRedirect,
 * which are computed from the original request, the last one given wins, i.e. the backend's over the rule's.
 */
export interface FilterChain {
  readonly requestHeaders: readonly CompiledHeaderModifier[];
  readonly responseHeaders: readonly CompiledHeaderModifier[];
  readonly rewrite: CompiledRewrite | null;
  readonly redirect: CompiledRedirect | null;
  /**
   * A filter type weft does not implement (RequestMirror, CORS, ExtensionRef, ...). The spec says such a filter
   * must not be skipped silently: requests it would have processed get an error (answer 500), naming it.
   */
  readonly unsupported: string | null;
  /** True when applyRequestFilters would change nothing, so the caller can skip it. */
  readonly requestNoop: boolean;
  /**
   * applyResponseFilters bound to this chain, made once here so a request can hand it on (Ctx.onResponseHeaders)
   * without allocating a closure; null when there are no response filters.
   */
  readonly onResponseHeaders: ((headers: HeaderMap) => void) | null;
}

export const EMPTY_CHAIN: FilterChain = Object.freeze({
  requestHeaders: [],
  responseHeaders: [],
  rewrite: null,
  redirect: null,
  unsupported: null,
  requestNoop: true,
  onResponseHeaders: null,
});

function compileHeaderModifier(m: HeaderModifier): CompiledHeaderModifier {
  // Header names are case-insensitive; requests carry them lower-case, so compare and write lower-case.
  return {
    setNames: (m.set ?? []).map((h) => h.name.toLowerCase()),
    setValues: (m.set ?? []).map((h) => h.value),
    addNames: (m.add ?? []).map((h) => h.name.toLowerCase()),
    addValues: (m.add ?? []).map((h) => h.value),
    remove: (m.remove ?? []).map((n) => n.toLowerCase()),
  };
}

/** The length of a PathPrefix value as matched: a trailing "/" is ignored, so "/" is the empty prefix. */
export function prefixLength(value: string): number {
  return value.endsWith('/') ? value.length - 1 : value.length;
}

function compilePathModifier(p: PathModifier, match: PathMatch): CompiledPathModifier {
  if (p.type === 'ReplaceFullPath') return { full: true, value: p.replaceFullPath, prefixLen: -1 };
  const r = p.replacePrefixMatch;
  // Exact matches the whole path, so replacing it as a prefix is well defined even though the API only allows
  // ReplacePrefixMatch with PathPrefix; a regex has no literal prefix to replace.
  const prefixLen = match.type === 'RegularExpression' ? -1 : prefixLength(match.value);
  return { full: false, value: r.endsWith('/') ? r.slice(0, -1) : r, prefixLen };
}

/**
 * The path a path modifier gives for `path`, which must be a path the route's match accepted. Element-wise:
 * prefix "/foo" with replacement "/xyz" turns "/foo/bar" into "/xyz/bar"; with "/" or "" it gives "/bar",
 * and "/foo" becomes "/" (the spec's ReplacePrefixMatch table).
 */
export function rewritePath(m: CompiledPathModifier, path: string): string {
  if (m.full) return m.value;
  if (m.prefixLen < 0) return path;
  // The match guarantees what follows the prefix is "" or starts with "/".
  const rest = m.prefixLen === 0 ? path : path.slice(m.prefixLen);
  const out = m.value + rest;
  return out === '' ? '/' : out.charCodeAt(0) === 47 /* / */ ? out : '/' + out;
}

/**
 * Compiles rule filters (and, for a backend, the rule's followed by the backend's) for one route match.
 * Only the typed filter kinds are understood; anything else is recorded in `unsupported`.
 */
export function compileFilterChain(filters: readonly HTTPRouteFilter[], match: PathMatch): FilterChain {
  if (filters.length === 0) return EMPTY_CHAIN;
  const requestHeaders: CompiledHeaderModifier[] = [];
  const responseHeaders: CompiledHeaderModifier[] = [];
  let hostname: string | null = null;
  let rewritePathMod: CompiledPathModifier | null = null;
  let hasRewrite = false;
  let redirect: CompiledRedirect | null = null;
  let unsupported: string | null = null;
  for (const f of filters) {
    switch (f.type) {
      case 'RequestHeaderModifier':
        requestHeaders.push(compileHeaderModifier(f.requestHeaderModifier));
        break;
      case 'ResponseHeaderModifier':
        responseHeaders.push(compileHeaderModifier(f.responseHeaderModifier));
        break;
      case 'URLRewrite':
        hasRewrite = true;
        if (f.urlRewrite.hostname !== undefined) hostname = f.urlRewrite.hostname;
        if (f.urlRewrite.path !== undefined) rewritePathMod = compilePathModifier(f.urlRewrite.path, match);
        break;
      case 'RequestMirror':
        // Resolved by the control plane into the route entry's `mirrors` (the mirror layer sends the copies).
        break;
      case 'ExtensionRef':
        // A FaultInjection is resolved by the control plane into the route entry's `fault` (the fault layer
        // runs it); any other extension is one weft does not have.
        if (!isFaultRef(f)) unsupported ??= `ExtensionRef ${f.extensionRef.group}/${f.extensionRef.kind}`;
        break;
      case 'RequestRedirect': {
        const r = f.requestRedirect;
        redirect = {
          scheme: r.scheme ?? null,
          hostname: r.hostname ?? null,
          port: r.port ?? null,
          path: r.path ? compilePathModifier(r.path, match) : null,
          statusCode: r.statusCode ?? 302,
        };
        break;
      }
      default:
        unsupported ??= String((f as { type?: unknown }).type);
    }
  }
  const rewrite = hasRewrite && (hostname !== null || rewritePathMod !== null) ? { hostname, path: rewritePathMod } : null;
  const chain: FilterChain = {
    requestHeaders,
    responseHeaders,
    rewrite,
    redirect,
    unsupported,
    requestNoop: requestHeaders.length === 0 && rewrite === null,
    onResponseHeaders: responseHeaders.length === 0 ? null : (headers) => applyResponseFilters(chain, headers),
  };
  return chain;
}

/** Applies one RequestHeaderModifier / ResponseHeaderModifier to lower-case-keyed headers, in place. */
export function applyHeaderModifier(m: CompiledHeaderModifier, headers: HeaderMap): void {
  const { setNames, setValues, addNames, addValues, remove } = m;
  for (let i = 0; i < setNames.length; i++) headers[setNames[i]!] = setValues[i]!;
  for (let i = 0; i < addNames.length; i++) {
    const name = addNames[i]!;
    const value = addValues[i]!;
    const cur = headers[name];
    // "add" appends to the existing values: "foo" + "bar,baz" -> "foo,bar,baz". Set-Cookie cannot be
    // comma-joined, so it (and anything already held as a list) stays a list; the original array is not mutated
    // because it may still be shared with the incoming message.
    if (cur === undefined) headers[name] = value;
    else if (Array.isArray(cur)) headers[name] = cur.concat(value);
    else if (name === 'set-cookie') headers[name] = [cur, value];
    else headers[name] = cur + ',' + value;
  }
  for (let i = 0; i < remove.length; i++) delete headers[remove[i]!];
}

/**
 * Request-side filters for a request the route matched: header modifiers in order, then URLRewrite (a new
 * hostname is written to `host`). Returns the path to forward (the same string when unchanged); the caller
 * keeps the query string as it was.
 */
export function applyRequestFilters(chain: FilterChain, headers: HeaderMap, path: string): string {
  if (chain.requestNoop) return path;
  const mods = chain.requestHeaders;
  for (let i = 0; i < mods.length; i++) applyHeaderModifier(mods[i]!, headers);
  const rw = chain.rewrite;
  if (rw === null) return path;
  if (rw.hostname !== null) headers.host = rw.hostname;
  return rw.path === null ? path : rewritePath(rw.path, path);
}

/** Response-side filters (ResponseHeaderModifier), on the upstream response headers before they go downstream. */
export function applyResponseFilters(chain: FilterChain, headers: HeaderMap): void {
  const mods = chain.responseHeaders;
  for (let i = 0; i < mods.length; i++) applyHeaderModifier(mods[i]!, headers);
}

/** What a redirect needs to know about the request. */
export interface RedirectRequest {
  /** "http" or "https": the scheme the client used. */
  scheme: string;
  /** The Host header (or absolute-form authority), with or without a port. */
  authority: string;
  path: string;
  /** Raw query without "?"; '' when none. Kept in the Location. */
  query: string;
  /** The listener's port; when omitted, the port in `authority`, else the request scheme's well-known port. */
  listenerPort?: number;
}

function wellKnownPort(scheme: string): number | undefined {
  return scheme === 'http' ? 80 : scheme === 'https' ? 443 : undefined;
}

/** Splits "host:port", "[v6]:port", "host" into host (brackets kept for IPv6) and port (NaN when absent). */
function splitAuthority(authority: string): { host: string; port: number } {
  if (authority.charCodeAt(0) === 91 /* [ */) {
    const close = authority.indexOf(']');
    if (close < 0) return { host: authority, port: NaN };
    const port = authority.charCodeAt(close + 1) === 58 /* : */ ? Number(authority.slice(close + 2)) : NaN;
    return { host: authority.slice(0, close + 1), port };
  }
  const colon = authority.indexOf(':');
  if (colon < 0 || authority.indexOf(':', colon + 1) >= 0) return { host: authority, port: NaN };
  return { host: authority.slice(0, colon), port: Number(authority.slice(colon + 1)) };
}

/**
 * The RequestRedirect response for a request (Gateway API HTTPRequestRedirectFilter):
 * scheme defaults to the request's; hostname to the request's Host without its port; the port is the
 * filter's, else the redirect scheme's well-known port when the filter sets a scheme, else the listener's.
 * The port is left out of Location when it is the well-known port of the resulting scheme (http 80, https 443).
 * The path modifier works as in URLRewrite; the query string is kept.
 */
export function computeRedirect(r: CompiledRedirect, req: RedirectRequest): { statusCode: number; location: string } {
  const { host: reqHost, port: hostPort } = splitAuthority(req.authority);
  const scheme = r.scheme ?? req.scheme;
  let port: number | undefined;
  if (r.port !== null) port = r.port;
  else if (r.scheme !== null) port = wellKnownPort(r.scheme) ?? req.listenerPort;
  else port = req.listenerPort ?? (Number.isInteger(hostPort) ? hostPort : wellKnownPort(req.scheme));
  const hostname = r.hostname ?? reqHost;
  const path = r.path === null ? req.path : rewritePath(r.path, req.path);
  const showPort = port !== undefined && port !== wellKnownPort(scheme);
  const location =
    scheme + '://' + hostname + (showPort ? ':' + port : '') + path + (req.query === '' ? '' : '?' + req.query);
  return { statusCode: r.statusCode, location };
}
