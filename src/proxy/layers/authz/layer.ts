// Authz: every inbound request is checked against the AuthorizationPolicies that select this workload,
// with the peer identity verified by mTLS. Compiled once per snapshot; nothing to do when none apply.
import type { Layer } from '../../stack/index.js';
import type { Ctx } from '../../context.js';
import { ProxyError } from '../../errors.js';
import { authorize, compileAuthz, type AuthzPolicySnap } from '../../../policy/authz/index.js';

export interface AuthzParams {
  policies: readonly AuthzPolicySnap[];
  /** The workload port requests arrive for (what `ports` and destination.port match). */
  port: number;
  log: (msg: string) => void;
}

export function authz(p: AuthzParams): Layer<Ctx> {
  if (p.policies.length === 0) return (inner) => inner;
  const compiled = compileAuthz(p.policies);
  return (inner) => (ctx) => {
    const d = authorize(compiled, {
      principal: ctx.peer?.spiffeId,
      sourceIp: ctx.conn.remoteAddress,
      method: ctx.method,
      path: ctx.path,
      host: ctx.authority,
      port: p.port,
      headers: ctx.reqHeaders,
    });
    if (d.audited.length > 0) p.log(`audit ${d.audited.join(',')}: ${ctx.method} ${ctx.path} from ${ctx.peer?.spiffeId ?? 'plaintext'} -> ${d.allowed ? 'allowed' : 'denied'}`);
    if (!d.allowed) {
      p.log(`denied ${ctx.method} ${ctx.path} from ${ctx.peer?.spiffeId ?? 'plaintext'}: ${d.policy ? `policy ${d.policy}` : d.reason}`);
      // The caller learns which policy said no, never what the policy contains.
      return Promise.reject(new ProxyError('rbac-denied', d.policy ?? 'no ALLOW policy matched', { public: d.policy ? `policy ${d.policy}` : 'no ALLOW policy matched' }));
    }
    return inner(ctx);
  };
}
