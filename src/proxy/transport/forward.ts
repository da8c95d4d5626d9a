// The terminal service: sends the request to ctx.endpoint over a pooled keep-alive connection and streams
// the response back. Bodies stream both ways; nothing is buffered whole.
import type { Dispatcher } from 'undici';
import type { Service } from '../stack/index.js';
import type { Ctx, HeaderMap } from '../context.js';
import { classifyUpstreamError, ProxyError } from '../errors.js';
import { connectionTokens, HOP_BY_HOP } from './request.js';
import { headerNameToString } from './undici.js';
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
 * lower-case names, minus hop-by-hop headers and any the Connection header names (RFC 9110 section 7.6.1).
 * Repeated headers become arrays, as node:http does. Latin-1 keeps every byte as it came. One pass that
 * never deletes, so the map stays a fast object for writeHead to walk.
 */
export function responseHeaders(raw: readonly (Buffer | string)[]): HeaderMap {
  const h: HeaderMap = {};
  let connection: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = headerNameToString(raw[i]!);
    const v = raw[i + 1]!.toString('latin1');
    if (HOP_BY_HOP.has(k)) {
      if (k === 'connection') connection = connection === undefined ? v : `${connection},${v}`;
      continue;
    }
    const had = h[k];
    if (had === undefined) h[k] = v;
    else if (Array.isArray(had)) had.push(v);
    else h[k] = [had, v];
  }
  if (connection !== undefined) {
    for (const name of connectionTokens(connection)) if (h[name] !== undefined) delete h[name];
  }
  return h;
}

// The request goes out through undici's dispatch() with a handler that writes the response straight into
// ctx.res: no body stream object and no pipe() per request (request() would make both). Backpressure is
// kept: onData returns false while the client's socket is full, and the response's next 'drain' resumes.
// The handler is one object per request with its methods on the prototype and one closure (the
// client-close listener), where an object literal would make a closure per method per request.
class Exchange {
  private abort: ((err?: Error) => void) | undefined = undefined;
  private headersSent = false;
  private resumeRead: (() => void) | undefined = undefined;
  private done = false;

  constructor(
    private readonly ctx: Ctx,
    private readonly res: Ctx['res'],
    private readonly name: string,
    private readonly resolve: () => void,
    private readonly reject: (e: unknown) => void,
  ) {}

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort;
    if (this.res.destroyed) abort();
  }

  onHeaders(statusCode: number, raw: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx: informational, the final response follows
    const ctx = this.ctx;
    const res = this.res;
    ctx.upstreamHeaders = process.hrtime.bigint();
    const headers = responseHeaders(raw);
    if (ctx.onResponseHeaders !== undefined) ctx.onResponseHeaders(headers);
    if (res.destroyed) {
      this.done = true;
      this.abort?.();
      this.resolve();
      return false;
    }
    res.writeHead(statusCode, headers as Record<string, string | string[]>);
    this.headersSent = true;
    this.resumeRead = resume;
    res.on('close', this.onClientClose);
    return true;
  }

  /** The client went away mid-response: stop reading from the endpoint. */
  private readonly onClientClose = (): void => {
    if (!this.res.writableFinished && !this.done) this.abort?.();
  };

  onData(chunk: Buffer): boolean {
    if (this.res.write(chunk)) return true;
    // The client's socket is full: undici stops reading until 'drain' (a listener only when needed).
    this.res.once('drain', this.resumeRead!);
    return false;
  }

  onComplete(): void {
    if (this.done) return;
    this.done = true;
    this.res.end();
    this.resolve();
  }

  onError(err: Error): void {
    if (this.done) return;
    this.done = true;
    this.reject(classifyUpstreamError(err, this.name, this.headersSent));
  }
}

function send(ctx: Ctx, pool: Dispatcher, name: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const body = hasBody(ctx) ? new RequestBody(ctx.req) : null;
    ctx.upstreamStart = process.hrtime.bigint();
    pool.dispatch(
      {
        method: ctx.method as Dispatcher.HttpMethod,
        path: ctx.query === '' ? ctx.path : `${ctx.path}?${ctx.query}`,
        headers: ctx.headers as Record<string, string | string[]>,
        body,
      },
      new Exchange(ctx, ctx.res, name, resolve, reject) as unknown as Dispatcher.DispatchHandler,
    );
  });
}
