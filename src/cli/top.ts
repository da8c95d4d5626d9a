import type { Command } from 'commander';
import { streamTap } from './tap.js';
import { table, withControl } from './common.js';

export function registerTop(program: Command): void {
  withControl(program.command('top'))
    .argument('[target]', 'only requests to or from this workload or service')
    .description('a live table of the busiest paths, refreshing in place')
    .option('--duration <seconds>', 'stop after this long')
    .action(async (tgt: string | undefined, o: { duration?: string; control?: string }) => {
      const counts = new Map<string, { method: string; path: string; dest: string; n: number; failed: number; latency: number }>();
      const q = new URLSearchParams();
      if (tgt) q.set('target', tgt);
      const ac = new AbortController();
      const tty = process.stdout.isTTY === true;
      const draw = () => {
        const rows = [...counts.values()].sort((a, b) => b.n - a.n).slice(0, 20);
        const out = [['METHOD', 'PATH', 'DESTINATION', 'COUNT', 'FAILED', 'AVG LATENCY']];
        for (const r of rows) out.push([r.method, r.path, r.dest, String(r.n), String(r.failed), `${(r.latency / r.n).toFixed(2)}ms`]);
        process.stdout.write((tty ? '\x1b[H\x1b[2J' : '') + table(out) + (tty ? '' : '\n'));
      };
      const timer = setInterval(draw, 1000);
      if (o.duration) setTimeout(() => ac.abort(), Number(o.duration) * 1000).unref();
      try {
        await streamTap(o, q, (e) => {
          // Count each request once, where it is received (inbound), not at every hop it crosses.
          if (e.direction !== 'inbound') return;
          const key = `${e.method} ${e.path} ${e.destinationWorkload}`;
          const c = counts.get(key) ?? { method: e.method, path: e.path, dest: e.destinationWorkload ?? '?', n: 0, failed: 0, latency: 0 };
          c.n++;
          if (e.status >= 500) c.failed++;
          c.latency += e.latencyMs;
          counts.set(key, c);
        }, ac.signal);
      } finally {
        clearInterval(timer);
        draw();
      }
    });
}
