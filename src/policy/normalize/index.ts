// Request path normalization, so that policy (authz paths, route matches) and the app agree on what a path
// names: "//admin", "/a/../admin", "/%61dmin" and "\admin" are all "/admin". Follows RFC 3986 section 6.2.2
// (decode percent-encoded unreserved characters, upper-case the remaining escapes, remove dot segments) plus
// what Envoy's http_connection_manager does with normalize_path, merge_slashes and
// path_with_escaped_slashes_action, and Istio's "BASE + MERGE_SLASHES" authorization normalization:
//   - "\" is "/" (as browsers and many servers read it);
//   - "%2F" / "%5C" (escaped "/" and "\") are rejected by default: whether they split segments depends on
//     the app, so a policy cannot know what they name;
//   - "%00", raw control characters, "#" (a fragment has no place in a request target) and malformed
//     escapes are rejected;
//   - decoding happens once: "%252e" stays "%252e" ("%25" is not unreserved, so no "%2e", hence no ".").
// Pure and synchronous. The common case (a plain path) is one scan with no allocation: the input string
// itself is returned.

export type EscapedSlashes = 'reject' | 'keep' | 'unescape';

export interface NormalizeOptions {
  /**
   * What to do with "%2F" and "%5C" (any case). "reject" (default): fail with "escaped slash in path".
   * "keep": leave them escaped (as "%2F"/"%5C"), so they do not split segments. "unescape": decode them to
   * "/" before segments are resolved (Envoy's UNESCAPE_AND_FORWARD).
   */
  escapedSlashes?: EscapedSlashes;
}

export type NormalizeResult = { ok: true; path: string } | { ok: false; reason: string };

const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const DOT = 0x2e;
const PERCENT = 0x25;
const HASH = 0x23;
const HEX = '0123456789ABCDEF';

/**
 * Normalizes `raw`, a request path without its query ("?..."). Returns the normalized path, or why the
 * path is refused (the caller answers 400). "*" (the OPTIONS request target) is returned as is.
 */
export function normalizePath(raw: string, opts?: NormalizeOptions): NormalizeResult {
  const n = raw.length;
  if (n === 0) return fail('empty path');
  const first = raw.charCodeAt(0);
  if (first !== SLASH && first !== BACKSLASH) {
    return raw === '*' ? { ok: true, path: raw } : fail('path must start with "/"');
  }
  // Fast path: one scan; anything that may change the path sends it to the slow path.
  let slow = first === BACKSLASH;
  for (let i = 0; i < n; i++) {
    const c = raw.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return fail('control character in path');
    if (c === HASH) return fail('fragment ("#") in path');
    if (c === PERCENT || c === BACKSLASH || c === 0x20 || c > 0x7e) slow = true;
    else if (c === SLASH && i + 1 < n) {
      const d = raw.charCodeAt(i + 1);
      if (d === SLASH || d === DOT || d === BACKSLASH) slow = true;
    }
  }
  if (!slow) return { ok: true, path: raw };
  return normalizeSlow(raw, opts?.escapedSlashes ?? 'reject');
}

function fail(reason: string): NormalizeResult {
  return { ok: false, reason };
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~". */
function isUnreserved(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e;
}

function escapeByte(b: number): string {
  return `%${HEX[b >> 4]}${HEX[b & 15]}`;
}

function normalizeSlow(raw: string, escapedSlashes: EscapedSlashes): NormalizeResult {
  // Pass 1: one canonical character form ("\" -> "/", escapes decoded or upper-cased, odd bytes escaped).
  let s = '';
  const n = raw.length;
  for (let i = 0; i < n; i++) {
    const c = raw.charCodeAt(i);
    if (c === BACKSLASH) {
      s += '/';
    } else if (c === PERCENT) {
      const hi = i + 2 < n ? hexValue(raw.charCodeAt(i + 1)) : -1;
      const lo = hi >= 0 ? hexValue(raw.charCodeAt(i + 2)) : -1;
      if (lo < 0) return fail('invalid percent-encoding in path');
      const b = hi * 16 + lo;
      i += 2;
      if (b === 0) return fail('encoded NUL (%00) in path');
      if (b === SLASH || b === BACKSLASH) {
        if (escapedSlashes === 'reject') return fail('escaped slash in path');
        s += escapedSlashes === 'unescape' ? '/' : escapeByte(b);
      } else if (isUnreserved(b)) {
        s += String.fromCharCode(b);
      } else {
        s += escapeByte(b);
      }
    } else if (c === 0x20 || (c > 0x7e && c <= 0xff)) {
      // Node reads the request line as latin1: one character is one byte of the path.
      s += escapeByte(c);
    } else if (c > 0xff) {
      // Only from callers that built the string themselves: escape its UTF-8 bytes, as a browser would.
      const hiSurrogate = c >= 0xd800 && c <= 0xdbff && i + 1 < n;
      const ch = hiSurrogate ? raw.slice(i, i + 2) : raw[i];
      try {
        s += encodeURIComponent(ch);
      } catch {
        return fail('invalid character in path');
      }
      if (hiSurrogate) i++;
    } else {
      s += raw[i];
    }
  }

  // Pass 2: merge slashes and resolve "." and ".." (never above the root).
  const segments = s.split('/');
  const out: string[] = [];
  let trailingSlash = false;
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i];
    const last = i === segments.length - 1;
    if (seg === '' || seg === '.') {
      trailingSlash = last;
    } else if (seg === '..') {
      out.pop();
      trailingSlash = last;
    } else {
      out.push(seg);
      trailingSlash = false;
    }
  }
  if (out.length === 0) return { ok: true, path: '/' };
  const path = `/${out.join('/')}${trailingSlash ? '/' : ''}`;
  return { ok: true, path: path === raw ? raw : path };
}
