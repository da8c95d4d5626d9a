// Istio AuthorizationPolicy semantics for one workload's inbound requests.
//
// compileAuthz turns the snapshot's policies into matchers once (value sets, prefix/suffix lists, parsed
// CIDRs, lower-cased header names); authorize runs per request and allocates one small view object (plus
// the decision when an AUDIT policy matched). explain gives the same decision with the reasons.
//
// Evaluation (istio.io/docs/concepts/security/#authorization): a matching DENY policy denies; otherwise,
// if any ALLOW policy applies to the workload, a request must match one of them, and is denied if none
// does; with no ALLOW policy the request is allowed. AUDIT policies never change the decision: the ones
// that match are listed in `audited` (all of them are evaluated, whatever the decision).
// A policy matches if any of its rules does; an ALLOW policy without rules matches nothing, and the rule
// `{}` matches everything. A rule matches when its from, to and when all match: any entry of `from`, any
// entry of `to`, every condition of `when`. In one source/operation every field set must match; a field
// matches if any of its values does; a not* field matches if none of its values does.
//
// Attributes a request lacks: a plaintext request has no principal (and so no namespace), a request may
// lack a header or a Host. A positive field (principals, namespaces, hosts, `values`) never matches a
// missing attribute; a negative field (notPrincipals, notNamespaces, notHosts, `notValues`) always does.
// So `principals: ["*"]` requires mTLS, and the Istio idiom `DENY from notPrincipals: ["*"]` denies
// plaintext.
//
// Repeated headers (when: request.headers[name]): each value is tested on its own. `values` matches if any
// value matches one of them; `notValues` matches if the header is absent or any value matches none of
// them. A DENY condition therefore cannot be dodged by repeating a header (Istio/Envoy instead match the
// values joined with ","). Pass Node's req.headersDistinct: req.headers has already joined most repeated
// headers with ", " into one value.

import type { AuthzPolicySnap } from '../../../api/snapshot.js';
import type { AuthzRule } from '../../../api/types.js';
import { cidrContains, parseCidr, parseIp, type Cidr } from './ip.js';

export type { AuthzPolicySnap } from '../../../api/snapshot.js';

export interface AuthzRequest {
  /** The peer's SPIFFE ID from its certificate, e.g. spiffe://cluster.local/ns/shop/sa/web; undefined for plaintext. */
  principal: string | undefined;
  sourceIp: string;
  method: string;
  /** Normalized (see ../normalize), without the query. */
  path: string;
  /** The Host header (or :authority), as received. */
  host: string;
  /** The destination port: the port the request arrived on. */
  port: number;
  /** Lower-case names; repeated headers as arrays (Node's req.headersDistinct). */
  headers: Record<string, string | string[] | undefined>;
}

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

// --- per-request view: attributes derived from the request once, on first use -------------------------

const SPIFFE = 'spiffe://';
/** Parsed source address. One at a time: evaluation is synchronous and never re-entered. */
const SOURCE_IP = new Int32Array(4);

class View {
  private principalCache: string | undefined | null = null;
  private namespaceCache: string | undefined | null = null;
  private hostCache: string | undefined | null = null;
  private hostPortCache: string | undefined | null = null;
  /** 0: not parsed yet; 1: SOURCE_IP holds it; 2: unparsable. */
  private ipState = 0;

  constructor(readonly req: AuthzRequest) {}

  /** The principal with its "spiffe://" prefix, or undefined for plaintext. */
  principal(): string | undefined {
    if (this.principalCache === null) {
      const p = this.req.principal;
      this.principalCache = p === undefined || p === '' ? undefined : p.startsWith(SPIFFE) ? p : SPIFFE + p;
    }
    return this.principalCache;
  }

  /** The namespace in the principal's ".../ns/<namespace>/sa/..." path. */
  namespace(): string | undefined {
    if (this.namespaceCache === null) {
      const p = this.principal();
      let ns: string | undefined;
      if (p !== undefined) {
        const at = p.indexOf('/ns/', SPIFFE.length);
        if (at >= 0) {
          const end = p.indexOf('/', at + 4);
          ns = p.slice(at + 4, end < 0 ? p.length : end);
          if (ns === '') ns = undefined;
        }
      }
      this.namespaceCache = ns;
    }
    return this.namespaceCache;
  }

