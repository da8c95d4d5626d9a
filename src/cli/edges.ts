import type { Command } from 'commander';
import { call } from '../control/client.js';
import type { EdgeRow } from '../api/control-api.js';
import { out, outputArg, target, withControl, type ControlOpts } from './common.js';
import { renderEdges } from './render/edges.js';

export function registerEdges(program: Command): void {
  withControl(program.command('edges'))
    .description('who calls whom: verified source identity -> destination workload, and whether the edge is mTLS')
    .option('-w, --window <duration>', 'time window, e.g. 30s, 1m, 1h', '1h')
    .option('-o, --output <format>', 'table or json', outputArg, 'table')
    .action(async (o: { window: string; output: 'json' | 'table' } & ControlOpts) => {
      const rows = await call<EdgeRow[]>(target(o), 'GET', `/v1/edges?window=${encodeURIComponent(o.window)}`);
      out(renderEdges(rows, o));
    });
}
