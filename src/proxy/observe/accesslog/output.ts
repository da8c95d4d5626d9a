// Where access-log chunks go: the proxy's standard output, written by libuv's thread pool rather than by
// the event loop. Node writes process.stdout to a pipe synchronously, so a reader that falls behind (a
// terminal, a log shipper, a runtime that is busy) would stall every request this proxy serves. Here a
// slow reader only grows a bounded backlog; beyond it chunks are dropped and counted, as Envoy drops
// access-log lines it cannot buffer, and the request path never waits for the log.
import fs from 'node:fs';
import type { Writable } from 'node:stream';

export interface LogOutputOptions {
  /** Default: fd 1 through an fs.WriteStream. */
  stream?: Writable;
  /** Bytes waiting to be written beyond which new chunks are dropped. Default 4 MiB. */
  maxBacklogBytes?: number;
}

export class LogOutput {
  private readonly stream: Writable;
  private readonly maxBacklog: number;
  /** Lines dropped because the reader fell behind, for the weft_access_log_dropped_lines gauge. */
  dropped = 0;
  private outstanding = 0;
  private waiters: (() => void)[] = [];
  private readonly written = () => {
    if (--this.outstanding === 0) for (const w of this.waiters.splice(0)) w();
  };

  constructor(o: LogOutputOptions = {}) {
    this.stream = o.stream ?? fs.createWriteStream('', { fd: 1, autoClose: false });
    this.maxBacklog = o.maxBacklogBytes ?? 4 * 1024 * 1024;
    // A reader that went away (EPIPE) must not take the proxy with it.
    this.stream.on('error', () => {});
  }

  /** Queues `chunk` (`lines` lines) or drops it; `done(chunk)` runs once its bytes are no longer needed. */
  write(chunk: Buffer, lines: number, done?: (chunk: Buffer) => void): void {
    if (this.stream.writableLength + chunk.length > this.maxBacklog || this.stream.destroyed) {
      this.dropped += lines;
      done?.(chunk);
      return;
    }
    this.outstanding++;
    this.stream.write(chunk, done === undefined ? this.written : () => {
      done(chunk);
      this.written();
    });
  }

  /** Resolves once what was accepted has been written (or after `deadlineMs`, whichever is first). */
  drained(deadlineMs = 1000): Promise<void> {
    if (this.outstanding === 0 || this.stream.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      }, deadlineMs);
      this.waiters.push(done);
    });
  }
}
