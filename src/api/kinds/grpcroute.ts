// GRPCRoute: the Gateway API CEL rules (GRPCMethodMatch, rule and match limits) and weft's own, across the
// fields of one route. Parents, filters, backends, retry and timeouts follow HTTPRoute's rules.
import type { PathSeg } from '../errors.js';
import type { Issue } from '../source.js';
import { linearRegExpProblem } from '../../util/linear-regexp.js';
import { unique } from './check-helpers.js';
import { checkBackendRef, checkFilters, checkRouteShape, checkTimeouts } from './httproute.js';
import type { GRPCMethodMatch, GRPCRoute, GRPCRouteMatch, GRPCRouteRule } from '../types.js';

/** A fully-qualified protobuf service name, as the Gateway API's CEL rule (case-insensitive, optional leading "."). */
const EXACT_SERVICE = /^\.?[A-Za-z_][A-Za-z_0-9]*(?:\.[A-Za-z_][A-Za-z_0-9]*)*$/;
const EXACT_METHOD = /^[A-Za-z_][A-Za-z_0-9]*$/;

export function checkGRPCRoute(r: GRPCRoute, out: Issue[]): void {
  checkRouteShape(r, 'GRPCRoutes', out);
  r.spec.rules.forEach((rule, i) => checkRule(rule, ['spec', 'rules', i], out));
}

function checkRule(rule: GRPCRouteRule, at: PathSeg[], out: Issue[]): void {
  rule.matches.forEach((m, j) => checkMatch(m, [...at, 'matches', j], out));
  checkTimeouts(rule, at, out);
  // GRPCRoute filters are HTTPRoute's of the same names; none of them looks at path matches.
  checkFilters(rule.filters ?? [], [...at, 'filters'], [], out);
  (rule.backendRefs ?? []).forEach((b, k) => checkBackendRef(b, [...at, 'backendRefs', k], [], out));
}

function checkMatch(m: GRPCRouteMatch, at: PathSeg[], out: Issue[]): void {
  if (m.method !== undefined) checkMethodMatch(m.method, [...at, 'method'], out);
  const headers = m.headers ?? [];
  unique(headers, (h) => h.name.toLowerCase(), (i, first) => out.push({
    path: [...at, 'headers', i, 'name'], code: 'duplicate', message: `header "${headers[i].name}" is matched twice (names are case-insensitive)`, hint: `also at headers[${first}]`,
  }));
  headers.forEach((h, k) => {
    if (h.type === 'RegularExpression') regexProblem(h.value, [...at, 'headers', k, 'value'], false, out);
  });
}

function checkMethodMatch(mm: GRPCMethodMatch, at: PathSeg[], out: Issue[]): void {
  if (mm.service === undefined && mm.method === undefined) {
    out.push({
      path: at, code: 'required', message: "one or both of 'service' or 'method' must be specified",
      hint: 'leave method out of the match to match every call',
    });
    return;
  }
  if (mm.type === 'Exact') {
    if (mm.service !== undefined && !EXACT_SERVICE.test(mm.service)) {
      out.push({
        path: [...at, 'service'], code: 'pattern',
        message: 'must be a gRPC service name for an Exact match: "."-separated parts of letters, digits and "_", each starting with a letter or "_" (e.g. "helloworld.Greeter")',
        hint: mm.service.includes('/') ? 'the service and the method are separate fields: service: pkg.Service, method: Method' : 'use type: RegularExpression for a pattern',
      });
    }
    if (mm.method !== undefined && !EXACT_METHOD.test(mm.method)) {
      out.push({
        path: [...at, 'method'], code: 'pattern',
        message: 'must be a gRPC method name for an Exact match: letters, digits and "_", starting with a letter or "_" (e.g. "SayHello")',
        hint: mm.method.includes('/') || mm.method.includes('.') ? 'the service and the method are separate fields: service: pkg.Service, method: Method' : 'use type: RegularExpression for a pattern',
      });
    }
    return;
  }
  if (mm.service !== undefined) regexProblem(mm.service, [...at, 'service'], true, out);
  if (mm.method !== undefined) regexProblem(mm.method, [...at, 'method'], true, out);
}

/**
 * Regular expressions as HTTPRoute's (JavaScript syntax, no flags, linear time, matched against the whole
 * value). A service or method pattern becomes part of one pattern for the request path, where "^" or "$"
 * would anchor at the path's ends and never match: they are refused, since the whole name is matched anyway.
 */
function regexProblem(value: string, path: PathSeg[], inPath: boolean, out: Issue[]): void {
  const reason = linearRegExpProblem(value);
  if (reason !== undefined) {
    out.push({ path, code: 'regex', message: `invalid regular expression: ${reason}`, hint: 'JavaScript RegExp syntax, compiled without flags, without backreferences or lookahead' });
    return;
  }
  if (inPath && hasAnchor(value)) {
    out.push({ path, code: 'regex', message: 'must not use the anchors "^" or "$": the pattern is always matched against the whole name', hint: `e.g. ${JSON.stringify(value.replace(/^\^|\$$/g, ''))}` });
  }
}

/** Whether a pattern has "^" or "$" as an assertion (not escaped, not inside a character class). */
function hasAnchor(source: string): boolean {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '^' || c === '$') return true;
  }
  return false;
}
