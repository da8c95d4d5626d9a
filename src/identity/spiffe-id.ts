// SPIFFE IDs as defined by spiffe/spiffe standards/SPIFFE-ID.md. Parsing is strict on purpose: a peer's
// identity feeds authorization, so anything a lenient URI parser would normalise (case, dot segments,
// percent-encoding, ports) is rejected instead of being guessed at.

export const SPIFFE_PREFIX = 'spiffe://';

/** The spec requires support up to 2048 bytes and says not to generate longer IDs. */
const MAX_ID_LENGTH = 2048;
/** RFC 3986 limits a host to 255 characters. */
const MAX_TRUST_DOMAIN_LENGTH = 255;
const TRUST_DOMAIN_RE = /^[a-z0-9._-]+$/;
const SEGMENT_RE = /^[A-Za-z0-9._-]+$/;

export interface ParsedSpiffeId {
  trustDomain: string;
  /** '' for a trust-domain ID (spiffe://td), else '/seg/seg...'. */
  path: string;
  /** Set only for the weft/Istio convention /ns/<namespace>/sa/<serviceAccount>. */
  namespace?: string;
  serviceAccount?: string;
}

/** Why a trust domain name is invalid, or undefined if it is valid. */
export function trustDomainProblem(td: string): string | undefined {
  if (typeof td !== 'string') return 'trust domain must be a string';
  if (td.length === 0) return 'trust domain is empty';
  if (td.length > MAX_TRUST_DOMAIN_LENGTH) return `trust domain is longer than ${MAX_TRUST_DOMAIN_LENGTH} characters`;
  if (!TRUST_DOMAIN_RE.test(td)) return `trust domain ${JSON.stringify(td)} may only contain a-z 0-9 . - _`;
  return undefined;
}

/** Why a path segment is invalid, or undefined if it is valid. */
export function segmentProblem(seg: string): string | undefined {
  if (typeof seg !== 'string') return 'path segment must be a string';
  if (seg.length === 0) return 'path segment is empty';
  if (seg === '.' || seg === '..') return `path segment ${JSON.stringify(seg)} is not allowed`;
  if (!SEGMENT_RE.test(seg)) return `path segment ${JSON.stringify(seg)} may only contain A-Z a-z 0-9 . - _`;
  return undefined;
}

/** spiffe://<td>/ns/<namespace>/sa/<serviceAccount>; throws if a component cannot appear in a SPIFFE ID. */
export function spiffeIdFor(trustDomain: string, namespace: string, serviceAccount: string): string {
  const problem =
    trustDomainProblem(trustDomain) ??
    (segmentProblem(namespace) && `namespace: ${segmentProblem(namespace)}`) ??
    (segmentProblem(serviceAccount) && `service account: ${segmentProblem(serviceAccount)}`);
  if (problem) throw new Error(`cannot build a SPIFFE ID: ${problem}`);
  const id = `${SPIFFE_PREFIX}${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
  if (id.length > MAX_ID_LENGTH) throw new Error(`cannot build a SPIFFE ID: longer than ${MAX_ID_LENGTH} bytes`);
  return id;
}

/**
 * Parses a SPIFFE ID, returning undefined for anything the spec does not allow: another scheme (the scheme is
 * matched case-sensitively, as the reference libraries do), an empty or upper-case trust domain, userinfo,
 * port, query, fragment, percent-encoding, empty segments (including a trailing slash) and dot segments.
 */
export function parseSpiffeId(id: string): ParsedSpiffeId | undefined {
  if (typeof id !== 'string' || id.length > MAX_ID_LENGTH || !id.startsWith(SPIFFE_PREFIX)) return undefined;
  const rest = id.slice(SPIFFE_PREFIX.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash < 0 ? rest : rest.slice(0, slash);
  // The character set excludes ':', '@', '?', '#' and '%', so port, userinfo, query, fragment and
  // percent-encoding all fail here or in the segment check below.
  if (trustDomainProblem(trustDomain)) return undefined;
  if (slash < 0) return { trustDomain, path: '' };
  const path = rest.slice(slash);
  const segments = path.slice(1).split('/');
  for (const seg of segments) if (segmentProblem(seg)) return undefined;
  const parsed: ParsedSpiffeId = { trustDomain, path };
  if (segments.length === 4 && segments[0] === 'ns' && segments[2] === 'sa') {
    parsed.namespace = segments[1];
    parsed.serviceAccount = segments[3];
  }
  return parsed;
}
