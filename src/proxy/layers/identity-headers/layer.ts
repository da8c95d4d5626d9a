// Identity headers are set by the mesh only. Outbound, whatever an app sends as x-forwarded-client-cert
// or x-weft-* is dropped, so it cannot claim an identity; inbound, x-forwarded-client-cert is replaced
// with the verified peer certificate's details (Envoy's format: By=<us>;Hash=<sha256>;URI=<peer>).
import type { Layer } from '../../stack/index.js';
import type { Ctx, HeaderMap } from '../../context.js';

export const XFCC = 'x-forwarded-client-cert';

function dropIdentityHeaders(h: HeaderMap): void {
  for (const k in h) {
    if (k === XFCC || (k.charCodeAt(0) === 120 /* x */ && k.startsWith('x-weft-'))) delete h[k];
  }
}

/** Outbound: strip identity headers a client supplied. */
export function stripIdentity(): Layer<Ctx> {
  return (inner) => (ctx) => {
    dropIdentityHeaders(ctx.headers);
    return inner(ctx);
  };
}

/** Inbound: the app sees only the identity this proxy verified (or none, for plaintext). */
export function setClientCert(params: { self: string }): Layer<Ctx> {
  const by = `By=${params.self}`;
  return (inner) => (ctx) => {
    dropIdentityHeaders(ctx.headers);
    const p = ctx.peer;
    if (p !== undefined) ctx.headers[XFCC] = `${by};Hash=${p.hash};URI=${p.spiffeId}`;
    return inner(ctx);
  };
}
