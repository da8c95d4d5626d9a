// What a request looks like to policy: the attributes AuthorizationPolicy matches on, each derived from the
// request once, on first use, so a request that no policy asks about a header or its address pays nothing.

import { parseIp } from '../../api/ip.js';
import { SPIFFE_PREFIX as SPIFFE } from '../../identity/spiffe-id.js';

export interface AuthzRequest {
  /** The peer's SPIFFE ID from its certificate, e.g. spiffe://cluster.local/ns/shop/sa/web; undefined for plaintext. */
  principal: string | undefined;
  sourceIp: string;
  method: string;
  /** Normalized (see src/policy/normalize), without the query. */
  path: string;
  /** The Host header (or :authority), as received. */
  host: string;
  /** The destination port: the port the request arrived on. */
  port: number;
  /** Lower-case names; repeated headers as arrays (Node's req.headersDistinct). */
  headers: Record<string, string | string[] | undefined>;
}

/** Parsed source address. One at a time: evaluation is synchronous and never re-entered. */
const SOURCE_IP = new Int32Array(4);

export class View {
  private principalCache: string | undefined | null = null;
  private namespaceCache: string | undefined | null = null;
  private hostCache: string | undefined | null = null;
  private hostPortCache: string | undefined | null = null;
  /** 0: not parsed yet; 1: SOURCE_IP holds it; 2: unparsable. */
  private ipState = 0;

  constructor(readonly req: AuthzRequest) {}

  /** The principal with its "spiffe://" prefix, or undefined for plaintext. */
  principal(): string | undefined {
    if (this.principalCache === null) {
      const p = this.req.principal;
      this.principalCache = p === undefined || p === '' ? undefined : p.startsWith(SPIFFE) ? p : SPIFFE + p;
    }
    return this.principalCache;
  }

  /** The namespace in the principal's ".../ns/<namespace>/sa/..." path. */
  namespace(): string | undefined {
    if (this.namespaceCache === null) {
      const p = this.principal();
      let ns: string | undefined;
      if (p !== undefined) {
        const at = p.indexOf('/ns/', SPIFFE.length);
        if (at >= 0) {
          const end = p.indexOf('/', at + 4);
          ns = p.slice(at + 4, end < 0 ? p.length : end);
          if (ns === '') ns = undefined;
        }
      }
      this.namespaceCache = ns;
    }
    return this.namespaceCache;
  }

  /** Lower-case host without port or trailing dot. */
  host(): string | undefined {
    if (this.hostCache === null) {
      const h = this.req.host.toLowerCase();
      let name = h;
      if (h.startsWith('[')) {
        const close = h.indexOf(']');
        if (close > 0) name = h.slice(0, close + 1);
      } else {
        const colon = h.indexOf(':');
        if (colon >= 0 && colon === h.lastIndexOf(':')) name = h.slice(0, colon);
      }
      if (name.length > 1 && name.endsWith('.')) name = name.slice(0, -1);
      this.hostCache = name === '' ? undefined : name;
    }
    return this.hostCache;
  }

  /** Lower-case host as received, port included. */
  hostWithPort(): string | undefined {
    if (this.hostPortCache === null) {
      const h = this.req.host.toLowerCase();
      this.hostPortCache = h === '' ? undefined : h;
    }
    return this.hostPortCache;
  }

  /** SOURCE_IP filled with the source address, or undefined if it does not parse. */
  sourceIp(): Int32Array | undefined {
    if (this.ipState === 0) this.ipState = parseIp(this.req.sourceIp, SOURCE_IP) ? 1 : 2;
    return this.ipState === 1 ? SOURCE_IP : undefined;
  }

  header(name: string): string | string[] | undefined {
    const h = this.req.headers[name];
    return Array.isArray(h) && h.length === 0 ? undefined : h;
  }
}
