// Turns an accepted HTTP/1.1 request into a Ctx: target parsing (origin-form and the absolute-form that
// HTTP_PROXY clients send) and the hop-by-hop header rules of RFC 9110 section 7.6.1.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Ctx, HeaderMap } from '../context.js';
import { ProxyError } from '../errors.js';

export const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect', 'http2-settings',
]);

/** The header names a Connection header value lists (lower-case), which are hop-by-hop too. */
export function connectionTokens(value: string | readonly string[]): string[] {
  return (typeof value === 'string' ? value : value.join(',')).toLowerCase().split(',').map((s) => s.trim());
}

/** Copies headers minus hop-by-hop ones, including any the Connection header names. */
export function endToEndHeaders(src: HeaderMap): HeaderMap {
  const out: HeaderMap = {};
  const conn = src['connection'];
  const named = conn ? connectionTokens(conn) : undefined;
  for (const k in src) {
    if (HOP_BY_HOP.has(k)) continue;
    if (named !== undefined && named.includes(k)) continue;
    out[k] = src[k];
  }
  return out;
}

/**
 * Builds the context for a request. Throws ProxyError('bad-request') for a target we cannot forward
 * (CONNECT, https absolute-form, garbage); `scheme` is how the client reached this listener.
 */
export function makeCtx(req: IncomingMessage, res: ServerResponse, scheme: string): Ctx {
  const url = req.url ?? '';
  let authority = req.headers.host ?? '';
  let target = url;
  if (url.charCodeAt(0) !== 47 /* / */) {
    if (url.startsWith('http://')) {
      let end = url.indexOf('/', 7);
      const q = url.indexOf('?', 7);
      if (q !== -1 && (end === -1 || q < end)) end = q;
      authority = end === -1 ? url.slice(7) : url.slice(7, end);
      target = end === -1 ? '/' : url[end] === '?' ? '/' + url.slice(end) : url.slice(end);
      const at = authority.lastIndexOf('@');
      if (at !== -1) authority = authority.slice(at + 1);
    } else if (req.method === 'OPTIONS' && url === '*') {
      target = '*';
    } else {
      throw new ProxyError('bad-request', req.method === 'CONNECT' ? 'CONNECT is not supported' : `unsupported request target "${url.slice(0, 64)}"`);
    }
  }
  if (authority === '') throw new ProxyError('bad-request', 'missing Host');
  const qi = target.indexOf('?');
  const headers = endToEndHeaders(req.headers as HeaderMap);
  headers['host'] = authority;
  return {
    req,
    res,
    start: process.hrtime.bigint(),
    method: req.method ?? 'GET',
    path: qi === -1 ? target : target.slice(0, qi),
    query: qi === -1 ? '' : target.slice(qi + 1),
    authority,
    scheme,
    headers,
  };
}

/** Lower-cased host without port (IPv6 brackets kept off), for name lookups. */
export function hostOf(authority: string): { host: string; port: number | undefined } {
  let host = authority;
  let port: number | undefined;
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    const rest = host.slice(close + 1);
    if (rest.startsWith(':')) port = Number(rest.slice(1));
    host = host.slice(1, close);
  } else {
    const c = host.lastIndexOf(':');
    if (c !== -1) {
      port = Number(host.slice(c + 1));
      host = host.slice(0, c);
    }
  }
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) port = undefined;
  return { host: host.toLowerCase(), port };
}
