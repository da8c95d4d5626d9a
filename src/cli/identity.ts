import type { Command } from 'commander';
import { call } from '../control/client.js';
import { outputArg, target, withControl } from './common.js';

interface IdentityView {
  proxy: string;
  expected: string;
  certificate: { spiffeId: string; serial: string; notBefore: string; notAfter: string; renewAt: string } | null;
  error: string | null;
  connected: boolean;
  bundleSize: number | null;
}

function human(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${m}m` : m > 0 ? `${m}m${s % 60}s` : `${s}s`;
}

export function registerIdentity(program: Command): void {
  withControl(program.command('identity'))
    .argument('<proxy>', 'proxy name, as `weft status` lists it')
    .description("a proxy's workload identity: SPIFFE ID, certificate serial, validity and time to renewal")
    .option('-o, --output <format>', 'table or json', outputArg, 'table')
    .action(async (name: string, o: { output: 'json' | 'table'; control?: string }) => {
      const r = await call<IdentityView>(target(o), 'GET', `/v1/proxies/${encodeURIComponent(name)}/identity`);
      if (o.output === 'json') return void process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      const c = r.certificate;
      const lines = [`proxy:       ${r.proxy}${r.connected ? '' : ' (disconnected)'}`];
      if (c === null) lines.push(`identity:    ${r.expected} (no certificate yet)`);
      else {
        const now = Date.now();
        lines.push(`spiffe id:   ${c.spiffeId}`, `serial:      ${c.serial}`, `valid:       ${c.notBefore} .. ${c.notAfter}`);
        const left = Date.parse(c.notAfter) - now;
        lines.push(`expires in:  ${left > 0 ? human(left) : `EXPIRED ${human(left)} ago`}`);
        if (c.renewAt) {
          const r2 = Date.parse(c.renewAt) - now;
          lines.push(`renewal in:  ${r2 > 0 ? human(r2) : 'due now'} (${c.renewAt})`);
        }
      }
      if (r.bundleSize !== null) lines.push(`trust roots: ${r.bundleSize}`);
      if (r.error) lines.push(`ERROR:       ${r.error}`);
      process.stdout.write(lines.join('\n') + '\n');
    });
}
