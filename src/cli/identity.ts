import type { Command } from 'commander';
import { call } from '../control/client.js';
import { out, outputArg, target, withControl, type ControlOpts } from './common.js';
import { renderIdentity, type IdentityView } from './render/identity.js';

export function registerIdentity(program: Command): void {
  withControl(program.command('identity'))
    .argument('<proxy>', 'proxy name, as `weft status` lists it')
    .description("a proxy's workload identity: SPIFFE ID, certificate serial, validity and time to renewal")
    .option('-o, --output <format>', 'table or json', outputArg, 'table')
    .action(async (name: string, o: { output: 'json' | 'table' } & ControlOpts) => {
      const r = await call<IdentityView>(target(o), 'GET', `/v1/proxies/${encodeURIComponent(name)}/identity`);
      out(renderIdentity(r, o.output, Date.now()));
    });
}
