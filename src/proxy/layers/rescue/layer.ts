// The one place proxy-generated errors become responses: a status, `x-weft-error: <code>` and a short body.
// Everything below may throw or reject; nothing below writes its own error response.
import type { Layer } from '../../stack/index.js';
import type { Ctx } from '../../context.js';
import { ERRORS, ProxyError } from '../../errors.js';

export interface RescueParams {
  /** Where to report errors the proxy did not expect (bugs), with context. */
  log: (msg: string) => void;
}

export function rescue(params: RescueParams): Layer<Ctx> {
  return (inner) => async (ctx) => {
    try {
      await inner(ctx);
    } catch (err) {
      const pe = err instanceof ProxyError ? err : new ProxyError('internal', (err as Error)?.stack ?? String(err));
      if (pe.code === 'internal') params.log(`internal error on ${ctx.method} ${ctx.path}: ${pe.message}`);
      respondError(ctx, pe);
    }
  };
}

export function respondError(ctx: Ctx, pe: ProxyError): void {
  const res = ctx.res;
  ctx.error = pe.code;
  if (res.headersSent) {
    // Part of a response is already out: the only honest signal left is to cut the stream.
    res.destroy(pe);
    return;
  }
  const body = `${pe.code}: ${ERRORS[pe.code].text}${pe.publicDetail ? ` (${pe.publicDetail})` : ''}\n`;
  const headers: Record<string, string> = {
    ...pe.headers,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'x-weft-error': pe.code,
  };
  // A gRPC status of its own (an injected gRPC abort): an HTTP/2 stream makes the answer trailers-only with it.
  if (pe.grpcStatus !== undefined) headers['grpc-status'] = String(pe.grpcStatus);
  res.writeHead(pe.status, headers);
  // The engine drops a request body nobody read, so the connection carries the next request.
  res.end(ctx.method === 'HEAD' ? undefined : body);
}
