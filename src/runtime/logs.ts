// docker-compose style output: every line of every child prefixed with its name.
import type { Readable } from 'node:stream';

const COLORS = [36, 33, 32, 35, 34, 31, 96, 93, 92, 95, 94];

export class Logs {
  private width = 8;
  private next = 0;
  private readonly colors = new Map<string, number>();
  private readonly prefixes = new Map<string, Buffer>();
  constructor(private readonly out: NodeJS.WritableStream = process.stdout, private readonly color = process.stdout.isTTY === true && !process.env.NO_COLOR) {}

  register(name: string): void {
    this.width = Math.max(this.width, name.length);
    if (!this.colors.has(name)) this.colors.set(name, COLORS[this.next++ % COLORS.length]);
  }

  line(name: string, text: string): void {
    this.out.write(Buffer.concat([this.prefix(name), Buffer.from(`${text}\n`)]));
  }

  /** The bytes that start each of `name`'s lines at the current padding width. */
  private prefix(name: string): Buffer {
    this.register(name);
    const key = `${this.width}:${name}`;
    let p = this.prefixes.get(key);
    if (p === undefined) {
      const tag = name.padEnd(this.width);
      p = Buffer.from(this.color ? `\x1b[${this.colors.get(name)}m${tag} |\x1b[0m ` : `${tag} | `);
      this.prefixes.set(key, p);
    }
    return p;
  }

  pipe(name: string, stream: Readable | null): void {
    if (stream === null) return;
    let rest: Buffer | undefined;
    // One write per chunk, not per line: a busy proxy sends thousands of access-log lines a second, and a
    // write per line would cost the runtime a syscall each on the cores the workloads share. The chunk is
    // cut at newline bytes and never decoded: a UTF-8 sequence never contains 0x0a, so lines stay whole.
    stream.on('data', (chunk: Buffer | string) => {
      let b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (rest !== undefined) {
        b = Buffer.concat([rest, b]);
        rest = undefined;
      }
      const prefix = this.prefix(name);
      const parts: Buffer[] = [];
      let at = 0;
      let nl: number;
      while ((nl = b.indexOf(10, at)) !== -1) {
        parts.push(prefix);
        if (nl > at && b[nl - 1] === 13) parts.push(b.subarray(at, nl - 1), NEWLINE);
        else parts.push(b.subarray(at, nl + 1));
        at = nl + 1;
      }
      // A line still being written: kept (copied, so the chunk it came in is not held) for the next chunk.
      if (at < b.length) rest = Buffer.from(b.subarray(at));
      if (parts.length > 0) this.out.write(Buffer.concat(parts));
    });
    stream.on('end', () => {
      if (rest !== undefined) this.out.write(Buffer.concat([this.prefix(name), rest, NEWLINE]));
      rest = undefined;
    });
  }
}

const NEWLINE = Buffer.from('\n');
