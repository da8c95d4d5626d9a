// Balance: the chosen backend cluster -> one ready endpoint of it. For the hashing balancers it computes
// the request's key (a header, a cookie it sets when missing, or the source address); for the balancers
// that learn from traffic it reports each attempt's time in flight and time to the response head.
import { randomBytes } from 'node:crypto';
import type { Layer } from '../stack/index.js';
import type { Ctx } from '../context.js';
import { ProxyError } from '../errors.js';
import type { Balancer } from './index.js';
import { hash32 } from './hash.js';
import { outcomeOf } from './outlier.js';
import { HealthyBalancer } from './healthy.js';
import type { HashOnSnap } from '../../api/traffic.js';

export function balance(balancers: ReadonlyMap<string, Balancer>): Layer<Ctx> {
  return (inner) => (ctx) => {
    const cluster = ctx.cluster;
    const b = cluster === undefined ? undefined : balancers.get(cluster);
    if (b === undefined) return Promise.reject(new ProxyError('backend-not-found', `cluster ${cluster ?? '(none)'}`));
    const ep = b.pick(b.hashOn === undefined ? undefined : hashKey(ctx, b.hashOn));
    if (ep === undefined) return Promise.reject(new ProxyError('no-healthy-endpoint', `${cluster}: no ready endpoint`));
    ctx.endpoint = ep;
    // The forwarder tells the endpoint's load when the attempt ends (no closure or promise per request).
    // With one endpoint there is nothing to choose between, so nothing to learn.
    const tracker = b.load;
    if (tracker !== undefined && b.size > 1) {
      const l = tracker.of(ep);
      ctx.load = l;
      ctx.loadStart = l.start();
    }
    // Outlier detection hears how each attempt on the endpoint ended (a closure only for clusters that have it).
    return b instanceof HealthyBalancer && b.detector !== undefined ? reportTo(b, ep, ctx, inner) : inner(ctx);
  };
}

function reportTo(b: HealthyBalancer, ep: NonNullable<Ctx['endpoint']>, ctx: Ctx, inner: (ctx: Ctx) => Promise<void>): Promise<void> {
  return inner(ctx).then(
    () => b.report(ep, outcomeOf(ctx.res.statusCode, undefined)),
    (e: unknown) => {
      b.report(ep, outcomeOf(0, e));
      throw e;
    },
  );
}

/** The request's hash key, or undefined (a random endpoint) when it has none. */
function hashKey(ctx: Ctx, on: HashOnSnap): number | undefined {
  if ('header' in on) {
    const v = ctx.reqHeaders[on.header];
    return v === undefined ? undefined : hash32(typeof v === 'string' ? v : v.join(','));
  }
  if ('sourceIP' in on) {
    const a = ctx.conn.remoteAddress;
    return a === undefined ? undefined : hash32(a);
  }
  const c = on.cookie;
  const found = cookieValue(ctx.reqHeaders.cookie, c.name);
  if (found !== undefined) return hash32(found);
  // No cookie yet: make one and set it on the response, so this client's next requests hash the same.
  const value = randomBytes(12).toString('hex');
  const set = `${c.name}=${value}; Path=${c.path}${c.ttlSeconds > 0 ? `; Max-Age=${c.ttlSeconds}` : ''}; HttpOnly`;
  const prev = ctx.onResponseHeaders;
  ctx.onResponseHeaders = (h) => {
    prev?.(h);
    const had = h['set-cookie'];
    h['set-cookie'] = had === undefined ? set : Array.isArray(had) ? [...had, set] : [had, set];
  };
  return hash32(value);
}

function cookieValue(header: string | string[] | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const line of typeof header === 'string' ? [header] : header) {
    for (const part of line.split(';')) {
      const eq = part.indexOf('=');
      if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
    }
  }
  return undefined;
}
