// Turns a parsed request head into the Ctx the layers see: the target (origin-form, and the absolute-form
// that HTTP_PROXY clients send), a validated authority, the headers as the client sent them and a copy
// without hop-by-hop headers for the next hop. Anything that cannot be routed safely is a 400 here,
// before routing or authorization sees it.
import type { Ctx, HeaderMap } from '../context.js';
import { ProxyError } from '../errors.js';
import { latin1, type HeadParser } from './head.js';
import { HOP_BY_HOP, connectionTokens } from './wire.js';
import type { ServerConn } from './server.js';

// Methods as shared strings, so the common ones are not decoded per request.
const METHODS = new Map<string, string>();
for (const m of ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE']) METHODS.set(m, m);

const HEX = /^[0-9A-Fa-f]{2}$/;
// reg-name = *( unreserved / pct-encoded / sub-delims ), IP-literal = "[" ... "]" (RFC 3986 section 3.2.2).
const REG_NAME = /^[A-Za-z0-9\-._~!$&'()*+,;=%]*$/;
const IP_LITERAL = /^\[(?:[0-9A-Fa-f:.]+|v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+)\]$/;

/**
 * Whether `a` is a valid authority for Host: host [":" port], no userinfo, nothing of a path, and a port
 * (when present) of 1-5 digits up to 65535.
 */
export function validAuthority(a: string): boolean {
  if (a === '' || a.length > 255 + 6) return false;
  let host = a;
  let port: string | undefined;
  if (a.charCodeAt(0) === 91 /* [ */) {
    const close = a.indexOf(']');
    if (close === -1) return false;
    host = a.slice(0, close + 1);
    const rest = a.slice(close + 1);
    if (rest !== '') {
      if (rest.charCodeAt(0) !== 58 /* : */) return false;
      port = rest.slice(1);
    }
    if (!IP_LITERAL.test(host)) return false;
  } else {
    const c = a.indexOf(':');
    if (c !== -1) {
      host = a.slice(0, c);
      port = a.slice(c + 1);
    }
    if (host === '' || !REG_NAME.test(host)) return false;
    for (let i = host.indexOf('%'); i !== -1; i = host.indexOf('%', i + 1)) if (!HEX.test(host.slice(i + 1, i + 3))) return false;
  }
  if (port !== undefined) {
    if (!/^[0-9]{1,5}$/.test(port) || Number(port) > 65535) return false;
  }
  return true;
}

export function buildRequest(p: HeadParser, buf: Buffer, conn: ServerConn, scheme: string): Ctx {
  const start = process.hrtime.bigint();
  const rawMethod = latin1(buf, p.lineStart, p.methodEnd);
  const method = METHODS.get(rawMethod) ?? rawMethod;
  const url = latin1(buf, p.targetStart, p.targetEnd);

  // Headers as sent (repeated names as arrays) for matching and policy, and the end-to-end copy.
  const reqHeaders: HeaderMap = {};
  const headers: HeaderMap = {};
  const n = p.count;
  let hopNamed: string[] | undefined;
  for (let i = 0; i < n; i++) {
    const k = p.name(buf, i);
    const v = p.value(buf, i);
    const had = reqHeaders[k];
    if (had === undefined) reqHeaders[k] = v;
    else if (typeof had === 'string') reqHeaders[k] = [had, v];
    else had.push(v);
    if (k === 'connection') hopNamed = hopNamed === undefined ? connectionTokens(v) : hopNamed.concat(connectionTokens(v));
  }
  for (const k in reqHeaders) {
    if (HOP_BY_HOP.has(k)) continue;
    if (hopNamed !== undefined && hopNamed.includes(k)) continue;
    headers[k] = reqHeaders[k];
  }

  // Host: exactly one in HTTP/1.1 (RFC 9112 section 3.2), and a valid authority.
  if (p.hostCount > 1) throw new ProxyError('bad-request', 'more than one Host header');
  let authority = p.host === -1 ? '' : p.value(buf, p.host);
  if (p.host === -1 && p.minor === 1) throw new ProxyError('bad-request', 'missing Host header');
  if (p.host !== -1 && !validAuthority(authority)) throw new ProxyError('bad-request', `invalid Host ${JSON.stringify(authority.slice(0, 64))}`);

  let target = url;
  if (url.charCodeAt(0) !== 47 /* / */) {
    if (url.length > 7 && url.slice(0, 7).toLowerCase() === 'http://') {
      let end = url.indexOf('/', 7);
      const q = url.indexOf('?', 7);
      if (q !== -1 && (end === -1 || q < end)) end = q;
      const a = end === -1 ? url.slice(7) : url.slice(7, end);
      if (a.includes('@')) throw new ProxyError('bad-request', 'userinfo in the request target');
      if (!validAuthority(a)) throw new ProxyError('bad-request', `invalid authority in the request target ${JSON.stringify(a.slice(0, 64))}`);
      // RFC 9112 section 3.2.2: the target's authority replaces Host.
      authority = a;
      target = end === -1 ? '/' : url.charCodeAt(end) === 63 /* ? */ ? '/' + url.slice(end) : url.slice(end);
    } else if (method === 'OPTIONS' && url === '*') {
      target = '*';
    } else {
      throw new ProxyError('bad-request', method === 'CONNECT' ? 'CONNECT is not supported' : `unsupported request target "${url.slice(0, 64)}"`);
    }
  }
  if (authority === '') throw new ProxyError('bad-request', 'missing Host');
  if (target.includes('#')) throw new ProxyError('bad-request', 'fragment in the request target');
  headers['host'] = authority;
  const qi = target.indexOf('?');
  const upgrade = p.upgrade !== -1 && p.connUpgrade ? p.value(buf, p.upgrade) : undefined;
  return {
    conn,
    res: conn,
    start,
    method,
    path: qi === -1 ? target : target.slice(0, qi),
    query: qi === -1 ? '' : target.slice(qi + 1),
    authority,
    scheme,
    version: p.minor === 0 ? '1.0' : '1.1',
    reqHeaders,
    headers,
    upgrade,
    peer: conn.peer,
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
