// Sets what the next hop should know about the original request: x-forwarded-for/-proto/-host and a
// request id (kept when the client sent one, so one id follows a call through every hop).
import { randomUUID } from 'node:crypto';
import type { Layer } from '../../stack/index.js';
import type { Ctx } from '../../context.js';

export interface ForwardedParams {
  /** Edge proxies (the ingress gateway) replace client-supplied x-forwarded-* instead of appending to them. */
  edge: boolean;
}

export function forwarded(params: ForwardedParams): Layer<Ctx> {
  const edge = params.edge;
  return (inner) => (ctx) => {
    const h = ctx.headers;
    const peer = ctx.conn.remoteAddress;
    const prior = h['x-forwarded-for'];
    h['x-forwarded-for'] = !edge && prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${peer}` : peer;
    if (edge || h['x-forwarded-proto'] === undefined) h['x-forwarded-proto'] = ctx.scheme;
    if (edge || h['x-forwarded-host'] === undefined) h['x-forwarded-host'] = ctx.authority;
    const rid = h['x-request-id'];
    if (typeof rid !== 'string' || rid === '') h['x-request-id'] = randomUUID();
    return inner(ctx);
  };
}