  /** Lower-case host without port or trailing dot. */
  host(): string | undefined {
    if (this.hostCache === null) {
      const h = this.req.host.toLowerCase();
      let name = h;
      if (h.startsWith('[')) {
        const close = h.indexOf(']');
        if (close > 0) name = h.slice(0, close + 1);
      } else {
        const colon = h.indexOf(':');
        if (colon >= 0 && colon === h.lastIndexOf(':')) name = h.slice(0, colon);
      }
      if (name.length > 1 && name.endsWith('.')) name = name.slice(0, -1);
      this.hostCache = name === '' ? undefined : name;
    }
    return this.hostCache;
  }

  /** Lower-case host as received, port included. */
  hostWithPort(): string | undefined {
    if (this.hostPortCache === null) {
      const h = this.req.host.toLowerCase();
      this.hostPortCache = h === '' ? undefined : h;
    }
    return this.hostPortCache;
  }

  /** SOURCE_IP filled with the source address, or undefined if it does not parse. */
  sourceIp(): Int32Array | undefined {
    if (this.ipState === 0) this.ipState = parseIp(this.req.sourceIp, SOURCE_IP) ? 1 : 2;
    return this.ipState === 1 ? SOURCE_IP : undefined;
  }

  header(name: string): string | string[] | undefined {
    const h = this.req.headers[name];
    return Array.isArray(h) && h.length === 0 ? undefined : h;
  }
}

// --- value matching: exact, "prefix*", "*suffix", "*" (present and non-empty) --------------------------

class ValueMatcher {
  private any = false;
  private readonly exact = new Set<string>();
  private readonly prefixes: string[] = [];
  private readonly suffixes: string[] = [];

  /** `rewrite` maps an exact value or a prefix before use (e.g. adds "spiffe://"). */
  constructor(values: readonly string[], fail: (i: number, message: string) => never, lower = false, rewrite?: (s: string) => string) {
    values.forEach((raw, i) => {
      if (typeof raw !== 'string' || raw === '') fail(i, 'values must be non-empty strings');
      const v = lower ? raw.toLowerCase() : raw;
      const stars = v.split('*').length - 1;
      if (v === '*') this.any = true;
      else if (stars === 0) this.exact.add(rewrite ? rewrite(v) : v);
      else if (stars === 1 && v.endsWith('*')) this.prefixes.push(rewrite ? rewrite(v.slice(0, -1)) : v.slice(0, -1));
      else if (stars === 1 && v.startsWith('*')) this.suffixes.push(v.slice(1));
      else fail(i, `"*" may only be the whole value, its first or its last character (got ${JSON.stringify(raw)})`);
    });
  }

  test(s: string): boolean {
    if (this.any) return s.length > 0;
    if (this.exact.has(s)) return true;
    for (let i = 0; i < this.prefixes.length; i++) if (s.startsWith(this.prefixes[i])) return true;
    for (let i = 0; i < this.suffixes.length; i++) if (s.endsWith(this.suffixes[i])) return true;
    return false;
  }
}

const withSpiffe = (s: string) => (s.startsWith(SPIFFE) ? s : SPIFFE + s);

// --- checks: one field of a source/operation, or one condition -----------------------------------------

interface Check {
  /** Field path in the policy, e.g. "rules[0].from[1].source.principals". */
  readonly label: string;
  /** The policy's values, for explanations. */
  readonly want: string;
  readonly negative: boolean;
  test(v: View): boolean;
  /** The request's attribute, for explanations. */
  show(v: View): string;
}

type Fail = (i: number, message: string) => never;

/** A single-valued string attribute against a value list. */
function stringCheck(label: string, values: readonly string[], negative: boolean, fail: Fail, get: (v: View) => string | undefined,
  show: (v: View) => string, opts: { lower?: boolean; rewrite?: (s: string) => string } = {}): Check {
  const m = new ValueMatcher(values, fail, opts.lower ?? false, opts.rewrite);
  return {
    label, want: JSON.stringify(values), negative, show,
    test: negative
      ? (v) => { const s = get(v); return s === undefined || !m.test(s); }
      : (v) => { const s = get(v); return s !== undefined && m.test(s); },
  };
}

