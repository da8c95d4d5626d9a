// The terminal service: sends the request to ctx.endpoint over a pooled keep-alive connection and streams
// the response back. Bodies stream both ways; nothing is buffered whole.
import type { Dispatcher } from 'undici';
import type { Service } from '../stack/index.js';
import type { Ctx, HeaderMap } from '../context.js';
import { classifyUpstreamError, ProxyError } from '../errors.js';
import { stripHopByHop } from './request.js';
import type { Pools } from './pools.js';
import { RequestBody } from './body.js';

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

/**
 * Raw response headers ([name, value, name, value, ...] as undici hands them over) as a header map with
 * lower-case names; repeated headers become arrays, as node:http does. Latin-1 keeps every byte as it came.
 */
export function headerMap(raw: readonly (Buffer | string)[]): HeaderMap {
  const h: HeaderMap = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i]!.toString('latin1').toLowerCase();
    const v = raw[i + 1]!.toString('latin1');
    const had = h[k];
    if (had === undefined) h[k] = v;
    else if (Array.isArray(had)) had.push(v);
    else h[k] = [had, v];
  }
  return h;
}

// The request goes out through undici's dispatch() with a handler that writes the response straight into
// ctx.res: no body stream object and no pipe() per request (request() would make both). Backpressure is
// kept: onData returns false while the client's socket is full, and the response's 'drain' resumes.
function send(ctx: Ctx, pool: Dispatcher, name: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const body = hasBody(ctx) ? new RequestBody(ctx.req) : null;
    const res = ctx.res;
    let abort: ((err?: Error) => void) | undefined;
    let headersSent = false;
    let done = false;
    ctx.upstreamStart = process.hrtime.bigint();
    const handler = {
      onConnect(a: (err?: Error) => void) {
        abort = a;
        if (res.destroyed) a();
      },
      onHeaders(statusCode: number, raw: Buffer[], resume: () => void) {
        if (statusCode < 200) return true; // 1xx: informational, the final response follows
        ctx.upstreamHeaders = process.hrtime.bigint();
        const headers = headerMap(raw);
        stripHopByHop(headers);
        if (ctx.onResponseHeaders !== undefined) ctx.onResponseHeaders(headers);
        if (res.destroyed) {
          done = true;
          abort?.();
          resolve();
          return false;
        }
        res.writeHead(statusCode, headers as Record<string, string | string[]>);
        headersSent = true;
        res.on('drain', resume);
        res.on('close', () => {
          // The client went away mid-response: stop reading from the endpoint.
          if (!res.writableFinished && !done) abort?.();
        });
        return true;
      },
      onData(chunk: Buffer) {
        return res.write(chunk);
      },
      onComplete() {
        if (done) return;
        done = true;
        res.end();
        resolve();
      },
      onError(err: Error) {
        if (done) return;
        done = true;
        reject(classifyUpstreamError(err, name, headersSent));
      },
    };
    pool.dispatch(
      {
        method: ctx.method as Dispatcher.HttpMethod,
        path: ctx.query === '' ? ctx.path : `${ctx.path}?${ctx.query}`,
        headers: ctx.headers as Record<string, string | string[]>,
        body,
      },
      handler as unknown as Dispatcher.DispatchHandler,
    );
  });
}
