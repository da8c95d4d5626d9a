// AuthorizationPolicy: the one validator of what the schema (src/api/schemas.ts) cannot say. Its value
// syntax and condition-key table are in authz-values.ts, which the authorization engine (src/policy/authz)
// compiles with. The engine takes policies that passed here and does not validate them again; it only
// asserts, cheaply, what would otherwise change a decision silently (src/policy/authz/compile.ts).

import type { PathSeg } from '../errors.js';
import { cidrProblem } from '../ip.js';
import { HTTP_METHODS } from '../schemas.js';
import { conditionKey, portProblem, wildcardProblem } from './authz-values.js';
import type { Issue } from '../source.js';
import type { AuthorizationPolicy, AuthzCondition, AuthzOperation, AuthzSource } from '../types.js';

// --- values ---------------------------------------------------------------------------------------------

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
