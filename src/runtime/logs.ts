// What `weft up` shows and what it keeps. The terminal gets lifecycle events and problems (docker-compose
// style: each line prefixed with its process's name); every line of every child also goes, timestamped, to
// a bounded file under the state dir, which `weft logs` reads. `verbose` streams everything as well.
import { closeSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';

const COLORS = [36, 33, 32, 35, 34, 31, 96, 93, 92, 95, 94];

/** Size at which a log file is rotated to `<file>.1` (one old file is kept). */
export const LOG_ROTATE_BYTES = 10 * 1024 * 1024;

/** An append-only file that rotates to `<file>.1` past `maxBytes`. Writes are synchronous: order is kept and nothing is buffered in the runtime. */
export class RotatingFile {
  private fd: number | undefined;
  private size = 0;
  private failed = false;

  constructor(readonly file: string, private readonly maxBytes = LOG_ROTATE_BYTES) {}

  write(b: Buffer): void {
    if (this.failed) return;
    try {
      if (this.fd === undefined) this.open();
      if (this.size > 0 && this.size + b.length > this.maxBytes) {
        closeSync(this.fd!);
        renameSync(this.file, `${this.file}.1`);
        this.open();
      }
      writeSync(this.fd!, b);
      this.size += b.length;
    } catch {
      // A full disk or a removed state dir must not stop the mesh; the terminal still shows problems.
      this.failed = true;
    }
  }

  private open(): void {
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    this.fd = openSync(this.file, 'a', 0o600);
    this.size = statSync(this.file).size;
  }

  close(): void {
    if (this.fd !== undefined) {
      try { closeSync(this.fd); } catch { /* already closed */ }
    }
    this.fd = undefined;
  }
}

/** Which lines of a stream reach the terminal when not verbose: all, none, or those `show` accepts. */
export type Show = 'all' | 'none' | ((line: string) => boolean);

export interface PipeOptions {
  /** Where every line goes (timestamped), whatever reaches the terminal. */
  file?: RotatingFile;
  /** Default 'all'. */
  show?: Show;
}

export interface LogsOptions {
  /** Stream every line to the terminal. */
  verbose?: boolean;
}

export class Logs {
  private width = 8;
  private next = 0;
  private readonly colors = new Map<string, number>();
  private readonly prefixes = new Map<string, Buffer>();
  private readonly files = new Map<string, RotatingFile>();
  readonly verbose: boolean;

  constructor(private readonly out: NodeJS.WritableStream = process.stdout, private readonly color = process.stdout.isTTY === true && !process.env.NO_COLOR, o: LogsOptions = {}) {
    this.verbose = o.verbose === true;
    // A terminal or pipe that went away (`weft up | head`) must not take the mesh down with an EPIPE.
    (out as NodeJS.WritableStream & { on?: (e: string, f: () => void) => void }).on?.('error', () => {});
  }

  /** One file per path, shared by every stream that writes it (a restarted process appends). */
  file(p: string): RotatingFile {
    let f = this.files.get(p);
    if (f === undefined) this.files.set(p, (f = new RotatingFile(p)));
    return f;
  }

  closeFiles(): void {
    for (const f of this.files.values()) f.close();
  }

  register(name: string): void {
    this.width = Math.max(this.width, name.length);
    if (!this.colors.has(name)) this.colors.set(name, COLORS[this.next++ % COLORS.length]);
  }

  /** A line the runtime itself says about `name`: always on the terminal, and in `file` when given. */
  line(name: string, text: string, file?: RotatingFile): void {
    this.out.write(Buffer.concat([this.prefix(name), Buffer.from(`${text}\n`)]));
    file?.write(Buffer.from(`${stamp()} [weft] ${text}\n`));
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

  pipe(name: string, stream: Readable | null, o: PipeOptions = {}): void {
    if (stream === null) return;
    const show: Show = this.verbose ? 'all' : o.show ?? 'all';
    const file = o.file;
    let rest: Buffer | undefined;
    // One write per chunk, not per line: a busy proxy sends thousands of access-log lines a second, and a
    // write per line would cost the runtime a syscall each on the cores the workloads share. The chunk is
    // cut at newline bytes and never decoded (unless a filter must read a line): a UTF-8 sequence never
    // contains 0x0a, so lines stay whole.
    const emit = (b: Buffer, final: boolean) => {
      const prefix = this.prefix(name);
      const ts = file ? Buffer.from(`${stamp()} `) : undefined;
      const parts: Buffer[] = [];
      const fileParts: Buffer[] = [];
      let at = 0;
      let nl: number;
      const take = (start: number, end: number) => {
        const body = b.subarray(start, end);
        if (ts) fileParts.push(ts, body, NEWLINE);
        if (show === 'none') return;
        // A JSON line is a record (an access-log entry): never decoded, never shown unless verbose.
        if (show !== 'all' && (body[0] === 0x7b || !show(body.toString('utf8')))) return;
        parts.push(prefix, body, NEWLINE);
      };
      while ((nl = b.indexOf(10, at)) !== -1) {
        take(at, nl > at && b[nl - 1] === 13 ? nl - 1 : nl);
        at = nl + 1;
      }
      if (final && at < b.length) {
        take(at, b.length);
        at = b.length;
      }
      if (fileParts.length > 0) file!.write(Buffer.concat(fileParts));
      if (parts.length > 0) this.out.write(Buffer.concat(parts));
      return at;
    };
    stream.on('data', (chunk: Buffer | string) => {
      let b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (rest !== undefined) {
        b = Buffer.concat([rest, b]);
        rest = undefined;
      }
      const at = emit(b, false);
      // A line still being written: kept (copied, so the chunk it came in is not held) for the next chunk.
      if (at < b.length) rest = Buffer.from(b.subarray(at));
    });
    stream.on('end', () => {
      if (rest !== undefined) emit(rest, true);
      rest = undefined;
    });
  }
}

const NEWLINE = Buffer.from('\n');

function stamp(): string {
  return new Date().toISOString();
}

// What a proxy says on its standard output: JSON lines are access-log records (files only); other lines
// are messages. Routine ones (config applied, connected, certificate renewed, per-request decisions) stay
// in the file; the rest (NACKs, lost streams, expired certificates, errors) are problems worth seeing.
const PROXY_ROUTINE = /^(applied config |proxy \S+ \((sidecar|gateway)\) admin=|connected to control plane |certificate [0-9a-f]+ for |trust bundle updated|renewing certificate|draining \(|stopped$|audit |denied )/;
export function proxyLineShown(line: string): boolean {
  return !line.startsWith('{') && line.length > 0 && !PROXY_ROUTINE.test(line);
}

// The control plane's routine lines; everything else (reloaded / rejected / invalid config and the errors
// listed under it, refusals, errors) is shown. NACKs are shown once, by the proxy that sent them.
const CONTROL_ROUTINE = /^(control plane \S+ api=|proxy \S+ connected \(serving|proxy \S+ disconnected$|proxy \S+ rejected config )/;
export function controlLineShown(line: string): boolean {
  return line.length > 0 && !CONTROL_ROUTINE.test(line);
}
