// FaultInjection: rules across its fields.
import type { PathSeg } from '../errors.js';
import type { Issue } from '../source.js';
import { linearRegExpProblem } from '../../util/linear-regexp.js';
import { GRPC_CODE_NAMES, grpcCodeOf, isFaultRef } from '../fault.js';
import { parseGatewayDuration } from '../traffic.js';
import type { FaultInjection, GRPCRoute, HTTPRoute } from '../types.js';
import { unique } from './check-helpers.js';

export function checkFaultInjection(f: FaultInjection, out: Issue[]): void {
  const { delay, abort, match } = f.spec;
  if (delay === undefined && abort === undefined) {
    out.push({ path: ['spec', 'delay'], at: ['spec'], code: 'required', message: 'a FaultInjection needs a delay, an abort or both', hint: 'e.g. delay: { fixedDelay: 2s } or abort: { httpStatus: 503 }' });
  }
  if (delay !== undefined && parseGatewayDuration(delay.fixedDelay) === 0) {
    out.push({ path: ['spec', 'delay', 'fixedDelay'], code: 'range', message: 'must be longer than 0s', hint: 'leave delay out to inject no delay' });
  }
  if (abort !== undefined) {
    const at: PathSeg[] = ['spec', 'abort'];
    if (abort.httpStatus === undefined && abort.grpcStatus === undefined) {
      out.push({ path: [...at, 'httpStatus'], at, code: 'required', message: 'an abort needs httpStatus or grpcStatus', hint: 'httpStatus: 503 for HTTP; grpcStatus: UNAVAILABLE answers gRPC calls with that status' });
    } else if (abort.httpStatus !== undefined && abort.grpcStatus !== undefined) {
      out.push({ path: [...at, 'grpcStatus'], key: true, code: 'conflict', message: 'httpStatus and grpcStatus cannot both be set', hint: 'keep one: a gRPC call aborted with httpStatus gets the gRPC status of that HTTP status (503: UNAVAILABLE)' });
    }
    if (abort.grpcStatus !== undefined && grpcCodeOf(abort.grpcStatus) === undefined) {
      out.push({
        path: [...at, 'grpcStatus'], code: 'enum',
        message: `must be a gRPC status name or a number from 0 to ${GRPC_CODE_NAMES.length - 1} (got ${JSON.stringify(abort.grpcStatus)})`,
        hint: `names: ${GRPC_CODE_NAMES.join(', ')}`,
      });
    }
  }
  const headers = match?.headers ?? [];
  unique(headers, (h) => h.name.toLowerCase(), (i, first) => out.push({
    path: ['spec', 'match', 'headers', i, 'name'], code: 'duplicate', message: `header "${headers[i].name}" is matched twice (names are case-insensitive)`, hint: `also at headers[${first}]`,
  }));
  headers.forEach((h, i) => {
    if (h.type !== 'RegularExpression') return;
    const reason = linearRegExpProblem(h.value);
    if (reason !== undefined) out.push({ path: ['spec', 'match', 'headers', i, 'value'], code: 'regex', message: `invalid regular expression: ${reason}`, hint: 'JavaScript RegExp syntax, compiled without flags, without backreferences or lookahead (as route header matches)' });
  });
}

/**
 * A route rule's ExtensionRef to a FaultInjection must name one that exists in the route's namespace (an
 * ExtensionRef is a LocalObjectReference): `faults` holds "<namespace>/<name>" of those in the input or stored.
 */
export function checkFaultRefs(r: HTTPRoute | GRPCRoute, ns: string, faults: ReadonlySet<string>, report: (i: Issue) => void): void {
  const rules: (HTTPRoute | GRPCRoute)['spec']['rules'][number][] = r.spec.rules;
  rules.forEach((rule, i) => (rule.filters ?? []).forEach((f, k) => {
    if (!isFaultRef(f) || f.type !== 'ExtensionRef') return;
    const name = f.extensionRef.name;
    if (faults.has(`${ns}/${name}`)) return;
    const near = [...faults].filter((x) => x.startsWith(`${ns}/`)).map((x) => x.slice(ns.length + 1));
    report({
      path: ['spec', 'rules', i, 'filters', k, 'extensionRef', 'name'], code: 'reference',
      message: `FaultInjection ${ns}/${name} does not exist`,
      hint: near.length === 0 ? `namespace ${ns} has no FaultInjection; define it (weft apply, or in the same file) in the route's namespace` : `namespace ${ns} has ${near.join(', ')}`,
    });
  }));
}
