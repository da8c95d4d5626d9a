// Per-request matching over a table compileRoutes sorted by precedence: the first route whose match accepts
// the request wins. Hot path: no regex compilation, no sorting, no closures, and no string allocation
// unless a query parameter is percent-encoded or a regex needs the value as a string.

import { PathKind, type CompiledHeaderMatch, type CompiledQueryMatch, type CompiledRoute } from './compile.js';

export type RequestHeaders = Record<string, string | string[] | undefined>;

/**
 * The highest-precedence route matching the request, or undefined (answer 404).
 * `path` is the request path without the query; `query` the raw query without "?" ('' when none);
 * `headers` has lower-case names (Node's IncomingHttpHeaders).
 * Paths are compared as they arrive (case-sensitive, not percent-decoded); normalise them before calling.
 */
export function matchRoute(
  routes: readonly CompiledRoute[],
  method: string,
  path: string,
  query: string,
  headers: RequestHeaders,
): CompiledRoute | undefined {
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i]!;
    if (r.method !== null && r.method !== method) continue;
    if (!pathMatches(r, path)) continue;
    if (!headersMatch(r.headers, headers)) continue;
    if (!queryMatches(r.query, query)) continue;
    return r;
  }
  return undefined;
}

function pathMatches(r: CompiledRoute, path: string): boolean {
  switch (r.pathKind) {
    case PathKind.Exact:
      return path === r.path;
    case PathKind.Prefix:
      return prefixMatches(r.path, path);
    default:
      return r.pathRegex!.test(path);
  }
}

/**
 * Element-wise prefix: `prefix` is already without its trailing "/" ("" for "/"). "/foo" matches "/foo",
 * "/foo/" and "/foo/bar", not "/foobar".
 */
export function prefixMatches(prefix: string, path: string): boolean {
  const n = prefix.length;
  if (n === 0) return true;
  return path.startsWith(prefix) && (path.length === n || path.charCodeAt(n) === 47 /* / */);
}

/** Whether every header match accepts the request's headers (route matches, and a fault's `match`). */
export function headersMatch(ms: readonly CompiledHeaderMatch[], headers: RequestHeaders): boolean {
  for (let i = 0; i < ms.length; i++) {
    const m = ms[i]!;
    const v = headers[m.name];
    if (v === undefined) return false;
    if (typeof v === 'string') {
      if (m.exact !== null ? v !== m.exact : !m.regex!.test(v)) return false;
    } else if (m.exact !== null) {
      // A repeated header matches an Exact value when any one of its values equals it.
      if (!v.includes(m.exact)) return false;
    } else if (!m.regex!.test(v.join(','))) {
      // ... and a regex against the values combined as one field (RFC 9110 5.3).
      return false;
    }
  }
  return true;
}

function queryMatches(ms: readonly CompiledQueryMatch[], query: string): boolean {
  for (let i = 0; i < ms.length; i++) if (!queryParamMatches(ms[i]!, query)) return false;
  return true;
}

/**
 * Finds the first parameter whose decoded name equals m.name (names and values are case-sensitive;
 * "%XX" and "+" are decoded) and tests its decoded value. Later occurrences are ignored, as the spec recommends.
 */
function queryParamMatches(m: CompiledQueryMatch, q: string): boolean {
  const len = q.length;
  let i = 0;
  while (i < len) {
    let amp = q.indexOf('&', i);
    if (amp < 0) amp = len;
    if (amp > i) {
      let eq = q.indexOf('=', i);
      if (eq < 0 || eq > amp) eq = amp;
      if (segmentEquals(q, i, eq, m.name)) {
        const vs = eq < amp ? eq + 1 : amp;
        if (m.exact !== null) return segmentEquals(q, vs, amp, m.exact);
        return m.regex!.test(decodeSegment(q, vs, amp));
      }
    }
    i = amp + 1;
  }
  return false;
}

/** Whether q[start, end) has a "%" or "+" and so must be decoded before comparing. */
function isEncoded(q: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = q.charCodeAt(i);
    if (c === 37 /* % */ || c === 43 /* + */) return true;
  }
  return false;
}

function segmentEquals(q: string, start: number, end: number, want: string): boolean {
  if (!isEncoded(q, start, end)) return end - start === want.length && q.startsWith(want, start);
  return decodeSegment(q, start, end) === want;
}

function decodeSegment(q: string, start: number, end: number): string {
  const raw = q.slice(start, end);
  if (!isEncoded(raw, 0, raw.length)) return raw;
  const spaced = raw.replaceAll('+', ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    // Malformed "%" escapes: compare what was sent rather than failing the request.
    return spaced;
  }
}
