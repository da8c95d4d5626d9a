// `weft tap` and `weft top`: one line per request seen, and the busiest paths as a table.
import type { TapEvent } from '../../api/control-api.js';
import { table } from './table.js';

export function renderTapEvent(e: TapEvent, output: 'text' | 'json'): string {
  if (output === 'json') return JSON.stringify(e) + '\n';
  return `${e.time} ${e.direction.padEnd(8)} ${e.method} ${e.authority}${e.path} -> ${e.status}${e.flags !== '-' ? ` [${e.flags}]` : ''} ${e.latencyMs}ms ` +
    `${e.source ?? '?'} -> ${e.destination ?? '?'} ${e.tls ? 'mTLS' : 'PLAINTEXT'} (${e.proxy})\n`;
}

/** Printed to stderr once the stream is open, so a quiet target does not look like a hang. */
export function renderTapWaiting(target: string | undefined): string {
  return `watching ${target ?? 'every workload'}: waiting for requests… (Ctrl-C stops)\n`;
}

export interface TopRow { method: string; path: string; dest: string; n: number; failed: number; latency: number }

/** Adds one tap event to the counts; only where a request is received (inbound), so each counts once. */
export function countTop(counts: Map<string, TopRow>, e: TapEvent): void {
  if (e.direction !== 'inbound') return;
  const key = `${e.method} ${e.path} ${e.destinationWorkload}`;
  const c = counts.get(key) ?? { method: e.method, path: e.path, dest: e.destinationWorkload ?? '?', n: 0, failed: 0, latency: 0 };
  c.n++;
  if (e.status >= 500) c.failed++;
  c.latency += e.latencyMs;
  counts.set(key, c);
}

/** The 20 busiest paths; `tty` clears the screen first so the table refreshes in place. */
export function renderTop(counts: Iterable<TopRow>, tty: boolean): string {
  const rows = [...counts].sort((a, b) => b.n - a.n || a.path.localeCompare(b.path) || a.method.localeCompare(b.method)).slice(0, 20);
  const out = [['METHOD', 'PATH', 'DESTINATION', 'COUNT', 'FAILED', 'AVG LATENCY']];
  for (const r of rows) out.push([r.method, r.path, r.dest, String(r.n), String(r.failed), `${(r.latency / r.n).toFixed(2)}ms`]);
  return (tty ? '\x1b[H\x1b[2J' : '') + table(out) + (tty ? '' : '\n');
}
