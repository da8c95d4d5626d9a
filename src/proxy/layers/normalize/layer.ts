// Normalize: routing and policy match on one canonical path, and exactly that path is forwarded, so a
// policy on /admin cannot be walked around with //admin, /a/../admin or /%61dmin. Bad paths: 400.
import type { Layer } from '../../stack/index.js';
import type { Ctx } from '../../context.js';
import { ProxyError } from '../../errors.js';
import { normalizePath, type NormalizeOptions } from '../../../policy/normalize/index.js';

export function normalize(opts?: NormalizeOptions): Layer<Ctx> {
  return (inner) => (ctx) => {
    const r = normalizePath(ctx.path, opts);
    if (!r.ok) return Promise.reject(new ProxyError('bad-request', `path ${JSON.stringify(ctx.path.slice(0, 80))}: ${r.reason}`));
    ctx.path = r.path;
    return inner(ctx);
  };
}
