// Control-plane secrets for local mode: the admin token (CLI and runtime -> control API) and the key that
// signs proxy bootstrap credentials. Kept in the state directory, readable by the owning user only.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { ProxyRef } from './translate/index.js';

export interface Secrets {
  adminToken: string;
  proxyKey: string;
}

export function loadOrCreateSecrets(stateDir: string): Secrets {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const file = path.join(stateDir, 'secrets.json');
  if (existsSync(file)) {
    const s = JSON.parse(readFileSync(file, 'utf8')) as Secrets;
    if (typeof s.adminToken !== 'string' || typeof s.proxyKey !== 'string') throw new Error(`${file}: not a weft secrets file`);
    return s;
  }
  const s: Secrets = { adminToken: randomBytes(24).toString('base64url'), proxyKey: randomBytes(32).toString('base64url') };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(s), { mode: 0o600 });
  renameSync(tmp, file);
  return s;
}

/**
 * A bootstrap credential binds a proxy name to its workload identity (kind, namespace, workload).
 * The control plane serves a stream only for the identity the credential names. Kubernetes service
 * account tokens will plug in behind the same verify function.
 */
export const TOKEN_TTL_MS = 10 * 60_000;

export function mintProxyToken(key: string, ref: ProxyRef, now = Date.now()): string {
  // A nonce and an expiry: the control plane accepts each credential once, within its lifetime.
  const claims = Buffer.from(JSON.stringify({
    n: ref.name, k: ref.kind, w: ref.workload, ns: ref.namespace, sa: ref.serviceAccount,
    id: randomBytes(12).toString('base64url'), exp: now + TOKEN_TTL_MS,
  })).toString('base64url');
  const mac = createHmac('sha256', key).update(claims).digest('base64url');
  return `${claims}.${mac}`;
}

export interface VerifiedToken extends ProxyRef {
  /** The credential's nonce and expiry, for single-use enforcement. */
  tokenId: string;
  expires: number;
}

export function verifyProxyToken(key: string, name: string, token: string, now = Date.now()): VerifiedToken | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0) return undefined;
  const claims = token.slice(0, dot);
  const want = createHmac('sha256', key).update(claims).digest();
  const got = Buffer.from(token.slice(dot + 1), 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
  try {
    const c = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as { n: string; k: 'sidecar' | 'gateway'; w: string; ns: string; sa: string; id: string; exp: number };
    if (c.n !== name || typeof c.sa !== 'string' || typeof c.id !== 'string' || typeof c.exp !== 'number' || c.exp < now) return undefined;
    return { name: c.n, kind: c.k, workload: c.w, namespace: c.ns, serviceAccount: c.sa, tokenId: c.id, expires: c.exp };
  } catch {
    return undefined;
  }
}

/**
 * Verifies credentials and accepts each one once: `used` maps credential ids to their expiry (pruned as
 * they expire) and is handed to `persist` after every change, so a restart does not reopen used ones.
 */
export function singleUseVerifier(key: string, used: Readonly<Record<string, number>> | (() => Readonly<Record<string, number>>), persist: (used: Record<string, number>) => void) {
  let seen: Record<string, number> = typeof used === 'function' ? {} : { ...used };
  return (name: string, token: string, now = Date.now()): ProxyRef | undefined => {
    const v = verifyProxyToken(key, name, token, now);
    if (v === undefined) return undefined;
    // A shared record (several control planes on one store): what the others spent counts too.
    if (typeof used === 'function') seen = { ...used(), ...seen };
    for (const [id, exp] of Object.entries(seen)) if (exp < now) delete seen[id];
    if (v.tokenId in seen) return undefined;
    seen[v.tokenId] = v.expires;
    persist(seen);
    return { name: v.name, kind: v.kind, workload: v.workload, namespace: v.namespace, serviceAccount: v.serviceAccount };
  };
}
