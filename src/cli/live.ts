// The demo's live view: per-service golden signals in a few lines. On a terminal it is redrawn in place at
// the bottom of the output, below whatever lifecycle lines the mesh prints; elsewhere (a pipe, CI) it is
// printed as plain lines now and then. Rendering is a pure function; LiveRegion owns the cursor.
import { Writable } from 'node:stream';
import type { StatRow } from '../api/control-api.js';

export interface LiveTotals { sent: number; ok: number; failed: number }

const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);
const ms = (v: number | null) => (v === null ? '-' : v < 10 ? `${v.toFixed(1)}ms` : `${Math.round(v)}ms`);

/** The view's lines: a header, one row per service (the name callers use) and a load-generator line. */
export function renderLiveView(rows: StatRow[], totals: LiveTotals, windowLabel: string): string[] {
  const head = ['SERVICE', 'RPS', 'SUCCESS', 'P50', 'P99'];
  const body = rows.map((r) => [r.namespace === 'default' ? r.name : `${r.name}.${r.namespace}`, r.rps.toFixed(1), pct(r.successRate), ms(r.p50), ms(r.p99)]);
  const all = [head, ...body];
  const widths = head.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  const lines = all.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  if (body.length === 0) lines.push('(no traffic yet)');
  lines.push(`load generator: ${totals.sent} sent, ${totals.ok} ok, ${totals.failed} failed; last ${windowLabel}, \`weft stat\` for more`);
  return lines;
}

/** The same view as one line, for output that is not a terminal. */
export function renderLiveLine(rows: StatRow[], totals: LiveTotals): string {
  const services = rows.map((r) => `${r.name} ${r.rps.toFixed(1)}/s ${pct(r.successRate)} p50 ${ms(r.p50)} p99 ${ms(r.p99)}`);
  return `weft demo: ${totals.sent} sent, ${totals.ok} ok, ${totals.failed} failed${services.length > 0 ? ` | ${services.join(' | ')}` : ''}`;
}

/**
 * A block of lines kept at the bottom of a terminal. Other output goes through `stream` (or `line`): the
 * block is erased, the output written, the block drawn again, so log lines scroll above it and are never
 * overwritten.
 */
export class LiveRegion {
  private lines: string[] = [];
  private drawn = 0;
  /** Output that does not end in a newline yet: the block is drawn again only after a whole line. */
  private midLine = false;
  readonly stream: Writable;

  constructor(private readonly out: NodeJS.WritableStream & { columns?: number }) {
    this.stream = new Writable({
      write: (chunk: Buffer | string, _enc, cb) => {
        this.print(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
        cb();
      },
    });
  }

  /** Writes output above the block. */
  print(text: string): void {
    if (text.length === 0) return;
    this.out.write(this.erase() + text);
    this.midLine = !text.endsWith('\n');
    if (!this.midLine) this.out.write(this.draw());
  }

  update(lines: string[]): void {
    this.lines = lines;
    if (!this.midLine) this.out.write(this.erase() + this.draw());
  }

  /** Leaves the block where it is (the last view stays on screen) and stops redrawing it. */
  close(): void {
    this.drawn = 0;
    this.lines = [];
  }

  private erase(): string {
    if (this.drawn === 0) return '';
    const s = `\x1b[${this.drawn}A\r\x1b[J`;
    this.drawn = 0;
    return s;
  }

  private draw(): string {
    if (this.lines.length === 0) return '';
    const width = Math.max(20, (this.out.columns ?? 100) - 1);
    // Cut to the terminal's width so each line takes exactly one row and the erase count stays right.
    const text = this.lines.map((l) => (l.length > width ? l.slice(0, width - 1) + '…' : l)).join('\n') + '\n';
    this.drawn = this.lines.length;
    return text;
  }
}
