// RequestMirror: a fire-and-forget copy of a request to another backend. The copy gets the request head
// (its Host with "-shadow", as Envoy and Istio do) and the body bytes as they pass to the primary endpoint;
// its response is read and dropped. Nothing about the copy can slow or change the primary: it never waits
// for a connection (a saturated pool skips the copy), never holds the client's body back (a copy that falls
// behind by more than MAX_LAG bytes is cut), and has its own deadline. Active health checks send their
// probes the same way and are told how each ended.
import { MAX_TIMER_MS } from '../../api/traffic.js';
import { HeadParser, NEED_MORE, ERROR } from './head.js';
import type { Acquirer, UpConn, UpUser, UpstreamPool } from './client.js';

const parser = new HeadParser({ maxHeadBytes: 64 * 1024, maxHeaders: 200 });
/** Bytes a copy may have queued (before its connection is ready, or unsent on it) before it is cut. */
const MAX_LAG = 1024 * 1024;

export interface MirrorStats {
  sent: number;
  skipped: number;
  failed: number;
}

export class Mirror implements Acquirer, UpUser {
  private up: UpConn | null = null;
  private queue: Buffer[] | null = [];
  private queued = 0;
  private reqDone = false;
  private done = false;
  private pending: Buffer | null = null;
  private left = -1; // response body bytes still to read: -1 unknown (head not parsed), -2 chunked, -3 until close
  private readonly timer: NodeJS.Timeout;
  /** The response's status, once its head is parsed. */
  private status = 0;

  private constructor(private readonly head: string, private readonly stats: MirrorStats, timeoutMs: number, private readonly onDone?: (ok: boolean, status: number) => void) {
    this.timer = setTimeout(() => this.finish(false), Math.min(timeoutMs, MAX_TIMER_MS));
    this.timer.unref();
  }

  /**
   * Starts a copy, or skips it (counted) when the pool would make it wait. `onDone` hears how it ended:
   * ok when the whole response was read, with its status.
   */
  static start(pool: UpstreamPool, head: string, stats: MirrorStats, timeoutMs: number, onDone?: (ok: boolean, status: number) => void): Mirror | null {
    if (pool.saturated) {
      stats.skipped++;
      return null;
    }
    const m = new Mirror(head, stats, timeoutMs, onDone);
    pool.acquire(m);
    return m;
  }

  connected(err: Error | null, up: UpConn | null): void {
    if (this.done || err !== null || up === null) {
      up?.release();
      this.finish(false);
      return;
    }
    this.up = up;
    up.user = this;
    const q = this.queue!;
    this.queue = null;
    up.sock.write(q.length === 0 ? this.head : Buffer.concat([Buffer.from(this.head, 'latin1'), ...q]));
  }

  /** Body bytes on their way to the primary endpoint. */
  write(chunk: Buffer): void {
    if (this.done) return;
    const up = this.up;
    if (up === null) {
      this.queued += chunk.length;
      if (this.queued > MAX_LAG) return this.finish(false);
      this.queue!.push(chunk);
      return;
    }
    up.sock.write(chunk);
    if (up.sock.writableLength > MAX_LAG) this.finish(false);
  }

  end(): void {
    this.reqDone = true;
  }

  /** The client went away before the request was whole: the copy is incomplete too. */
  abort(): void {
    if (!this.reqDone) this.finish(false);
  }

  onUpData(chunk: Buffer): void {
    if (this.done) return;
    if (this.left === -1) {
      const buf = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
      this.pending = null;
      const r = parser.parseResponse(buf, 0, buf.length);
      if (r === NEED_MORE) {
        this.pending = buf;
        return;
      }
      if (r === ERROR || parser.status < 200) return this.finish(false, true);
      this.status = parser.status;
      // 204 and 304 answers, and answers to HEAD, end with their head (RFC 9110 6.4.1).
      if (parser.status === 204 || parser.status === 304 || this.head.startsWith('HEAD ')) this.left = 0;
      else if (parser.chunked) {
        this.left = -2;
        this.up!.scanner.reset();
        this.up!.scanner.sink = null;
      } else if (parser.contentLength >= 0 && !parser.hasTransferEncoding) this.left = parser.contentLength;
      else this.left = -3;
      this.body(buf, r);
      return;
    }
    this.body(chunk, 0);
  }

  private body(buf: Buffer, from: number): void {
    if (this.left >= 0) {
      this.left -= Math.min(this.left, buf.length - from);
      if (this.left === 0) this.finish(true);
    } else if (this.left === -2) {
      const end = this.up!.scanner.scan(buf, from, buf.length);
      if (end === -1) this.finish(false, true);
      else if (this.up!.scanner.done) this.finish(true);
    }
  }

  onUpClose(): void {
    this.up = null;
    this.finish(this.left === -3);
  }

  onUpDrain(): void {}

  private finish(ok: boolean, broken = false): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.queue = null;
    const up = this.up;
    this.up = null;
    if (up !== null) {
      // Reused only when request and response both ended cleanly.
      if (ok && this.reqDone && !broken && this.left !== -3) up.release();
      else up.discard();
    }
    if (ok) this.stats.sent++;
    else this.stats.failed++;
    this.onDone?.(ok, this.status);
  }
}

/** "catalog:80" -> "catalog-shadow:80", "[::1]:8080" and bare hosts alike. */
export function shadowHost(authority: string): string {
  const m = /^(\[[^\]]*\]|[^:]*)(:\d+)?$/.exec(authority);
  if (m === null) return `${authority}-shadow`;
  return `${m[1]}-shadow${m[2] ?? ''}`;
}
