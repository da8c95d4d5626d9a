// Compile: the policies that select one workload, turned once (per snapshot, or per `weft authz explain`)
// into checks that evaluate.ts and explain.ts run per request.
//
// Input is validated: the schema and src/api/kinds/authorization-policy.ts have refused anything the engine
// cannot evaluate exactly, so nothing here re-validates shapes or explains mistakes to a user. What compile
// still asserts, cheaply, is what would otherwise change a decision silently if a snapshot broke it: an
// action, field or condition key it does not know, a source/operation that sets no field (it would match
// everything), a value the matchers cannot read. Those throw AuthzCompileError, which a proxy turns into a
// NACK that keeps its last good config.
//
// Semantics (istio.io/docs/concepts/security/#authorization), evaluated in evaluate.ts: a matching DENY
// policy denies; otherwise, if any ALLOW policy applies to the workload, a request must match one of them,
// and is denied if none does; with no ALLOW policy the request is allowed. AUDIT policies never change the
// decision: the ones that match are listed in `audited`. A policy matches if any of its rules does; an
// ALLOW policy without rules matches nothing, and the rule `{}` matches everything. A rule matches when its
// from, to and when all match: any entry of `from`, any entry of `to`, every condition of `when`. In one
// source/operation every field set must match; a field matches if any of its values does; a not* field
// matches if none of its values does. Attributes a request lacks: see matchers.ts.

import type { AuthzPolicySnap } from '../../api/snapshot.js';
import type { AuthzCondition, AuthzRule } from '../../api/types.js';
import { conditionKey } from '../../api/kinds/authz-values.js';
import {
  conditionCheck, headerCheck, hostCheck, ipCheck, methodCheck, namespaceCheck, pathCheck, portCheck, principalCheck,
  type Check, type Fail,
} from './matchers.js';

export type { AuthzPolicySnap } from '../../api/snapshot.js';

export interface AuthzDecision {
  allowed: boolean;
  /** The deciding policy ("<namespace>/<name>"); absent when no policy decided (none applies, or no ALLOW matched). */
  policy?: string;
  reason: string;
  /** AUDIT policies that matched. */
  audited: string[];
}

/** Thrown by compileAuthz: names the policy and the field. */
export class AuthzCompileError extends Error {
  constructor(policy: string, field: string, message: string) {
    super(`authorization policy ${policy}: ${field === '' ? '' : `${field}: `}${message}`);
    this.name = 'AuthzCompileError';
  }
}

export interface CompiledRule {
  /** null: the rule has no `from` (any source). Otherwise any entry (an AND of checks) must match. */
  readonly from: readonly (readonly Check[])[] | null;
  readonly to: readonly (readonly Check[])[] | null;
  readonly when: readonly Check[];
}

export interface CompiledPolicy {
  readonly name: string;
  readonly action: 'ALLOW' | 'DENY' | 'AUDIT';
  readonly rules: readonly CompiledRule[];
  /** The decision when rule i decides, prepared once. */
  readonly decisions: readonly AuthzDecision[];
}

export interface CompiledAuthz {
  readonly deny: readonly CompiledPolicy[];
  readonly allow: readonly CompiledPolicy[];
  readonly audit: readonly CompiledPolicy[];
}

const NO_AUDIT = Object.freeze([]) as unknown as string[];

/** A shared decision: frozen so that no caller can change what the next request gets. */
export function decision(allowed: boolean, reason: string, policy?: string): AuthzDecision {
  return Object.freeze({ allowed, reason, audited: NO_AUDIT, ...(policy !== undefined ? { policy } : {}) });
}

type Err = (field: string, message: string) => never;
type Make = (label: string, values: readonly string[], negative: boolean, fail: Fail) => Check;

