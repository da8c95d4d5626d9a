// An HTTP/1.1 listener whose request handling can be swapped atomically when config changes, and which
// drains: stop accepting, let in-flight requests finish, then close what is left.
import { listenOn } from '../../util/listen.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Service } from '../stack/index.js';
import type { Ctx } from '../context.js';
import { makeCtx } from './request.js';
import { ProxyError } from '../errors.js';

export class HttpListener {
  readonly server: http.Server;
  service: Service<Ctx>;
  /** Called before layers run, e.g. to pin the authority for a per-service port. */
  prepare: ((ctx: Ctx) => void) | undefined;
  private inflight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(service: Service<Ctx>, private readonly scheme = 'http') {
    this.service = service;
    this.server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 }, (req, res) => this.handle(req, res));
    this.server.on('clientError', (err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nx-weft-error: bad-request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      else socket.destroy(err);
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.inflight++;
    res.on('close', () => {
      if (--this.inflight === 0 && this.idleWaiters.length > 0) for (const w of this.idleWaiters.splice(0)) w();
    });
    let ctx: Ctx;
    try {
      ctx = makeCtx(req, res, this.scheme);
    } catch (e) {
      const pe = e instanceof ProxyError ? e : new ProxyError('bad-request', String(e));
      res.writeHead(pe.status, { 'x-weft-error': pe.code, 'content-type': 'text/plain', connection: 'close' });
      res.end(`${pe.message}\n`);
      return;
    }
    if (this.prepare !== undefined) this.prepare(ctx);
    this.service(ctx).catch((e) => res.destroy(e as Error));
  }

  listen(port: number, host: string): Promise<number> {
    return listenOn(this.server, port, host);
  }

  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Stops accepting, waits up to `graceMs` for in-flight requests, then closes every connection. */
  async drain(graceMs: number): Promise<void> {
    // A server fed connections by another listener (the inbound TLS front) is not listening itself.
    const closed = this.server.listening ? new Promise<void>((resolve) => this.server.close(() => resolve())) : Promise.resolve();
    this.server.closeIdleConnections();
    if (this.inflight > 0) {
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref()),
      ]);
    }
    this.server.closeAllConnections();
    await closed;
  }
}
