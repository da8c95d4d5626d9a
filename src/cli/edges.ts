import type { Command } from 'commander';
import { call } from '../control/client.js';
import type { EdgeRow } from '../api/control-api.js';
import { outputArg, table, target, withControl } from './common.js';

export function registerEdges(program: Command): void {
  withControl(program.command('edges'))
    .description('who calls whom: verified source identity -> destination workload, and whether the edge is mTLS')
    .option('-w, --window <duration>', 'time window, e.g. 30s, 1m, 1h', '1h')
    .option('-o, --output <format>', 'table or json', outputArg, 'table')
    .action(async (o: { window: string; output: 'json' | 'table'; control?: string }) => {
      const rows = await call<EdgeRow[]>(target(o), 'GET', `/v1/edges?window=${encodeURIComponent(o.window)}`);
      if (o.output === 'json') return void process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      if (rows.length === 0) return void process.stdout.write(`no traffic in the last ${o.window}\n`);
      const out = [['SOURCE', 'DESTINATION', 'MTLS', 'REQUESTS']];
      for (const r of rows) out.push([r.source === 'unknown' ? '(plaintext, unverified)' : r.source, `${r.destination}.${r.destinationNamespace}`, r.tls ? 'yes' : 'NO', String(Math.round(r.requests))]);
      process.stdout.write(table(out));
    });
}
