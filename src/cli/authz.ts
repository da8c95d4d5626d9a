import type { Command } from 'commander';
import { call } from '../control/client.js';
import { target, withControl } from './common.js';

export function registerAuthz(program: Command): void {
  const authz = program.command('authz').description('authorization policy tools');
  withControl(authz.command('explain'))
    .description('which AuthorizationPolicy decides a request, and why')
    .requiredOption('--from <workload>', 'calling workload (or Gateway), optionally name.namespace')
    .requiredOption('--to <service>', 'destination service, optionally name.namespace')
    .option('--method <method>', 'HTTP method', 'GET')
    .option('--path <path>', 'request path', '/')
    .option('--header <k=v...>', 'request header (repeatable)', [])
    .action(async (o: { from: string; to: string; method: string; path: string; header: string[]; control?: string }) => {
      const headers: Record<string, string> = {};
      for (const h of o.header) {
        const i = h.indexOf('=');
        if (i <= 0) throw new Error(`--header ${h}: use name=value`);
        headers[h.slice(0, i)] = h.slice(i + 1);
      }
      const r = await call<{ allowed: boolean; status: number; lines: string[] }>(target(o), 'POST', '/v1/authz/explain', { from: o.from, to: o.to, method: o.method, path: o.path, headers });
      process.stdout.write(r.lines.join('\n') + `\nresult: ${r.allowed ? 'ALLOWED' : `DENIED (${r.status})`}\n`);
    });
}
