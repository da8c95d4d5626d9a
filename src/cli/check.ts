import type { Command } from 'commander';
import { call } from '../control/client.js';
import type { CheckResult } from '../api/control-api.js';
import { out, outputArg, target, withControl, type ControlOpts } from './common.js';
import { renderCheck } from './render/check.js';

export function registerCheck(program: Command): void {
  withControl(program.command('check'))
    .description('health checks of the running mesh: config references, apps, proxies\' sync, certificates, mTLS, versions; PASS/WARN/FAIL with hints (exit 1 on any FAIL)')
    .option('-o, --output <format>', 'table or json', outputArg, 'table')
    .action(async (o: { output: 'json' | 'table' } & ControlOpts) => {
      const results = await call<CheckResult[]>(target(o), 'GET', '/v1/check');
      out(renderCheck(results, o.output));
      if (results.some((r) => r.status === 'FAIL')) process.exitCode = 1;
    });
}
