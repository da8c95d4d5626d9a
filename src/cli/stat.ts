import { InvalidArgumentError, type Command } from 'commander';
import { call } from '../control/client.js';
import type { StatRow } from '../api/control-api.js';
import { outputArg, table, target, withControl } from './common.js';

const ms = (v: number | null) => (v === null ? '-' : v < 10 ? `${v.toFixed(2)}ms` : `${Math.round(v)}ms`);

export function registerStat(program: Command): void {
  withControl(program.command('stat'))
    .argument('[by]', 'service (client side: what callers see) or workload (server side)', (v: string) => {
      if (v !== 'service' && v !== 'workload' && v !== 'services' && v !== 'workloads') throw new InvalidArgumentError(`"${v}": use service or workload`);
      return v.replace(/s$/, '');
    }, 'service')
    .description('golden signals per service or workload: success rate, requests per second, latency p50/p95/p99')
    .option('-w, --window <duration>', 'time window, e.g. 30s, 1m, 10m', '1m')
    .option('-o, --output <format>', 'table or json', outputArg, 'table')
    .action(async (by: string, o: { window: string; output: 'json' | 'table'; control?: string }) => {
      const rows = await call<StatRow[]>(target(o), 'GET', `/v1/stat?by=${by}&window=${encodeURIComponent(o.window)}`);
      if (o.output === 'json') return void process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      if (rows.length === 0) return void process.stdout.write(`no traffic in the last ${o.window}\n`);
      const out = [[by.toUpperCase(), 'NAMESPACE', 'SUCCESS', 'RPS', 'P50', 'P95', 'P99', 'REQUESTS']];
      for (const r of rows) out.push([r.name, r.namespace, r.successRate === null ? '-' : `${(r.successRate * 100).toFixed(2)}%`, r.rps.toFixed(1), ms(r.p50), ms(r.p95), ms(r.p99), String(Math.round(r.requests))]);
      process.stdout.write(table(out));
    });
}
