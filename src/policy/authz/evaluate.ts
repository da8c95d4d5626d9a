// Evaluate: the decision for one request, run per request on the inbound path. One View per request (its
// attributes derived on first use) and no other allocation, unless an AUDIT policy matched.
//
// Repeated headers (when: request.headers[name]): pass Node's req.headersDistinct shape (arrays), not
// req.headers, which has already joined most repeated headers with ", " into one value (matchers.ts).

import { decision, type AuthzDecision, type CompiledAuthz, type CompiledPolicy, type CompiledRule } from './compile.js';
import type { Check } from './matchers.js';
import { View, type AuthzRequest } from './view.js';

const NO_POLICIES = decision(true, 'no ALLOW policy applies to this workload');
const NO_ALLOW_MATCHED = decision(false, 'no ALLOW policy matched');

function allPass(checks: readonly Check[], v: View): boolean {
  for (let i = 0; i < checks.length; i++) if (!checks[i].test(v)) return false;
  return true;
}

function anyEntry(entries: readonly (readonly Check[])[], v: View): boolean {
  for (let i = 0; i < entries.length; i++) if (allPass(entries[i], v)) return true;
  return false;
}

function ruleMatches(r: CompiledRule, v: View): boolean {
  if (r.from !== null && !anyEntry(r.from, v)) return false;
  if (r.to !== null && !anyEntry(r.to, v)) return false;
  return allPass(r.when, v);
}

/** Index of the first matching rule, or -1. */
function firstMatch(p: CompiledPolicy, v: View): number {
  for (let i = 0; i < p.rules.length; i++) if (ruleMatches(p.rules[i], v)) return i;
  return -1;
}

/**
 * The decision for one request. Decisions without audited policies are shared, frozen objects: do not
 * mutate them.
 */
export function authorize(c: CompiledAuthz, req: AuthzRequest): AuthzDecision {
  const v = new View(req);
  let audited: string[] | undefined;
  for (let i = 0; i < c.audit.length; i++) {
    if (firstMatch(c.audit[i], v) >= 0) (audited ??= []).push(c.audit[i].name);
  }
  let d: AuthzDecision | undefined;
  for (let i = 0; i < c.deny.length && d === undefined; i++) {
    const r = firstMatch(c.deny[i], v);
    if (r >= 0) d = c.deny[i].decisions[r];
  }
  if (d === undefined) {
    if (c.allow.length === 0) d = NO_POLICIES;
    for (let i = 0; i < c.allow.length && d === undefined; i++) {
      const r = firstMatch(c.allow[i], v);
      if (r >= 0) d = c.allow[i].decisions[r];
    }
    d ??= NO_ALLOW_MATCHED;
  }
  return audited === undefined ? d : { ...d, audited };
}
