import type { Command } from 'commander';
import { call } from '../control/client.js';
import type { ControlStatus } from '../api/control-api.js';
import { VERSION } from '../version.js';
import { errorMessage, out, outputArg, target, withControl, type ControlOpts } from './common.js';
import { renderVersion, type VersionView } from './render/version.js';

export function registerVersion(program: Command): void {
  withControl(program.command('version'))
    .description("this CLI's version and, when a mesh runs, its control plane's")
    .option('--short', "only the CLI's version, without asking the control plane")
    .option('-o, --output <format>', 'table or json', outputArg, 'table')
    .action(async (o: { short?: boolean; output: 'json' | 'table' } & ControlOpts) => {
      const v: VersionView = { client: VERSION, server: null };
      if (!o.short) {
        try {
          const s = await call<ControlStatus>(target(o), 'GET', '/v1/status', undefined, 3000);
          v.server = { version: s.control.version, mesh: s.control.mesh, url: s.control.url };
        } catch (e) {
          v.unavailable = errorMessage(e).split('\n')[0].replace(/:$/, '');
        }
      }
      out(renderVersion(v, { output: o.output, short: o.short === true }));
    });
}
