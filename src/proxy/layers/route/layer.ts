// The route and split layers of the outbound/gateway stack, thin wrappers over the pure functions beside them.
// route: which HTTPRoute rule (404 no-route); answers a rule's RequestRedirect itself.
// split: which weighted backend (500 backend-not-found); runs that backend's filters (rule's + backend's)
// and sets ctx.cluster for the balancer below.
import type { Layer } from '../../stack/index.js';
import type { Ctx } from '../../context.js';
import { ProxyError } from '../../errors.js';
import { CompiledRoute } from './compile.js';
import { matchRoute } from './match.js';
import { applyRequestFilters, applyResponseFilters, computeRedirect, type CompiledRedirect, type FilterChain, type HeaderMap } from './filters.js';

/** The routes that apply to a request (by service host, fixed per service port, or by virtual host). */
export type RouteTable = (ctx: Ctx) => readonly CompiledRoute[] | undefined;

export function route(table: RouteTable): Layer<Ctx> {
  return (inner) => (ctx) => {
    const routes = table(ctx);
    // Match on what the client sent, not on headers earlier layers added (x-forwarded-*).
    const r = routes === undefined ? undefined : matchRoute(routes, ctx.method, ctx.path, ctx.query, ctx.reqHeaders);
    if (r === undefined) return Promise.reject(new ProxyError('no-route', `${ctx.method} ${ctx.authority}${ctx.path}`));
    // The compiled route is its own RouteDecision (it has `name`), so deciding allocates nothing.
    ctx.route = r;
    ctx.timeouts = r.entry.timeouts;
    const f = r.filters;
    if (f.unsupported !== null) return Promise.reject(unsupported(r, f));
    if (f.redirect !== null) {
      respondRedirect(ctx, f.redirect, f);
      return Promise.resolve();
    }
    return inner(ctx);
  };
}

/** `rand` is injectable so tests can be deterministic. */
export function split(rand: () => number = Math.random): Layer<Ctx> {
  return (inner) => (ctx) => {
    const r = ctx.route;
    if (!(r instanceof CompiledRoute)) return Promise.reject(new ProxyError('internal', 'split: no route was decided'));
    const b = r.pick(rand());
    if (b === undefined) return Promise.reject(new ProxyError('backend-not-found', `route ${r.name}: no backend with weight > 0`));
    const f = b.filters;
    if (f.unsupported !== null) return Promise.reject(unsupported(r, f));
    if (f.redirect !== null) {
      respondRedirect(ctx, f.redirect, f);
      return Promise.resolve();
    }
    if (b.cluster === null) return Promise.reject(new ProxyError('backend-not-found', `route ${r.name}: backend ${b.snap.ref}`));
    ctx.cluster = b.cluster;
    if (!f.requestNoop) ctx.path = applyRequestFilters(f, ctx.headers, ctx.path);
    const onRes = f.onResponseHeaders;
    if (onRes !== null) {
      const prev = ctx.onResponseHeaders;
      ctx.onResponseHeaders = prev === undefined ? onRes : (h) => (prev(h), onRes(h));
    }
    return inner(ctx);
  };
}

function unsupported(r: CompiledRoute, f: FilterChain): ProxyError {
  return new ProxyError('internal', `route ${r.name}: filter type ${f.unsupported} is not supported`);
}

function respondRedirect(ctx: Ctx, redirect: CompiledRedirect, f: FilterChain): void {
  // The port defaults come from the Host header (and the scheme), which on a gateway carries the listener port.
  const { statusCode, location } = computeRedirect(redirect, {
    scheme: ctx.scheme,
    authority: ctx.authority,
    path: ctx.path,
    query: ctx.query,
  });
  const headers: HeaderMap = { location, 'content-length': '0' };
  applyResponseFilters(f, headers);
  ctx.res.writeHead(statusCode, headers);
  ctx.res.end();
}
