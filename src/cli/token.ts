// `weft token create`: a one-time join token for a host that joins the mesh (`weft join`, docs/fleet.md).
import type { Command } from 'commander';
import { call } from '../control/client.js';
import type { JoinTokenView } from '../api/control-api.js';
import { fail, target, withControl } from './common.js';

export function registerToken(program: Command): void {
  const token = program.command('token').description('join tokens for hosts that join the mesh');
  withControl(token.command('create'))
    .description('a one-time join token: a host spends it once, before it expires, for its own credential')
    .option('--ttl <duration>', 'how long it may be used, 1s to 24h', '15m')
    .action(async (o: { ttl: string; control?: string }) => {
      try {
        const t = await call<JoinTokenView>(target(o), 'POST', '/v1/join-tokens', { ttl: o.ttl });
        process.stdout.write(`${t.token}\n`);
        process.stderr.write(`valid once, until ${t.expiresAt}; only its digest is kept, so this is the only time it is shown\n`);
      } catch (e) {
        fail((e as Error).message);
      }
    });
}
