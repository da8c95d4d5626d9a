// RequestMirror: picks, per request, which shadow targets get a copy (each filter's percent) and one ready
// endpoint of each; the forwarder sends the copies beside the real request (src/proxy/engine/mirror.ts).
import type { Layer } from '../../stack/index.js';
import type { Ctx } from '../../context.js';
import type { Balancer } from '../../balance/index.js';
import type { Pools } from '../../engine/pools.js';
import type { UpstreamPool } from '../../engine/client.js';
import { mirrorStats } from '../../engine/forward.js';

export function mirror(balancers: ReadonlyMap<string, Balancer>, pools: Pools, random: () => number = Math.random): Layer<Ctx> {
  return (inner) => (ctx) => {
    const list = ctx.route?.mirrors;
    if (list === undefined) return inner(ctx);
    let targets: UpstreamPool[] | undefined;
    for (const m of list) {
      if (m.cluster === null) continue;
      if (m.percent < 100 && random() * 100 >= m.percent) continue;
      const ep = balancers.get(m.cluster)?.pick();
      if (ep === undefined) {
        mirrorStats.skipped++;
        continue;
      }
      (targets ??= []).push(pools.get(ep.address, ep.port, ep.tls));
    }
    ctx.mirrors = targets;
    return inner(ctx);
  };
}
