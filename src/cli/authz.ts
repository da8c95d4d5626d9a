import type { Command } from 'commander';
import { call } from '../control/client.js';
import { out, outputArg, target, UsageError, withControl, type ControlOpts } from './common.js';
import { renderExplain, type ExplainView } from './render/authz.js';

export function registerAuthz(program: Command): void {
  const authz = program.command('authz').description('authorization policy tools');
  withControl(authz.command('explain'))
    .description('which AuthorizationPolicy decides a request, and why')
    .requiredOption('--from <workload>', 'calling workload (or Gateway), optionally name.namespace')
    .requiredOption('--to <service>', 'destination service, optionally name.namespace')
    .option('--method <method>', 'HTTP method', 'GET')
    .option('--path <path>', 'request path', '/')
    .option('--header <k=v...>', 'request header (repeatable)', [])
    .option('-o, --output <format>', 'table or json', outputArg, 'table')
    .action(async (o: { from: string; to: string; method: string; path: string; header: string[]; output: 'json' | 'table' } & ControlOpts) => {
      const headers: Record<string, string> = {};
      for (const h of o.header) {
        const i = h.indexOf('=');
        if (i <= 0) throw new UsageError(`--header ${h}: use name=value`);
        headers[h.slice(0, i)] = h.slice(i + 1);
      }
      const r = await call<ExplainView>(target(o), 'POST', '/v1/authz/explain', { from: o.from, to: o.to, method: o.method, path: o.path, headers });
      out(renderExplain(r, o.output));
    });
}
