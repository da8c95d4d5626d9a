import type { Command } from 'commander';
import { call } from '../control/client.js';
import type { ControlStatus } from '../api/control-api.js';
import { out, outputArg, target, withControl, type ControlOpts } from './common.js';
import { renderStatus } from './render/status.js';

export function registerStatus(program: Command): void {
  withControl(program.command('status'))
    .description('control plane version, every proxy with its config version and sync state, each app\'s readiness and restarts, gateway URLs')
    .option('-o, --output <format>', 'table or json', outputArg, 'table')
    .action(async (o: { output: 'json' | 'table' } & ControlOpts) => {
      out(renderStatus(await call<ControlStatus>(target(o), 'GET', '/v1/status'), o.output));
    });
}
