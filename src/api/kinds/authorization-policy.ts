// AuthorizationPolicy: the one validator of what the schema (src/api/schemas.ts) cannot say, and the value
// syntax and condition-key table that the authorization engine (src/policy/authz) compiles with. The engine
// takes policies that passed here and does not validate them again; it only asserts, cheaply, what would
// otherwise change a decision silently (src/policy/authz/compile.ts).

import type { PathSeg } from '../errors.js';
import { cidrProblem } from '../ip.js';
import { HTTP_METHODS } from '../schemas.js';
import type { Issue } from '../source.js';
import type { AuthorizationPolicy, AuthzCondition, AuthzOperation, AuthzSource } from '../types.js';

// --- value syntax ---------------------------------------------------------------------------------------

/** Istio value matching: exact, "prefix*", "*suffix", or "*" (present, non-empty). A "*" anywhere else is a mistake. */
export function wildcardProblem(v: string): string | undefined {
  const stars = v.split('*').length - 1;
  if (stars === 0 || v === '*') return undefined;
  if (stars === 1 && (v.startsWith('*') || v.endsWith('*'))) return undefined;
  return `"*" may only be the whole value, its first character (suffix match) or its last (prefix match) (got ${JSON.stringify(v)})`;
}

/** ports, notPorts and destination.port values: a port number written as a string. */
export function portProblem(v: string): string | undefined {
  const n = Number(v);
  return /^[0-9]{1,5}$/.test(v) && n >= 1 && n <= 65535 ? undefined : `must be a port number 1..65535 (got ${JSON.stringify(v)})`;
}

const UNRESERVED_ESCAPE = /%(?:2[dDeE]|3[0-9]|[46][1-9a-fA-F]|[57][0-9aA]|5[fF]|7[eE])/;

/** Request paths are matched after normalization (src/policy/normalize): a value that normalization would change never matches. */
function pathProblem(v: string): { message: string; hint?: string } | undefined {
  if (v.includes('{') || v.includes('}')) return { message: 'path templates ("{*}", "{**}") are not implemented', hint: 'use a prefix ("/api/*") or suffix ("*.html") match' };
  const w = wildcardProblem(v);
  if (w !== undefined) return { message: w };
  if (v === '*' || v.startsWith('*')) return undefined; // suffix matches need not start with "/"
  const body = v.endsWith('*') ? v.slice(0, -1) : v;
  if (!body.startsWith('/')) return { message: `must start with "/" (got ${JSON.stringify(v)})`, hint: `did you mean "/${v}"?` };
  if (body.includes('?') || body.includes('#')) return { message: 'must not contain a query or fragment: paths are matched without them' };
  if (body.includes('\\') || body.includes('//') || body.includes('/./') || body.includes('/../') || /\/\.\.?$/.test(body)) {
    return { message: `is not a normalized path, so no request can match it (got ${JSON.stringify(v)})`, hint: 'requests are matched after "\\" becomes "/", "//" is merged and "." and ".." segments are resolved' };
  }
  if (UNRESERVED_ESCAPE.test(body)) {
    return { message: `must not percent-encode letters, digits or "-._~" (got ${JSON.stringify(v)})`, hint: 'requests are matched after such escapes are decoded: write the character itself' };
  }
  if (/%(?![0-9A-F]{2})/.test(body)) return { message: `percent-escapes must be "%" and two upper-case hex digits (got ${JSON.stringify(v)})`, hint: 'requests are matched with escapes in upper case' };
  if (/[\u0000-\u0020\u007f-\uffff]/.test(body)) return { message: 'must not contain spaces, control or non-ASCII characters', hint: 'percent-encode them ("%20")' };
  return undefined;
}

/** Methods are case-sensitive: "get" would silently never match. */
function methodProblem(v: string): string | { message: string; hint: string } | undefined {
  const w = wildcardProblem(v);
  if (w !== undefined) return w;
  const known = HTTP_METHODS.find((m) => m === v.toUpperCase());
  if (known !== undefined && known !== v) return { message: `methods are case-sensitive: ${JSON.stringify(v)} never matches`, hint: `did you mean ${known}?` };
  return undefined;
}

// --- condition keys (`when`) ------------------------------------------------------------------------------

/** What a supported `when` key reads from a request. */
export type ConditionKey =
  | { kind: 'header'; /** lower-case */ header: string }
  | { kind: 'principal' | 'namespace' | 'ip' | 'port' };

const HEADER_TOKEN = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;

