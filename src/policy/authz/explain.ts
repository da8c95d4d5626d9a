// Explain: the decision authorize gives, with one line per policy and rule saying what matched or failed
// and why. Off the request path: `weft authz explain` (src/control/explain.ts) prints it.

import type { AuthzDecision, CompiledAuthz, CompiledRule } from './compile.js';
import { authorize } from './evaluate.js';
import type { Check } from './matchers.js';
import { View, type AuthzRequest } from './view.js';

function describeCheck(ch: Check, v: View): { ok: boolean; text: string } {
  const ok = ch.test(v);
  const shown = ch.show(v);
  if (ch.negative) return { ok, text: `${ch.label} ${ch.want}: ${shown} ${ok ? 'is not listed' : 'is listed'}` };
  return { ok, text: `${ch.label} ${ch.want} ${ok ? 'matches' : 'does not match'} ${shown}` };
}

/** Why a list of entries (from / to) matched or not: the passing entry's checks, or each entry's first failure. */
function describeEntries(entries: readonly (readonly Check[])[], v: View): { ok: boolean; text: string } {
  const failures: string[] = [];
  for (const entry of entries) {
    const described = entry.map((ch) => describeCheck(ch, v));
    const failed = described.find((d) => !d.ok);
    if (failed === undefined) return { ok: true, text: described.map((d) => d.text).join('; ') };
    failures.push(failed.text);
  }
  return { ok: false, text: failures.join(' / ') };
}

function describeRule(r: CompiledRule, v: View): { ok: boolean; text: string } {
  const parts: string[] = [];
  for (const entries of [r.from, r.to]) {
    if (entries === null) continue;
    const d = describeEntries(entries, v);
    if (!d.ok) return { ok: false, text: d.text };
    parts.push(d.text);
  }
  for (const ch of r.when) {
    const d = describeCheck(ch, v);
    if (!d.ok) return { ok: false, text: d.text };
    parts.push(d.text);
  }
  return { ok: true, text: parts.length === 0 ? 'an empty rule matches every request' : parts.join('; ') };
}

function describeRequest(req: AuthzRequest): string {
  const peer = req.principal === undefined || req.principal === '' ? 'plaintext peer' : req.principal;
  return `request: ${req.method} ${req.path} host ${JSON.stringify(req.host)} port ${req.port} from ${peer} at ${req.sourceIp}`;
}

/** The decision authorize gives, with one line per policy and rule saying what matched or failed and why. */
export function explain(c: CompiledAuthz, req: AuthzRequest): { decision: AuthzDecision; trace: string[] } {
  const decision = authorize(c, req);
  const v = new View(req);
  const trace = [describeRequest(req)];
  const all = [...c.deny, ...c.allow, ...c.audit];
  if (all.length === 0) trace.push('no AuthorizationPolicy selects this workload');
  for (const p of all) {
    if (p.rules.length === 0) {
      trace.push(`${p.action} ${p.name}: no rules, matches nothing`);
      continue;
    }
    p.rules.forEach((r, i) => {
      const d = describeRule(r, v);
      trace.push(`${p.action} ${p.name} rule ${i}: ${d.ok ? 'matches' : 'does not match'}: ${d.text}`);
    });
  }
  trace.push(`decision: ${decision.allowed ? 'allowed' : 'denied'}: ${decision.reason}`);
  if (decision.audited.length > 0) trace.push(`audited by: ${decision.audited.join(', ')}`);
  return { decision, trace };
}
