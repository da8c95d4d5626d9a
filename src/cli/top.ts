import type { Command } from 'commander';
import { streamTap } from './tap.js';
import { intArg, withControl, type ControlOpts } from './common.js';
import { countTop, renderTop, type TopRow } from './render/tap.js';

export function registerTop(program: Command): void {
  withControl(program.command('top'))
    .argument('[target]', 'only requests to or from this workload or service')
    .description('a live table of the busiest paths, refreshing in place')
    .option('--duration <seconds>', 'stop after this long', intArg('--duration', 1, 86_400))
    .action(async (tgt: string | undefined, o: { duration?: number } & ControlOpts) => {
      const counts = new Map<string, TopRow>();
      const q = new URLSearchParams();
      if (tgt) q.set('target', tgt);
      const ac = new AbortController();
      const tty = process.stdout.isTTY === true;
      const draw = () => process.stdout.write(renderTop(counts.values(), tty));
      let timer: NodeJS.Timeout | undefined;
      if (o.duration) setTimeout(() => ac.abort(), o.duration * 1000).unref();
      try {
        await streamTap(o, q, (e) => countTop(counts, e), ac.signal, () => {
          timer = setInterval(draw, 1000);
        });
        draw();
      } finally {
        clearInterval(timer);
      }
    });
}
