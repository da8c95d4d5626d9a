// RateLimitPolicy: what each limit needs beyond its schema (a real period, a bucket at least as big as the
// rate, a known descriptor, matches that compile).
import type { PathSeg } from '../errors.js';
import type { Issue } from '../source.js';
import type { RateLimitPolicy } from '../types.js';
import { parseGatewayDuration } from '../traffic.js';
import { RATE_LIMIT_BY } from '../ratelimit.js';
import { closest } from '../suggest.js';
import { linearRegExpProblem } from '../../util/linear-regexp.js';
import { checkMatch } from './httproute.js';

const GROUP_OF = { Workload: 'weft.dev', HTTPRoute: 'gateway.networking.k8s.io', GRPCRoute: 'gateway.networking.k8s.io' } as const;

export function checkRateLimitPolicy(p: RateLimitPolicy, out: Issue[]): void {
  const t = p.spec.targetRef;
  if (t.group !== undefined && t.group !== '' && t.group !== GROUP_OF[t.kind]) {
    out.push({ path: ['spec', 'targetRef', 'group'], code: 'invalid', message: `${t.kind} is in group ${GROUP_OF[t.kind]}, not ${t.group}`, hint: `set group: ${GROUP_OF[t.kind]}, or leave it out` });
  }
  p.spec.limits.forEach((l, i) => {
    const at: PathSeg[] = ['spec', 'limits', i];
    const perMs = parseGatewayDuration(l.per);
    if (perMs !== undefined && perMs < 1) out.push({ path: [...at, 'per'], code: 'range', message: `must be at least 1ms (got ${l.per})`, hint: 'e.g. per: 1s for requests per second' });
    if (l.burst !== undefined && l.burst < l.requests) {
      out.push({ path: [...at, 'burst'], code: 'range', message: `must be >= requests (${l.requests}): the bucket must hold what one period adds (got ${l.burst})`, hint: `leave burst out for ${l.requests}, or raise it` });
    }
    if (typeof l.by === 'string' && !(RATE_LIMIT_BY as readonly string[]).includes(l.by)) {
      const near = closest(l.by, RATE_LIMIT_BY);
      out.push({
        path: [...at, 'by'], code: 'enum',
        message: `must be one of ${RATE_LIMIT_BY.join(', ')}, or {header: NAME} (got ${JSON.stringify(l.by)})`,
        ...(near !== undefined ? { hint: `did you mean ${near}?` } : l.by.toLowerCase().startsWith('header') ? { hint: 'write a header as a mapping: by: {header: x-user-id}' } : {}),
      });
    }
    if (l.match !== undefined) {
      checkMatch(l.match, [...at, 'match'], out);
      const regex = (value: string, path: PathSeg[]) => {
        const why = linearRegExpProblem(value);
        if (why !== undefined) out.push({ path, code: 'regex', message: `invalid regular expression: ${why}`, hint: 'JavaScript RegExp syntax, compiled without flags, without backreferences or lookahead' });
      };
      if (l.match.path.type === 'RegularExpression') regex(l.match.path.value, [...at, 'match', 'path', 'value']);
      (l.match.headers ?? []).forEach((h, k) => { if (h.type === 'RegularExpression') regex(h.value, [...at, 'match', 'headers', k, 'value']); });
      (l.match.queryParams ?? []).forEach((q, k) => { if (q.type === 'RegularExpression') regex(q.value, [...at, 'match', 'queryParams', k, 'value']); });
    }
  });
}
