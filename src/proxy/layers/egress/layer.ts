// Calls to hosts that are not mesh services: with ALLOW_ANY they pass through to the host the app named
// (plain HTTP, the app's own choice of destination); with REGISTRY_ONLY they are refused (502).
import type { Layer, Service } from '../../stack/index.js';
import type { Ctx } from '../../context.js';
import { ProxyError } from '../../errors.js';
import { hostOf } from '../../engine/request.js';
import type { RouteTable } from '../route/layer.js';

export interface EgressParams {
  table: RouteTable;
  policy: 'ALLOW_ANY' | 'REGISTRY_ONLY';
  /** Where passthrough requests go once their endpoint is set: the pooled forwarder. */
  passthrough: Service<Ctx>;
}

export function egress(p: EgressParams): Layer<Ctx> {
  return (inner) => (ctx) => {
    if (p.table(ctx) !== undefined) return inner(ctx);
    if (p.policy === 'REGISTRY_ONLY') return Promise.reject(new ProxyError('registry-only', `${ctx.authority} is not a mesh service`));
    const { host, port } = hostOf(ctx.authority);
    ctx.endpoint = { proxy: '', address: host, port: port ?? 80, ready: true, labels: {}, workload: '', tls: 'plaintext' };
    return p.passthrough(ctx);
  };
}
