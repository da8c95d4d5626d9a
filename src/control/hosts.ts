// Hosts that join the mesh (`weft join`, docs/fleet.md): an admin creates a one-time join token; a host
// spends it, once and before it expires, and the mesh CA issues the host its identity (a certificate for
// spiffe://<trust domain>/ns/weft-system/sa/host-<name>). With it, over mTLS, the host's runtime may do what
// a runtime does, for its own workloads only: read the config, report its own endpoints, and get bootstrap
// credentials for the proxies of the Workloads assigned to it (`spec.host`). Only SHA-256 digests of
// tokens are stored; a host that is forgotten (its record removed) is refused whatever certificate it has.
import { createHash, randomBytes } from 'node:crypto';
import type { Store } from './store/store.js';
import type { AnyResource } from '../api/types.js';
import type { ProxyRef } from './translate/index.js';

const TOKENS = 'join-tokens';
const HOSTS = 'hosts';
/** The name the runtime that runs the control plane reports under: no joined host may take it. */
export const LOCAL_HOST = 'local';
export const HOST_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const DEFAULT_JOIN_TOKEN_TTL_MS = 15 * 60_000;
/** A joined host's identity: spiffe://<trust domain>/ns/weft-system/sa/host-<name>, issued by the mesh CA. */
export const HOST_NAMESPACE = 'weft-system';
export const HOST_ACCOUNT_PREFIX = 'host-';
/** How long a host's certificate lasts; `weft join` renews it when a third of that is left. */
export const HOST_CERT_TTL_SECONDS = 7 * 24 * 3600;
export const MAX_JOIN_TOKEN_TTL_MS = 24 * 3_600_000;

interface HostRecord { joinedAt: string }

const digest = (s: string): string => createHash('sha256').update(s).digest('hex');

export type JoinResult = { ok: true; host: string } | { ok: false; status: number; error: string };

export class Hosts {
  constructor(private readonly store: Store, private readonly now: () => number = () => Date.now()) {}

  /** A new one-time join token, valid for `ttlMs`. */
  async createToken(ttlMs = DEFAULT_JOIN_TOKEN_TTL_MS): Promise<{ token: string; expiresAt: string }> {
    if (!(ttlMs >= 1000 && ttlMs <= MAX_JOIN_TOKEN_TTL_MS)) throw new RangeError(`a join token lives between 1s and 24h (got ${ttlMs} ms)`);
    const token = `wjt.${randomBytes(32).toString('base64url')}`;
    const now = this.now();
    const live = Object.fromEntries(Object.entries(this.tokens()).filter(([, exp]) => exp > now));
    await this.store.putState(TOKENS, { ...live, [digest(token)]: now + ttlMs });
    return { token, expiresAt: new Date(now + ttlMs).toISOString() };
  }

  /** Spends a join token for `host` (a host may join again, with a new token, e.g. for a new certificate). */
  async join(token: unknown, host: unknown): Promise<JoinResult> {
    if (typeof host !== 'string' || !HOST_NAME.test(host)) return { ok: false, status: 400, error: `host must be a DNS label (lower-case letters, digits and "-", at most 63), got ${JSON.stringify(host)}` };
    if (host === LOCAL_HOST) return { ok: false, status: 400, error: `"${LOCAL_HOST}" is the name of the host that runs the control plane; choose another` };
    if (typeof token !== 'string' || token === '') return { ok: false, status: 400, error: 'token is required' };
    const tokens = this.tokens();
    const d = digest(token);
    const exp = tokens[d];
    // Spent, unknown and expired tokens get the same answer: nothing to learn from guessing.
    if (exp === undefined || exp <= this.now()) return { ok: false, status: 403, error: 'join token unknown, already used or expired; create one with `weft token create`' };
    const { [d]: _spent, ...rest } = tokens;
    await this.store.putState(TOKENS, rest);
    await this.store.putState(HOSTS, { ...this.hosts(), [host]: { joinedAt: new Date(this.now()).toISOString() } satisfies HostRecord });
    return { ok: true, host };
  }

  /** Whether `host` has joined. */
  has(host: string): boolean {
    return Object.hasOwn(this.hosts(), host);
  }

  /** The joined host a peer's SPIFFE ID names (spiffe://<td>/ns/weft-system/sa/host-<name>), if any. */
  hostOf(spiffeId: string, trustDomain: string): string | undefined {
    const prefix = `spiffe://${trustDomain}/ns/${HOST_NAMESPACE}/sa/${HOST_ACCOUNT_PREFIX}`;
    if (!spiffeId.startsWith(prefix)) return undefined;
    const name = spiffeId.slice(prefix.length);
    return HOST_NAME.test(name) && this.has(name) ? name : undefined;
  }

  list(): { name: string; joinedAt: string }[] {
    return Object.entries(this.hosts()).map(([name, r]) => ({ name, joinedAt: r.joinedAt })).sort((a, b) => a.name.localeCompare(b.name));
  }

  private tokens(): Record<string, number> {
    return this.store.getState<Record<string, number>>(TOKENS) ?? {};
  }

  private hosts(): Record<string, HostRecord> {
    return this.store.getState<Record<string, HostRecord>>(HOSTS) ?? {};
  }
}

/**
 * Whether `host` may have a bootstrap credential for the proxy `ref`: a sidecar replica
 * ("<workload>-<n>") of a Workload assigned to that host, with that Workload's service account.
 */
export function mayRunProxy(objects: readonly AnyResource[], host: string, ref: ProxyRef, defaultNamespace: string): string | undefined {
  if (ref.kind !== 'sidecar') return `a host runs sidecars only, not ${JSON.stringify(ref.kind)}`;
  const w = objects.find((o) => o.kind === 'Workload' && o.metadata.name === ref.workload && (o.metadata.namespace ?? defaultNamespace) === ref.namespace);
  if (w === undefined || w.kind !== 'Workload') return `no Workload ${ref.namespace}/${ref.workload}`;
  if ((w.spec.host ?? LOCAL_HOST) !== host) return `Workload ${ref.namespace}/${ref.workload} runs on ${w.spec.host === undefined ? 'the control plane\'s host' : `host ${w.spec.host}`}, not ${host}`;
  if (!new RegExp(`^${ref.workload.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d+$`).test(ref.name)) return `proxy name ${ref.name} is not a replica of ${ref.workload}`;
  if (ref.serviceAccount !== (w.spec.serviceAccount ?? 'default')) return `Workload ${ref.workload} runs as service account ${w.spec.serviceAccount ?? 'default'}, not ${ref.serviceAccount}`;
  return undefined;
}
