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
    this.register(name);
    const tag = name.padEnd(this.width);
    this.out.write(this.color ? `\x1b[${this.colors.get(name)}m${tag} |\x1b[0m ${text}\n` : `${tag} | ${text}\n`);
  }

  pipe(name: string, stream: Readable | null): void {
    if (stream === null) return;
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        this.line(name, buf.slice(0, nl).replace(/\r$/, ''));
        buf = buf.slice(nl + 1);
      }
    });
    stream.on('end', () => {
      if (buf !== '') this.line(name, buf);
      buf = '';
    });
  }
}
