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
    .option('--store <url>', 'where config and CA state live: etcd://host:2379[,host2:2379,...][/prefix/] (default: $WEFT_STORE, else a file store in --state)')
    .option('--store-key-file <file>', "key sealing the CA's private keys in the store: 32 random bytes, base64 (openssl rand -base64 32) or hex; required with etcd (default: $WEFT_STORE_KEY_FILE)")
    .option('--host-api-port <port>', 'the port of the API for joined hosts (mTLS; 0: any free port)', intArg('--host-api-port', 0, 65535), 0)
    .option('--no-run-file', 'do not write the run file the CLI finds the mesh by (further replicas of an HA control plane)')
    .action(async (o: { state: string; file: string[]; host: string; apiPort: number; xdsPort: number; store?: string; storeKeyFile?: string; runFile: boolean; hostApiPort: number }) => {
      // Loaded on demand: each process pays only for the command it runs.
      const { runControl } = await import('../control/main.js');
      await runControl({ stateDir: o.state, files: o.file, host: o.host, apiPort: o.apiPort, xdsPort: o.xdsPort, store: o.store, storeKeyFile: o.storeKeyFile, runFile: o.runFile, hostApiPort: o.hostApiPort });
    });
}
