import type { Command } from 'commander';
import { call } from '../control/client.js';
import type { Snapshot } from '../api/snapshot.js';
import { outputArg, table, target, withControl } from './common.js';

export function registerProxyConfig(program: Command): void {
  withControl(program.command('proxy-config'))
    .argument('<proxy>', 'proxy name, as `weft status` lists it')
    .description('the config snapshot a proxy is running (the last one it accepted)')
    .option('-o, --output <format>', 'table or json', outputArg, 'table')
    .action(async (name: string, o: { output: 'json' | 'table'; control?: string }) => {
      const r = await call<{ proxy: string; state: { state: string; error?: string }; snapshot: Snapshot | null }>(target(o), 'GET', `/v1/proxies/${encodeURIComponent(name)}/config`);
      if (o.output === 'json') {
        process.stdout.write(JSON.stringify(r.snapshot, null, 2) + '\n');
        return;
      }
      const s = r.snapshot;
      process.stdout.write(`proxy ${r.proxy}: ${r.state.state}${r.state.error ? ` (${r.state.error})` : ''}; running ${s?.version ?? 'nothing'}\n`);
      if (!s) return;
      if (s.listeners.length > 0) {
        process.stdout.write('\nLISTENERS\n');
        const rows = [['NAME', 'ADDRESS', 'DOMAINS', 'ROUTES']];
        for (const l of s.listeners) rows.push([l.name, `${l.address}:${l.port}`, l.virtualHosts.map((v) => v.domains.join(',')).join(' ') || '-', String(l.virtualHosts.reduce((n, v) => n + v.routes.length, 0))]);
        process.stdout.write(table(rows));
      }
      if (s.services.length > 0) {
        process.stdout.write('\nSERVICES\n');
        const rows = [['SERVICE', 'PORT', 'ROUTES', 'BACKENDS']];
        for (const sv of s.services) for (const p of sv.ports) {
          const backends = [...new Set(p.routes.flatMap((e) => e.backends.map((b) => `${b.cluster ?? `${b.ref} (missing)`}${e.backends.length > 1 ? ` w=${b.weight}` : ''}`)))];
          rows.push([`${sv.name}.${sv.namespace}`, String(p.port), [...new Set(p.routes.map((e) => e.route))].join(','), backends.join(' ')]);
        }
        process.stdout.write(table(rows));
      }
      process.stdout.write('\nCLUSTERS\n');
      const rows = [['CLUSTER', 'ENDPOINTS']];
      for (const c of s.clusters) rows.push([c.name, c.endpoints.map((e) => `${e.address}:${e.port}${e.ready ? '' : ' (not ready)'}`).join(' ') || '-']);
      process.stdout.write(table(rows));
    });
}
