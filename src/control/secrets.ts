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
export function mintProxyToken(key: string, ref: ProxyRef): string {
  // A fresh nonce makes every credential unique to one replica start.
  const claims = Buffer.from(JSON.stringify({ n: ref.name, k: ref.kind, w: ref.workload, ns: ref.namespace, sa: ref.serviceAccount, id: randomBytes(9).toString('base64url') })).toString('base64url');
  const mac = createHmac('sha256', key).update(claims).digest('base64url');
  return `${claims}.${mac}`;
}

export function verifyProxyToken(key: string, name: string, token: string): ProxyRef | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0) return undefined;
  const claims = token.slice(0, dot);
  const want = createHmac('sha256', key).update(claims).digest();
  const got = Buffer.from(token.slice(dot + 1), 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
  try {
    const c = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as { n: string; k: 'sidecar' | 'gateway'; w: string; ns: string; sa: string };
    if (c.n !== name) return undefined;
    if (typeof c.sa !== 'string') return undefined;
    return { name: c.n, kind: c.k, workload: c.w, namespace: c.ns, serviceAccount: c.sa };
  } catch {
    return undefined;
  }
}
