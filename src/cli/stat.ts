import { InvalidArgumentError, type Command } from 'commander';
import { call } from '../control/client.js';
import type { StatRow } from '../api/control-api.js';
import { out, outputArg, target, UsageError, withControl, type ControlOpts } from './common.js';
import { renderStat } from './render/stat.js';

export function registerStat(program: Command): void {
  withControl(program.command('stat'))
    .argument('[by]', 'service (client side: what callers see) or workload (server side)', (v: string) => {
      if (v !== 'service' && v !== 'workload' && v !== 'services' && v !== 'workloads') throw new InvalidArgumentError(`"${v}": use service or workload`);
      return v.replace(/s$/, '');
    }, 'service')
    .description('golden signals per service or workload: success rate, requests per second, latency p50/p95/p99')
    .option('-w, --window <duration>', 'time window, e.g. 30s, 1m, 10m', '1m')
    .option('--backends', 'by service: also one row per backend the requests were sent to, under its service')
    .option('-o, --output <format>', 'table or json', outputArg, 'table')
    .action(async (by: 'service' | 'workload', o: { window: string; backends?: boolean; output: 'json' | 'table' } & ControlOpts) => {
      if (o.backends && by !== 'service') throw new UsageError('--backends goes with `weft stat service`');
      const rows = await call<StatRow[]>(target(o), 'GET', `/v1/stat?by=${by}&window=${encodeURIComponent(o.window)}${o.backends ? '&backends=1' : ''}`);
      out(renderStat(rows, { by, window: o.window, output: o.output }));
    });
}
