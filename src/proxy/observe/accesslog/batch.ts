// Access-log lines are collected in an off-heap buffer and written in one chunk every `maxDelayMs` or
// when `maxBytes` fill up. A write to a pipe is a synchronous syscall on Linux, and one per request was
// most of what access logging cost; a string built up by `+=` instead would keep every line alive on
// the JS heap until the flush, so the young-generation GC would copy it over and over. Here each line
// is dead as soon as it is encoded.

export interface LineBatchOptions {
  /**
   * Receives each chunk and how many writes (lines) it holds. It owns the Buffer until it hands it back
   * with recycle() (once written), or for good if it never does; the batch fills another one meanwhile.
   */
  out: (chunk: Buffer, lines: number) => void;
  /**
   * Flush when this many bytes are waiting. Default 64 KiB: each flush is a write on a libuv pool thread and
   * a completion back on the event loop, i.e. context switches; at 1000 req/s of ~700-byte lines, 16 KiB
   * meant ~43 flushes a second, 64 KiB ~11 (the 100 ms deadline still bounds how late a line is).
   */
  maxBytes?: number;
  /** Flush lines older than this. Default 100 ms. */
  maxDelayMs?: number;
}

export class LineBatch {
  private readonly out: (chunk: Buffer, lines: number) => void;
  private readonly maxBytes: number;
  private readonly maxDelayMs: number;
  private buf: Buffer;
  private used = 0;
  private lines = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Written-out buffers handed back, reused instead of allocating one per flush (at most a few kept). */
  private readonly spare: Buffer[] = [];

  constructor(o: LineBatchOptions) {
    this.out = o.out;
    this.maxBytes = o.maxBytes ?? 65536;
    this.maxDelayMs = o.maxDelayMs ?? 100;
    if (!(this.maxBytes >= 64)) throw new RangeError(`maxBytes ${this.maxBytes}: must be at least 64`);
    this.buf = Buffer.allocUnsafe(this.maxBytes);
  }

  /** Bytes waiting for the next flush. */
  get pending(): number {
    return this.used;
  }

  /** One line as a string (the access log itself writes bytes: writeBytes). */
  write(line: string): void {
    const b = Buffer.from(line);
    this.writeBytes(b, b.length);
  }

  /** The first `length` bytes of `src` as one line (copied: `src` may be reused as soon as this returns). */
  writeBytes(src: Buffer, length: number): void {
    if (length > this.maxBytes - this.used) {
      this.flush();
      if (length > this.maxBytes) {
        this.out(Buffer.from(src.subarray(0, length)), 1);
        return;
      }
    }
    src.copy(this.buf, this.used, 0, length);
    this.used += length;
    this.lines++;
    if (this.used >= this.maxBytes) this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), this.maxDelayMs);
      this.timer.unref();
    }
  }

  /** Hands back what is waiting (and forgets it) without calling `out`: for a last synchronous write at exit. */
  take(): Buffer | undefined {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.used === 0) return undefined;
    const chunk = this.buf.subarray(0, this.used);
    this.buf = Buffer.allocUnsafe(this.maxBytes);
    this.used = 0;
    this.lines = 0;
    return chunk;
  }

  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.used === 0) return;
    const chunk = this.buf.subarray(0, this.used);
    const lines = this.lines;
    this.buf = this.spare.pop() ?? Buffer.allocUnsafe(this.maxBytes);
    this.used = 0;
    this.lines = 0;
    this.out(chunk, lines);
  }

  /**
   * Takes back a chunk `out` received, once whoever wrote it is done with its bytes. Only whole buffers this
   * batch made are kept (a chunk of a shared pool slab, or a long line's own buffer, is left to the GC).
   */
  recycle(chunk: Buffer): void {
    if (chunk.byteOffset !== 0 || chunk.buffer.byteLength !== this.maxBytes || this.spare.length >= 4) return;
    const whole = Buffer.from(chunk.buffer, 0, this.maxBytes);
    if (whole.buffer === this.buf.buffer || this.spare.some((b) => b.buffer === whole.buffer)) return;
    this.spare.push(whole);
  }
}
