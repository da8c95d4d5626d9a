// Balance: the chosen backend cluster -> one ready endpoint of it.
import type { Layer } from '../stack/index.js';
import type { Ctx } from '../context.js';
import { ProxyError } from '../errors.js';
import type { Balancer } from './index.js';

export function balance(balancers: ReadonlyMap<string, Balancer>): Layer<Ctx> {
  return (inner) => (ctx) => {
    const cluster = ctx.cluster;
    const b = cluster === undefined ? undefined : balancers.get(cluster);
    if (b === undefined) return Promise.reject(new ProxyError('backend-not-found', `cluster ${cluster ?? '(none)'}`));
    const ep = b.pick();
    if (ep === undefined) return Promise.reject(new ProxyError('no-healthy-endpoint', `${cluster}: no ready endpoint`));
    ctx.endpoint = ep;
    return inner(ctx);
  };
}
