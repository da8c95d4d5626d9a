import type { Command } from 'commander';
import { call } from '../control/client.js';
import type { CheckResult } from '../api/control-api.js';
import { outputArg, target, withControl } from './common.js';

export function registerCheck(program: Command): void {
  withControl(program.command('check'))
    .description('health checks of the running mesh: certificates, trust bundle, mTLS, versions; PASS/WARN/FAIL with hints')
    .option('-o, --output <format>', 'table or json', outputArg, 'table')
    .action(async (o: { output: 'json' | 'table'; control?: string }) => {
      const results = await call<CheckResult[]>(target(o), 'GET', '/v1/check');
      if (o.output === 'json') process.stdout.write(JSON.stringify(results, null, 2) + '\n');
      else {
        let cat = '';
        for (const r of results) {
          if (r.category !== cat) process.stdout.write(`${(cat = r.category)}\n`);
          process.stdout.write(`  [${r.status}] ${r.check}: ${r.message}\n`);
          if (r.hint && r.status !== 'PASS') process.stdout.write(`         hint: ${r.hint}\n`);
        }
      }
      if (results.some((r) => r.status === 'FAIL')) process.exitCode = 1;
    });
}
