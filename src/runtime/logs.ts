// docker-compose style output: every line of every child prefixed with its name.
import type { Readable } from 'node:stream';

const COLORS = [36, 33, 32, 35, 34, 31, 96, 93, 92, 95, 94];

export class Logs {
  private width = 8;
  private next = 0;
  private readonly colors = new Map<string, number>();
  constructor(private readonly out: NodeJS.WritableStream = process.stdout, private readonly color = process.stdout.isTTY === true && !process.env.NO_COLOR) {}

  register(name: string): void {
    this.width = Math.max(this.width, name.length);
    if (!this.colors.has(name)) this.colors.set(name, COLORS[this.next++ % COLORS.length]);
  }

  line(name: string, text: string): void {
    this.out.write(this.format(name, text));
  }

  private format(name: string, text: string): string {
    this.register(name);
    const tag = name.padEnd(this.width);
    return this.color ? `\x1b[${this.colors.get(name)}m${tag} |\x1b[0m ${text}\n` : `${tag} | ${text}\n`;
  }

  pipe(name: string, stream: Readable | null): void {
    if (stream === null) return;
    let buf = '';
    stream.setEncoding('utf8');
    // One write per chunk, not per line: a busy proxy sends thousands of access-log lines a second, and a
    // write per line would cost the runtime a syscall each on the cores the workloads share.
    stream.on('data', (chunk: string) => {
      buf += chunk;
      let out = '';
      let at = 0;
      let nl: number;
      while ((nl = buf.indexOf('\n', at)) !== -1) {
        const end = nl > at && buf.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        out += this.format(name, buf.slice(at, end));
        at = nl + 1;
      }
      buf = buf.slice(at);
      if (out !== '') this.out.write(out);
    });
    stream.on('end', () => {
      if (buf !== '') this.line(name, buf);
      buf = '';
    });
  }
}
