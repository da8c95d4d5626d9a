import path from 'node:path';
import type { Command } from 'commander';
import type { LocalMesh, GatewayUrl } from '../runtime/up.js';
import { fail } from './common.js';

export interface UpRun {
  mesh: LocalMesh;
  urls: GatewayUrl[];
}

/** Validates the files, starts the local mesh and stops it cleanly on SIGINT/SIGTERM. */
export async function startLocalMesh(files: string[], stateDir: string | undefined, onStop?: () => void): Promise<UpRun> {
  const { loadFiles, validateSet } = await import('../api/load.js');
  const { LocalMesh } = await import('../runtime/up.js');
  const { objects, errors } = await loadFiles(files);
  const all = errors.length > 0 ? errors : validateSet(objects);
  if (all.length > 0) {
    for (const e of all) process.stderr.write(`${String(e)}\n`);
    fail(`${all.length} error${all.length === 1 ? '' : 's'} in ${files.join(', ')}; nothing started`);
  }
  const dir = stateDir ?? path.join(path.dirname(path.resolve(files[0])), '.weft');
  const mesh = new LocalMesh({ files: files.map((f) => path.resolve(f)), objects, stateDir: dir, controlRestartDelayMs: Number(process.env.WEFT_CONTROL_RESTART_DELAY_MS ?? 1000) });
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${sig}: stopping (again to force)\n`);
    onStop?.();
    process.once(sig as NodeJS.Signals, () => process.exit(130));
    mesh.stop().then(() => process.exit(0), (e) => { process.stderr.write(`weft: stop failed: ${(e as Error).message}\n`); process.exit(1); });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  const urls = await mesh.start();
  return { mesh, urls };
}

export function printUrls(urls: GatewayUrl[]): void {
  if (urls.length === 0) process.stdout.write('weft: no Gateway in the config: nothing is exposed outside the mesh\n');
  for (const u of urls) process.stdout.write(`weft: gateway ${u.name}/${u.listener} listening at ${u.url}\n`);
}

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('run a local mesh: control plane, every workload with its sidecar, and the ingress gateways')
    .requiredOption('-f, --file <file...>', 'mesh config (multi-document YAML)')
    .option('--state <dir>', 'state directory (default: .weft beside the first file)')
    .action(async (o: { file: string[]; state?: string }) => {
      const { urls } = await startLocalMesh(o.file, o.state);
      printUrls(urls);
      process.stdout.write('weft: ready. `weft status` shows every proxy; Ctrl-C stops everything.\n');
    });
}
