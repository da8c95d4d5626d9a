import type { Command } from 'commander';
import { call } from '../control/client.js';
import type { ControlStatus } from '../api/control-api.js';
import { outputArg, table, target, withControl } from './common.js';

export function registerStatus(program: Command): void {
  withControl(program.command('status'))
    .description('control plane version, every proxy with its config version and sync state, gateway URLs')
    .option('-o, --output <format>', 'table or json', outputArg, 'table')
    .action(async (o: { output: 'json' | 'table'; control?: string }) => {
      const s = await call<ControlStatus>(target(o), 'GET', '/v1/status');
      if (o.output === 'json') {
        process.stdout.write(JSON.stringify({
          control: s.control,
          proxies: s.proxies.map((p) => ({ name: p.name, workload: p.workload, namespace: p.namespace, kind: p.kind, version: p.version, configVersion: p.configVersion, state: p.state, ...(p.error ? { error: p.error } : {}), ...(p.certError ? { certError: p.certError } : {}) })),
          gateways: s.gateways.map((g) => ({ name: g.name, listener: g.listener, url: g.url })),
        }, null, 2) + '\n');
        return;
      }
      process.stdout.write(`control plane ${s.control.version} at ${s.control.url} (mesh ${s.control.mesh}, up since ${s.control.startedAt})\n\n`);
      const rows = [['PROXY', 'KIND', 'WORKLOAD', 'NAMESPACE', 'VERSION', 'CONFIG', 'STATE']];
      for (const p of s.proxies) rows.push([p.name, p.kind, p.workload, p.namespace, p.version ?? '-', p.configVersion ?? '-', p.state + (p.error ? ` (${p.error})` : '') + (p.certError ? ` CERT: ${p.certError}` : '')]);
      process.stdout.write(table(rows));
      if (s.gateways.length > 0) {
        process.stdout.write('\n');
        process.stdout.write(table([['GATEWAY', 'LISTENER', 'URL'], ...s.gateways.map((g) => [g.name, g.listener, g.url])]));
      }
    });
}