/** The fields of a source and of an operation, and what each matches; "notX" is the negation of "x". */
const SOURCE_FIELDS: Readonly<Record<string, Make>> = {
  principals: principalCheck, notPrincipals: principalCheck,
  namespaces: namespaceCheck, notNamespaces: namespaceCheck,
  ipBlocks: ipCheck, notIpBlocks: ipCheck,
};
const OPERATION_FIELDS: Readonly<Record<string, Make>> = {
  methods: methodCheck, notMethods: methodCheck,
  paths: pathCheck, notPaths: pathCheck,
  hosts: hostCheck, notHosts: hostCheck,
  ports: portCheck, notPorts: portCheck,
};
/** Single-valued `when` attributes (src/api/kinds/authz-values.ts says which key reads which). */
const CONDITION_ATTRIBUTES = { principal: principalCheck, namespace: namespaceCheck, ip: ipCheck, port: portCheck } as const;

/** Compiles the policies that select one workload, in name order. Throws AuthzCompileError on a broken invariant. */
export function compileAuthz(policies: readonly AuthzPolicySnap[]): CompiledAuthz {
  const compiled = [...policies].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(compilePolicy);
  return Object.freeze({
    deny: compiled.filter((p) => p.action === 'DENY'),
    allow: compiled.filter((p) => p.action === 'ALLOW'),
    audit: compiled.filter((p) => p.action === 'AUDIT'),
  });
}

function compilePolicy(p: AuthzPolicySnap): CompiledPolicy {
  const name = p.name;
  const err: Err = (field, message) => {
    throw new AuthzCompileError(name, field, message);
  };
  const verb = p.action === 'DENY' ? 'denied by' : p.action === 'ALLOW' ? 'allowed by' : p.action === 'AUDIT' ? 'audited by' : undefined;
  if (verb === undefined) err('action', `must be ALLOW, DENY or AUDIT (got ${JSON.stringify(p.action)})`);
  const rules = (p.rules ?? []).map((r, i) => compileRule(r, `rules[${i}]`, err));
  const decisions = rules.map((_, i) => decision(p.action !== 'DENY', `${verb} ${p.action} policy ${name} (rule ${i})`, name));
  return { name, action: p.action, rules, decisions };
}

/** Istio: an empty list is the same as no list. */
function nonEmpty<T>(list: readonly T[] | undefined): readonly T[] | undefined {
  return list === undefined || list.length === 0 ? undefined : list;
}

function compileRule(rule: AuthzRule, at: string, err: Err): CompiledRule {
  const from = nonEmpty(rule.from)?.map((f, j) => compileFields(f.source ?? {}, `${at}.from[${j}].source`, SOURCE_FIELDS, err)) ?? null;
  const to = nonEmpty(rule.to)?.map((t, j) => compileFields(t.operation ?? {}, `${at}.to[${j}].operation`, OPERATION_FIELDS, err)) ?? null;
  const when = (rule.when ?? []).map((c, j) => compileCondition(c, `${at}.when[${j}]`, err));
  return { from, to, when };
}

function compileFields(obj: object, at: string, fields: Readonly<Record<string, Make>>, err: Err): Check[] {
  const checks: Check[] = [];
  for (const [field, values] of Object.entries(obj) as [string, string[] | undefined][]) {
    const label = `${at}.${field}`;
    const make = Object.hasOwn(fields, field) ? fields[field] : undefined;
    if (make === undefined) return err(label, 'unknown or unsupported field');
    const list = nonEmpty(values);
    if (list !== undefined) checks.push(make(label, list, field.startsWith('not'), (i, message) => err(`${label}[${i}]`, message)));
  }
  // An entry without checks would match every request; Istio refuses an empty source or operation.
  if (checks.length === 0) err(at, 'must set at least one field');
  return checks;
}

function compileCondition(c: AuthzCondition, at: string, err: Err): Check {
  const key = conditionKey(c.key);
  if (!('kind' in key)) return err(`${at}.key`, key.message);
  const values = nonEmpty(c.values);
  const notValues = nonEmpty(c.notValues);
  if (values === undefined && notValues === undefined) return err(at, `values or notValues is required for ${c.key}`);
  const label = `${at}[${c.key}]`;
  const fail = (f: string): Fail => (i, message) => err(`${at}.${f}[${i}]`, message);
  if (key.kind === 'header') return headerCheck(label, key.header, values, notValues, fail);
  return conditionCheck(label, values, notValues, CONDITION_ATTRIBUTES[key.kind], fail);
}