/** Hosts: values with a port are matched against the Host as received, the others against it without port. */
function hostCheck(label: string, values: readonly string[], negative: boolean, fail: Fail): Check {
  const hasPort = (h: string) => (h.startsWith('[') ? h.includes(']:') : h.includes(':'));
  const bare = values.filter((h) => !hasPort(h));
  const ported = values.filter(hasPort);
  const failAt = (list: string[]): Fail => (i, message) => fail(values.indexOf(list[i]), message);
  const mBare = bare.length > 0 ? new ValueMatcher(bare, failAt(bare), true) : undefined;
  const mPorted = ported.length > 0 ? new ValueMatcher(ported, failAt(ported), true) : undefined;
  const matches = (v: View): boolean | undefined => {
    const h = v.host();
    if (h === undefined) return undefined;
    if (mBare?.test(h) === true) return true;
    const full = v.hostWithPort();
    return mPorted !== undefined && full !== undefined && mPorted.test(full);
  };
  return {
    label, want: JSON.stringify(values), negative,
    show: (v) => (v.req.host === '' ? 'no Host' : JSON.stringify(v.req.host)),
    test: negative ? (v) => matches(v) !== true : (v) => matches(v) === true,
  };
}

function ipCheck(label: string, values: readonly string[], negative: boolean, fail: Fail): Check {
  const cidrs: Cidr[] = values.map((s, i) => {
    if (typeof s !== 'string') fail(i, 'values must be strings');
    try {
      return parseCidr(s);
    } catch (e) {
      return fail(i, (e as Error).message);
    }
  });
  const matches = (v: View): boolean => {
    const ip = v.sourceIp();
    if (ip === undefined) return false;
    for (let i = 0; i < cidrs.length; i++) if (cidrContains(cidrs[i], ip)) return true;
    return false;
  };
  return {
    label, want: JSON.stringify(values), negative,
    show: (v) => JSON.stringify(v.req.sourceIp),
    test: negative ? (v) => !matches(v) : matches,
  };
}

function portCheck(label: string, values: readonly string[], negative: boolean, fail: Fail): Check {
  const ports = new Set<number>();
  values.forEach((s, i) => {
    const n = Number(s);
    if (typeof s !== 'string' || !/^[0-9]{1,5}$/.test(s) || n < 1 || n > 65535) fail(i, `must be a port number 1..65535 (got ${JSON.stringify(s)})`);
    ports.add(n);
  });
  return {
    label, want: JSON.stringify(values), negative,
    show: (v) => String(v.req.port),
    test: negative ? (v) => !ports.has(v.req.port) : (v) => ports.has(v.req.port),
  };
}

/** request.headers[name]: values and/or notValues, each value of a repeated header tested on its own. */
function headerCheck(label: string, name: string, values: readonly string[] | undefined, notValues: readonly string[] | undefined, fail: (f: string) => Fail): Check {
  const yes = values !== undefined ? new ValueMatcher(values, fail('values')) : undefined;
  const no = notValues !== undefined ? new ValueMatcher(notValues, fail('notValues')) : undefined;
  const someMatch = (h: string | string[], m: ValueMatcher) => {
    if (typeof h === 'string') return m.test(h);
    for (let i = 0; i < h.length; i++) if (m.test(h[i])) return true;
    return false;
  };
  const someMiss = (h: string | string[], m: ValueMatcher) => {
    if (typeof h === 'string') return !m.test(h);
    for (let i = 0; i < h.length; i++) if (!m.test(h[i])) return true;
    return false;
  };
  return {
    label,
    want: [values !== undefined ? `values ${JSON.stringify(values)}` : '', notValues !== undefined ? `notValues ${JSON.stringify(notValues)}` : ''].filter(Boolean).join(' '),
    negative: false,
    show: (v) => { const h = v.header(name); return h === undefined ? `no ${name} header` : `${name}: ${JSON.stringify(h)}`; },
    test: (v) => {
      const h = v.header(name);
      if (yes !== undefined && (h === undefined || !someMatch(h, yes))) return false;
      if (no !== undefined && h !== undefined && !someMiss(h, no)) return false;
      return true;
    },
  };
}

/** A `when` condition on a single-valued attribute: values AND notValues. */
function conditionCheck(label: string, values: readonly string[] | undefined, notValues: readonly string[] | undefined,
  make: (values: readonly string[], negative: boolean, fail: Fail) => Check, fail: (f: string) => Fail): Check {
  const yes = values !== undefined ? make(values, false, fail('values')) : undefined;
  const no = notValues !== undefined ? make(notValues, true, fail('notValues')) : undefined;
  const show = (yes ?? no)!.show;
  return {
    label,
    want: [yes !== undefined ? `values ${yes.want}` : '', no !== undefined ? `notValues ${no.want}` : ''].filter(Boolean).join(' '),
    negative: false,
    show,
    test: yes !== undefined && no !== undefined ? (v) => yes.test(v) && no.test(v) : (yes ?? no)!.test,
  };
}

