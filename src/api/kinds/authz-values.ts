// AuthorizationPolicy's value syntax and its table of `when` keys: what its validator
// (authorization-policy.ts) reports on and what the authorization engine (src/policy/authz) compiles with,
// so the two cannot disagree. The proxy loads this module: it imports nothing but types.

import type { Issue } from '../source.js';

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
