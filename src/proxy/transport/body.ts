// The downstream request body as the upstream request's body.
//
// undici destroys a request's body stream once it stops sending it: when the endpoint has answered before
// the whole body was sent (an app rejecting an upload, nginx's `return`), when the upstream connection
// fails, or when the request is aborted. Given the downstream IncomingMessage itself, that destroy leaves
// the client's connection with unread body bytes that nobody will ever read: the HTTP parser stops on the
// destroyed message, the client blocks sending, and its keep-alive connection hangs.
//
// So undici gets this relay instead. Destroying it detaches it from the downstream request and, when that
// request has body left, reads and drops the rest (as nginx discards a body it will not use), so the
// response goes out and the next request on the connection is read as usual. A downstream request that
// breaks off mid-body destroys the relay with an error, which aborts the upstream request.
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

export class RequestBody extends Readable {
  private readonly src: IncomingMessage;

  constructor(src: IncomingMessage) {
    super({ highWaterMark: 64 * 1024 });
    this.src = src;
    src.on('data', this.onData);
    src.on('end', this.onEnd);
    src.on('close', this.onClose);
  }

  private readonly onData = (chunk: Buffer): void => {
    if (!this.push(chunk)) this.src.pause();
  };

  private readonly onEnd = (): void => {
    this.push(null);
  };

  private readonly onClose = (): void => {
    if (!this.src.complete) this.destroy(new Error('downstream request closed before its body was complete'));
  };

  override _read(): void {
    if (this.src.isPaused()) this.src.resume();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const src = this.src;
    src.off('data', this.onData);
    src.off('end', this.onEnd);
    src.off('close', this.onClose);
    // Body left unread: drop it, so the connection can carry the next request.
    if (!src.complete && !src.destroyed) src.resume();
    cb(err);
  }
}
