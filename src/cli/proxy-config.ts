import type { Command } from 'commander';
import { call } from '../control/client.js';
import { out, outputArg, target, withControl, type ControlOpts } from './common.js';
import { renderProxyConfig, type ProxyConfigView } from './render/proxy-config.js';

export function registerProxyConfig(program: Command): void {
  withControl(program.command('proxy-config'))
    .argument('<proxy>', 'proxy name, as `weft status` lists it')
    .description('the config snapshot a proxy is running (the last one it accepted)')
    .option('-o, --output <format>', 'table or json', outputArg, 'table')
    .action(async (name: string, o: { output: 'json' | 'table' } & ControlOpts) => {
      const r = await call<ProxyConfigView>(target(o), 'GET', `/v1/proxies/${encodeURIComponent(name)}/config`);
      out(renderProxyConfig(r, o.output));
    });
}
