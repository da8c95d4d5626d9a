// The terminal service: sends the request to ctx.endpoint over a pooled keep-alive connection and streams
// the response back. Bodies stream both ways; nothing is buffered whole.
import type { Dispatcher } from 'undici';
import type { Service } from '../stack/index.js';
import type { Ctx, HeaderMap } from '../context.js';
import { classifyUpstreamError, ProxyError } from '../errors.js';
import { stripHopByHop } from './request.js';
import type { Pools } from './pools.js';

export function forward(pools: Pools): Service<Ctx> {
  return (ctx) => {
    const ep = ctx.endpoint;
    if (ep === undefined) return Promise.reject(new ProxyError('internal', 'forward: no endpoint chosen'));
    return send(ctx, pools.get(ep.address, ep.port, ep.tls), `${ep.address}:${ep.port}`);
  };
}

/** Forwards to a fixed pool (the inbound side's local app). */
export function forwardTo(pool: Dispatcher, name: string): Service<Ctx> {
  return (ctx) => send(ctx, pool, name);
}

function hasBody(ctx: Ctx): boolean {
  const h = ctx.req.headers;
  if (h['transfer-encoding'] !== undefined) return true;
  const cl = h['content-length'];
  return cl !== undefined && cl !== '0';
}

function send(ctx: Ctx, pool: Dispatcher, name: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const body = hasBody(ctx) ? ctx.req : null;
    ctx.upstreamStart = process.hrtime.bigint();
    pool.request(
      {
        method: ctx.method as Dispatcher.HttpMethod,
        path: ctx.query === '' ? ctx.path : `${ctx.path}?${ctx.query}`,
        headers: ctx.headers as Record<string, string | string[]>,
        body,
      },
      (err, data) => {
        if (err) {
          reject(classifyUpstreamError(err, name, false));
          return;
        }
        ctx.upstreamHeaders = process.hrtime.bigint();
        const res = ctx.res;
        const headers = data.headers as HeaderMap;
        stripHopByHop(headers);
        if (ctx.onResponseHeaders !== undefined) ctx.onResponseHeaders(headers);
        const up = data.body;
        if (res.destroyed) {
          up.destroy();
          resolve();
          return;
        }
        res.writeHead(data.statusCode, headers as Record<string, string | string[]>);
        res.on('close', () => {
          // The client went away mid-response: stop reading from the endpoint.
          if (!res.writableFinished) up.destroy();
        });
        up.on('error', (e) => {
          reject(classifyUpstreamError(e, name, true));
        });
        up.on('end', () => resolve());
        up.pipe(res);
      },
    );
  });
}
