// `weft rollout restart WORKLOAD`: replace every replica of a workload, one at a time, with no spec change
// (a new process picks up what changed outside the config: a rebuilt binary, a rotated file).
import type { Command } from 'commander';
import { call, ControlError } from '../control/client.js';
import type { ApiError, RolloutRestartRequest, RolloutRestartResult } from '../api/control-api.js';
import { fail, target, withControl } from './common.js';

export function registerRollout(program: Command): void {
  const rollout = program.command('rollout').description('manage the rollout of a workload');
  withControl(rollout.command('restart'))
    .description('replace every replica of a workload one at a time (start a new one, wait until it serves, drain an old one)')
    .argument('<workload>', 'workload name')
    .option('-n, --namespace <ns>', 'namespace (default: the only workload of that name, else the mesh default)')
    .action(async (workload: string, o: { namespace?: string; control?: string }) => {
      const body: RolloutRestartRequest = { workload, ...(o.namespace ? { namespace: o.namespace } : {}) };
      try {
        const r = await call<RolloutRestartResult>(target(o), 'POST', '/v1/rollout/restart', body);
        process.stdout.write(`workload ${r.namespace}/${r.workload} restart requested at ${r.restartedAt}; \`weft up\` replaces its replicas one at a time\n`);
      } catch (e) {
        const s = e instanceof ControlError ? (e.body as ApiError | undefined)?.suggestion : undefined;
        fail(`${(e as Error).message}${s ? `; did you mean "${s}"?` : ''}`);
      }
    });
}