// --- compile --------------------------------------------------------------------------------------------

interface CompiledRule {
  /** null: the rule has no `from` (any source). Otherwise any entry (an AND of checks) must match. */
  from: Check[][] | null;
  to: Check[][] | null;
  when: Check[];
}

interface CompiledPolicy {
  name: string;
  action: 'ALLOW' | 'DENY' | 'AUDIT';
  rules: CompiledRule[];
  /** The decision when rule i decides, prepared once. */
  decisions: AuthzDecision[];
}

export interface CompiledAuthz {
  readonly deny: readonly CompiledPolicy[];
  readonly allow: readonly CompiledPolicy[];
  readonly audit: readonly CompiledPolicy[];
}

const NO_AUDIT = Object.freeze([]) as unknown as string[];

/** A shared decision: frozen so that no caller can change what the next request gets. */
function decision(allowed: boolean, reason: string, policy?: string): AuthzDecision {
  return Object.freeze({ allowed, reason, audited: NO_AUDIT, ...(policy !== undefined ? { policy } : {}) });
}

const NO_POLICIES = decision(true, 'no ALLOW policy applies to this workload');
const NO_ALLOW_MATCHED = decision(false, 'no ALLOW policy matched');

const SOURCE_FIELDS = new Set(['principals', 'notPrincipals', 'namespaces', 'notNamespaces', 'ipBlocks', 'notIpBlocks']);
const OPERATION_FIELDS = new Set(['methods', 'notMethods', 'paths', 'notPaths', 'ports', 'notPorts', 'hosts', 'notHosts']);
const RULE_FIELDS = new Set(['from', 'to', 'when']);
const CONDITION_FIELDS = new Set(['key', 'values', 'notValues']);

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Compiles the policies that select one workload. Throws AuthzCompileError on anything it cannot evaluate exactly. */
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
  const err = (field: string, message: string): never => {
    throw new AuthzCompileError(name, field, message);
  };
  if (p.action !== 'ALLOW' && p.action !== 'DENY' && p.action !== 'AUDIT') {
    err('action', `must be ALLOW, DENY or AUDIT (got ${JSON.stringify(p.action)})`);
  }
  const rulesIn: unknown = p.rules ?? [];
  if (!Array.isArray(rulesIn)) err('rules', 'must be a list');
  const rules = (rulesIn as unknown[]).map((r, i) => compileRule(r, `rules[${i}]`, err));
  const verb = p.action === 'DENY' ? 'denied by' : p.action === 'ALLOW' ? 'allowed by' : 'audited by';
  const decisions = rules.map((_, i) => decision(p.action !== 'DENY', `${verb} ${p.action} policy ${name} (rule ${i})`, name));
  return { name, action: p.action, rules, decisions };
}

function stringList(x: unknown, field: string, err: (field: string, message: string) => never): string[] | undefined {
  if (x === undefined || x === null) return undefined;
  if (!Array.isArray(x)) return err(field, 'must be a list of strings');
  // Istio: an empty list is the same as no list.
  return x.length === 0 ? undefined : (x as string[]);
}

function compileRule(r: unknown, at: string, err: (field: string, message: string) => never): CompiledRule {
  if (!isObject(r)) return err(at, 'must be a mapping');
  for (const k of Object.keys(r)) if (!RULE_FIELDS.has(k)) err(`${at}.${k}`, 'unknown field');
  const rule = r as AuthzRule;
  const list = (x: unknown, field: string): unknown[] | null => {
    if (x === undefined || x === null) return null;
    if (!Array.isArray(x)) return err(`${at}.${field}`, 'must be a list');
    return x.length === 0 ? null : x;
  };

  const fromIn = list(rule.from, 'from');
  const from = fromIn === null ? null : fromIn.map((f, j) => {
    const where = `${at}.from[${j}]`;
    if (!isObject(f) || !isObject(f.source)) return err(`${where}.source`, 'is required');
    return compileFields(f.source, `${where}.source`, SOURCE_FIELDS, err, (field, values, label, fail) => {
      const negative = field.startsWith('not');
      switch (field) {
        case 'principals': case 'notPrincipals':
          return stringCheck(label, values, negative, fail, (v) => v.principal(), (v) => v.principal() ?? 'no principal (plaintext)', { rewrite: withSpiffe });
        case 'namespaces': case 'notNamespaces':
          return stringCheck(label, values, negative, fail, (v) => v.namespace(), namespaceShown);
        default:
          return ipCheck(label, values, negative, fail);
      }
    });
  });

  const toIn = list(rule.to, 'to');
  const to = toIn === null ? null : toIn.map((t, j) => {
    const where = `${at}.to[${j}]`;
    if (!isObject(t) || !isObject(t.operation)) return err(`${where}.operation`, 'is required');
    return compileFields(t.operation, `${where}.operation`, OPERATION_FIELDS, err, (field, values, label, fail) => {
      const negative = field.startsWith('not');
      switch (field) {
        case 'methods': case 'notMethods':
          return stringCheck(label, values, negative, fail, (v) => v.req.method, (v) => JSON.stringify(v.req.method));
        case 'paths': case 'notPaths':
          return stringCheck(label, values, negative, fail, (v) => v.req.path, (v) => JSON.stringify(v.req.path));
        case 'hosts': case 'notHosts':
          return hostCheck(label, values, negative, fail);
        default:
          return portCheck(label, values, negative, fail);
      }
    });
  });

  const whenIn = list(rule.when, 'when') ?? [];
  const when = whenIn.map((c, j) => compileCondition(c, `${at}.when[${j}]`, err));
  return { from, to, when };
}

