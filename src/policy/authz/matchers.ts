// Matchers: one field of a source or operation, or one `when` condition, compiled into a Check that tests a
// request's View. Values are prepared here once (value sets, prefix/suffix lists, parsed CIDRs, lower-cased
// names), so a test allocates nothing.
//
// A positive field (principals, namespaces, hosts, `values`) never matches a missing attribute; a negative
// field (notPrincipals, notNamespaces, notHosts, `notValues`) always does.

import { cidrContains, parseCidr, type Cidr } from '../../api/ip.js';
import { portProblem, wildcardProblem } from '../../api/kinds/authz-values.js';
import { SPIFFE_PREFIX as SPIFFE } from '../../identity/spiffe-id.js';
import type { View } from './view.js';

/** Reports an invariant the validated input broke: the index of the value and why. */
export type Fail = (i: number, message: string) => never;

export interface Check {
  /** Field path in the policy, e.g. "rules[0].from[1].source.principals". */
  readonly label: string;
  /** The policy's values, for explanations. */
  readonly want: string;
  readonly negative: boolean;
  test(v: View): boolean;
  /** The request's attribute, for explanations. */
  show(v: View): string;
}

// --- value matching: exact, "prefix*", "*suffix", "*" (present and non-empty) --------------------------

class ValueMatcher {
  private any = false;
  private readonly exact = new Set<string>();
  private readonly prefixes: string[] = [];
  private readonly suffixes: string[] = [];

  /** `rewrite` maps an exact value or a prefix before use (e.g. adds "spiffe://"). */
  constructor(values: readonly string[], fail: Fail, lower = false, rewrite?: (s: string) => string) {
    values.forEach((raw, i) => {
      // Validation refused these; the matcher would silently read them as something else.
      const problem = wildcardProblem(raw);
      if (problem !== undefined) fail(i, problem);
      const v = lower ? raw.toLowerCase() : raw;
      if (v === '*') this.any = true;
      else if (!v.includes('*')) this.exact.add(rewrite ? rewrite(v) : v);
      else if (v.endsWith('*')) this.prefixes.push(rewrite ? rewrite(v.slice(0, -1)) : v.slice(0, -1));
      else this.suffixes.push(v.slice(1));
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

function namespaceShown(v: View): string {
  const ns = v.namespace();
  if (ns !== undefined) return JSON.stringify(ns);
  return v.principal() === undefined ? 'no namespace (plaintext)' : `no namespace in ${v.principal()}`;
}

/** principals, notPrincipals, source.principal: "cluster.local/ns/a/sa/b" and "spiffe://cluster.local/..." alike. */
export function principalCheck(label: string, values: readonly string[], negative: boolean, fail: Fail): Check {
  return stringCheck(label, values, negative, fail, (v) => v.principal(), (v) => v.principal() ?? 'no principal (plaintext)', { rewrite: withSpiffe });
}

/** namespaces, notNamespaces, source.namespace: the namespace in the peer's SPIFFE ID. */
export function namespaceCheck(label: string, values: readonly string[], negative: boolean, fail: Fail): Check {
  return stringCheck(label, values, negative, fail, (v) => v.namespace(), namespaceShown);
}

export function methodCheck(label: string, values: readonly string[], negative: boolean, fail: Fail): Check {
  return stringCheck(label, values, negative, fail, (v) => v.req.method, (v) => JSON.stringify(v.req.method));
}

/** paths, notPaths: against the normalized path (case-sensitive). */
export function pathCheck(label: string, values: readonly string[], negative: boolean, fail: Fail): Check {
  return stringCheck(label, values, negative, fail, (v) => v.req.path, (v) => JSON.stringify(v.req.path));
}

/** Hosts: values with a port are matched against the Host as received, the others against it without port. */
export function hostCheck(label: string, values: readonly string[], negative: boolean, fail: Fail): Check {
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

/** ipBlocks, notIpBlocks, source.ip: the peer address against CIDR blocks (src/api/ip.ts). */
export function ipCheck(label: string, values: readonly string[], negative: boolean, fail: Fail): Check {
  const cidrs: Cidr[] = values.map((s, i) => {
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

/** ports, notPorts, destination.port: the port the request arrived on. */
export function portCheck(label: string, values: readonly string[], negative: boolean, fail: Fail): Check {
  const ports = new Set<number>();
  values.forEach((s, i) => {
    const problem = portProblem(s);
    if (problem !== undefined) fail(i, problem);
    ports.add(Number(s));
  });
  return {
    label, want: JSON.stringify(values), negative,
    show: (v) => String(v.req.port),
    test: negative ? (v) => !ports.has(v.req.port) : (v) => ports.has(v.req.port),
  };
}

/**
 * request.headers[name]: values and/or notValues, each value of a repeated header tested on its own.
 * `values` matches if any value matches one of them; `notValues` matches if the header is absent or any
 * value matches none of them, so a DENY condition cannot be dodged by repeating a header.
 */
export function headerCheck(label: string, name: string, values: readonly string[] | undefined, notValues: readonly string[] | undefined, fail: (f: string) => Fail): Check {
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

/** A `when` condition on a single-valued attribute: values AND notValues (at least one of them is set). */
export function conditionCheck(label: string, values: readonly string[] | undefined, notValues: readonly string[] | undefined,
  make: (label: string, values: readonly string[], negative: boolean, fail: Fail) => Check, fail: (f: string) => Fail): Check {
  const yes = values !== undefined ? make(label, values, false, fail('values')) : undefined;
  const no = notValues !== undefined ? make(label, notValues, true, fail('notValues')) : undefined;
  const one = (yes ?? no)!;
  return {
    label,
    want: [yes !== undefined ? `values ${yes.want}` : '', no !== undefined ? `notValues ${no.want}` : ''].filter(Boolean).join(' '),
    negative: false,
    show: one.show,
    test: yes !== undefined && no !== undefined ? (v) => yes.test(v) && no.test(v) : one.test,
  };
}
