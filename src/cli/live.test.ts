import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { LiveRegion, renderLiveLine, renderLiveView } from './live.js';
import type { StatRow } from '../api/control-api.js';

const row = (name: string, rps: number, successRate: number | null, p50: number | null, p99: number | null): StatRow =>
  ({ name, namespace: 'default', requests: rps * 10, rps, successRate, p50, p95: p99, p99 });

test('the live view lists each service with rps, success rate and latency, aligned', () => {
  const lines = renderLiveView([row('catalog', 4.5, 0.98765, 3.21, 48), row('web', 5, 1, 12.4, 150)], { sent: 100, ok: 98, failed: 2 }, '10s');
  assert.deepEqual(lines, [
    'SERVICE  RPS  SUCCESS    P50    P99',
    'catalog  4.5    98.8%  3.2ms   48ms',
    'web      5.0   100.0%   12ms  150ms',
    'load generator: 100 sent, 98 ok, 2 failed; last 10s, `weft stat` for more',
  ]);
});

test('the live view says when there is no traffic yet, and marks missing figures', () => {
  assert.deepEqual(renderLiveView([], { sent: 0, ok: 0, failed: 0 }, '10s').slice(0, 2), ['SERVICE  RPS  SUCCESS  P50  P99', '(no traffic yet)']);
  assert.match(renderLiveView([row('web', 0, null, null, null)], { sent: 0, ok: 0, failed: 0 }, '10s')[1], /^web\s+0\.0\s+-\s+-\s+-$/);
});

test('the plain-line form carries the same figures on one line', () => {
  assert.equal(renderLiveLine([row('web', 5, 1, 12.4, 150)], { sent: 10, ok: 10, failed: 0 }), 'weft demo: 10 sent, 10 ok, 0 failed | web 5.0/s 100.0% p50 12ms p99 150ms');
});

function sink(): { out: Writable & { columns: number }; text: () => string } {
  let s = '';
  const out = Object.assign(new Writable({ write(c, _e, cb) { s += c.toString(); cb(); } }), { columns: 40 });
  return { out, text: () => s };
}

/** Replays the ANSI sequences LiveRegion uses (cursor up N, carriage return, clear to end) on a line buffer. */
function screen(raw: string): string[] {
  const rows: string[] = [''];
  let y = 0;
  for (let i = 0; i < raw.length; i++) {
    const esc = /^\x1b\[(\d*)([AJ])/.exec(raw.slice(i));
    if (esc) {
      if (esc[2] === 'A') y = Math.max(0, y - Number(esc[1] || 1));
      else rows.splice(y + 1), (rows[y] = '');
      i += esc[0].length - 1;
    } else if (raw[i] === '\r') rows[y] = '';
    else if (raw[i] === '\n') { y++; rows[y] ??= ''; }
    else rows[y] += raw[i];
  }
  return rows;
}

test('log lines scroll above the live block and are never overwritten; the block stays at the bottom', () => {
  const { out, text } = sink();
  const r = new LiveRegion(out);
  r.print('first\n');
  r.update(['view A1', 'view A2']);
  r.stream.write('second\n');
  r.update(['view B1', 'view B2']);
  r.print('par');
  r.update(['view C1', 'view C2']); // mid-line: not drawn until the line ends
  r.print('tial\n');
  assert.deepEqual(screen(text()), ['first', 'second', 'partial', 'view C1', 'view C2', '']);
});

test('lines wider than the terminal are cut so the block erases exactly its own rows', () => {
  const { out, text } = sink();
  const r = new LiveRegion(out);
  r.update(['x'.repeat(100)]);
  r.print('log\n');
  const rows = screen(text());
  assert.equal(rows[0], 'log');
  assert.equal(rows[1].length, 39);
  assert.ok(rows[1].endsWith('…'));
});