/** The table of supported keys. remote.ip is source.ip: weft does not derive a client address from X-Forwarded-For. */
const CONDITION_KEYS: Readonly<Record<string, ConditionKey>> = {
  'source.principal': { kind: 'principal' },
  'source.namespace': { kind: 'namespace' },
  'source.ip': { kind: 'ip' },
  'remote.ip': { kind: 'ip' },
  'destination.port': { kind: 'port' },
};

export interface ConditionKeyProblem {
  code: Issue['code'];
  message: string;
  hint?: string;
}

/** What a `when` key reads, or why weft cannot evaluate it. Validation and the engine both ask here. */
export function conditionKey(key: string): ConditionKey | ConditionKeyProblem {
  const header = /^request\.headers\[(.*)\]$/.exec(key);
  if (header !== null) {
    return HEADER_TOKEN.test(header[1])
      ? { kind: 'header', header: header[1].toLowerCase() }
      : { code: 'invalid', message: `header name ${JSON.stringify(header[1])} is not a valid HTTP header name`, hint: 'e.g. request.headers[x-user]' };
  }
  const known = Object.hasOwn(CONDITION_KEYS, key) ? CONDITION_KEYS[key] : undefined;
  if (known !== undefined) return known;
  if (key.startsWith('request.auth.')) return { code: 'unsupported-field', message: `${key} is not implemented: weft has no request (JWT) authentication` };
  if (key === 'destination.ip' || key === 'connection.sni' || key.startsWith('experimental.')) {
    return { code: 'unsupported-field', message: `${key} is not supported by weft` };
  }
  return {
    code: 'invalid', message: `unknown condition key ${JSON.stringify(key)}`,
    hint: 'supported: request.headers[<name>], source.ip, remote.ip, source.namespace, source.principal, destination.port',
  };
}

// --- the validator ----------------------------------------------------------------------------------------

/** Rules that the schema cannot express; runs after the schema passed, so the shapes can be trusted. */
export function checkAuthorizationPolicy(a: AuthorizationPolicy, out: Issue[]): void {
  (a.spec.rules ?? []).forEach((rule, i) => {
    const at: PathSeg[] = ['spec', 'rules', i];
    (rule.from ?? []).forEach((f, j) => checkSource(f.source, [...at, 'from', j, 'source'], out));
    (rule.to ?? []).forEach((t, j) => checkOperation(t.operation, [...at, 'to', j, 'operation'], out));
    (rule.when ?? []).forEach((c, j) => checkCondition(c, [...at, 'when', j], out));
  });
}

type Problem = (v: string) => string | { message: string; hint?: string } | undefined;

function eachValue(values: string[] | undefined, at: PathSeg[], problem: Problem, out: Issue[]): void {
  (values ?? []).forEach((v, k) => {
    const p = problem(v);
    if (p === undefined) return;
    out.push({ path: [...at, k], code: 'invalid', ...(typeof p === 'string' ? { message: p } : p) });
  });
}

function checkSource(s: AuthzSource, at: PathSeg[], out: Issue[]): void {
  for (const f of ['principals', 'notPrincipals', 'namespaces', 'notNamespaces'] as const) eachValue(s[f], [...at, f], wildcardProblem, out);
  for (const f of ['ipBlocks', 'notIpBlocks'] as const) eachValue(s[f], [...at, f], cidrProblem, out);
}

function checkOperation(o: AuthzOperation, at: PathSeg[], out: Issue[]): void {
  for (const f of ['paths', 'notPaths'] as const) eachValue(o[f], [...at, f], pathProblem, out);
  for (const f of ['hosts', 'notHosts'] as const) eachValue(o[f], [...at, f], wildcardProblem, out);
  for (const f of ['ports', 'notPorts'] as const) eachValue(o[f], [...at, f], portProblem, out);
  for (const f of ['methods', 'notMethods'] as const) eachValue(o[f], [...at, f], methodProblem, out);
}

function checkCondition(c: AuthzCondition, at: PathSeg[], out: Issue[]): void {
  if (c.values === undefined && c.notValues === undefined) {
    out.push({ path: [...at, 'values'], at, code: 'required', message: 'values or notValues is required', hint: `a condition on ${c.key} must say which values match` });
  }
  const k = conditionKey(c.key);
  if (!('kind' in k)) {
    out.push({ path: [...at, 'key'], code: k.code, message: k.message, ...(k.hint !== undefined ? { hint: k.hint } : {}) });
    return;
  }
  const problem = k.kind === 'ip' ? cidrProblem : k.kind === 'port' ? portProblem : wildcardProblem;
  eachValue(c.values, [...at, 'values'], problem, out);
  eachValue(c.notValues, [...at, 'notValues'], problem, out);
}