function namespaceShown(v: View): string {
  const ns = v.namespace();
  if (ns !== undefined) return JSON.stringify(ns);
  return v.principal() === undefined ? 'no namespace (plaintext)' : `no namespace in ${v.principal()}`;
}

function compileFields(obj: Record<string, unknown>, at: string, known: Set<string>, err: (field: string, message: string) => never,
  make: (field: string, values: string[], label: string, fail: Fail) => Check): Check[] {
  const checks: Check[] = [];
  for (const [field, raw] of Object.entries(obj)) {
    const label = `${at}.${field}`;
    if (!known.has(field)) err(label, 'unknown or unsupported field');
    const values = stringList(raw, label, err);
    if (values === undefined) continue;
    checks.push(make(field, values, label, (i, message) => err(`${label}[${i}]`, message)));
  }
  // Istio: an empty source or operation is an error, not "match anything".
  if (checks.length === 0) err(at, 'must set at least one field');
  return checks;
}

function compileCondition(c: unknown, at: string, err: (field: string, message: string) => never): Check {
  if (!isObject(c)) return err(at, 'must be a mapping');
  for (const k of Object.keys(c)) if (!CONDITION_FIELDS.has(k)) err(`${at}.${k}`, 'unknown field');
  const key = c.key;
  if (typeof key !== 'string' || key === '') return err(`${at}.key`, 'is required');
  const values = stringList(c.values, `${at}.values`, err);
  const notValues = stringList(c.notValues, `${at}.notValues`, err);
  if (values === undefined && notValues === undefined) err(at, `values or notValues is required for ${key}`);
  const label = `${at}[${key}]`;
  const fail = (f: string): Fail => (i, message) => err(`${at}.${f}[${i}]`, message);

  const header = /^request\.headers\[(.+)\]$/.exec(key);
  if (header !== null) {
    if (!/^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/.test(header[1])) err(`${at}.key`, `invalid header name ${JSON.stringify(header[1])}`);
    return headerCheck(label, header[1].toLowerCase(), values, notValues, fail);
  }
  switch (key) {
    case 'source.principal':
      return conditionCheck(label, values, notValues, (vals, neg, f) => stringCheck(label, vals, neg, f, (v) => v.principal(), (v) => v.principal() ?? 'no principal (plaintext)', { rewrite: withSpiffe }), fail);
    case 'source.namespace':
      return conditionCheck(label, values, notValues, (vals, neg, f) => stringCheck(label, vals, neg, f, (v) => v.namespace(), namespaceShown), fail);
    case 'source.ip':
    case 'remote.ip': // weft does not derive a client address from X-Forwarded-For: the peer address it is.
      return conditionCheck(label, values, notValues, (vals, neg, f) => ipCheck(label, vals, neg, f), fail);
    case 'destination.port':
      return conditionCheck(label, values, notValues, (vals, neg, f) => portCheck(label, vals, neg, f), fail);
    default:
      return err(`${at}.key`, key.startsWith('request.auth.')
        ? `${key} is not implemented: weft has no request (JWT) authentication`
        : `unsupported condition key ${JSON.stringify(key)}`);
  }
}

// --- evaluate -------------------------------------------------------------------------------------------

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

// --- explain --------------------------------------------------------------------------------------------

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
