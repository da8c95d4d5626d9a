// Small pieces of HTTP/1.1 wire format shared by both sides of the engine.
import type { HeaderMap } from '../context.js';

export const STATUS_TEXT: Record<number, string> = {
  100: 'Continue', 101: 'Switching Protocols', 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content',
  206: 'Partial Content', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified',
  307: 'Temporary Redirect', 308: 'Permanent Redirect', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden',
  404: 'Not Found', 405: 'Method Not Allowed', 408: 'Request Timeout', 411: 'Length Required', 413: 'Content Too Large',
  414: 'URI Too Long', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large', 500: 'Internal Server Error',
  501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
};

/** Below this, a head and the body bytes that follow it are copied into one buffer and written once. */
const JOIN_MAX = 16 * 1024;

/**
 * Writes a head (latin1 string) and the first body bytes in one write: one buffer when the body is small
 * (one TLS record, one syscall, none of writev's bookkeeping), else corked into one writev.
 */
export function writeHeadAndBody(sock: import('node:net').Socket, head: string, body: Buffer): boolean {
  if (body.length <= JOIN_MAX) {
    const out = Buffer.allocUnsafe(head.length + body.length);
    out.write(head, 0, 'latin1');
    body.copy(out, head.length);
    return sock.write(out);
  }
  sock.cork();
  sock.write(head, 'latin1');
  const ok = sock.write(body);
  sock.uncork();
  return ok;
}

/** Hop-by-hop headers (RFC 9110 section 7.6.1), never relayed as they are. */
export const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect', 'http2-settings',
]);

/** The header names a Connection header value lists (lower-case), which are hop-by-hop too. */
export function connectionTokens(value: string | readonly string[]): string[] {
  return (typeof value === 'string' ? value : value.join(',')).toLowerCase().split(',').map((s) => s.trim());
}

/**
 * Header lines ("name: value\r\n" each, no blank line) for a header map. Values that would break the
 * framing (CR, LF, NUL) are refused: a layer or filter must never be able to inject a header line.
 */
export function serializeHeaders(h: HeaderMap): string {
  let out = '';
  for (const k in h) {
    const v = h[k];
    if (v === undefined) continue;
    if (typeof v === 'string') out += line(k, v);
    else for (let i = 0; i < v.length; i++) out += line(k, v[i]!);
  }
  return out;
}

const BAD_VALUE = /[\r\n\0]/;
const BAD_NAME = /[^!#$%&'*+\-.^_`|~0-9A-Za-z]/;
function line(k: string, v: string): string {
  if (BAD_VALUE.test(v) || k === '' || BAD_NAME.test(k)) throw new Error(`invalid header ${JSON.stringify(k)}`);
  return `${k}: ${v}\r\n`;
}
