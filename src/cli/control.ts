import type { Command } from 'commander';
import { intArg } from './common.js';

export function registerControl(program: Command): void {
  program
    .command('control')
    .description('run the control plane (started for you by `weft up`)')
    .requiredOption('--state <dir>', 'state directory (store, secrets)')
    .option('-f, --file <file...>', 'config files to load and watch', [])
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--api-port <port>', 'API port (0: any free port)', intArg('--api-port', 0, 65535), 0)
    .option('--xds-port <port>', 'config push port (0: any free port)', intArg('--xds-port', 0, 65535), 0)
    .action(async (o: { state: string; file: string[]; host: string; apiPort: number; xdsPort: number }) => {
      // Loaded on demand: each process pays only for the command it runs.
      const { runControl } = await import('../control/main.js');
      await runControl({ stateDir: o.state, files: o.file, host: o.host, apiPort: o.apiPort, xdsPort: o.xdsPort });
    });
}
