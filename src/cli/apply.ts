import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { call, ControlError } from '../control/client.js';
import { target, withControl } from './common.js';

async function send(kind: 'apply' | 'delete', files: string[], opts: { control?: string }): Promise<void> {
  const t = target(opts);
  let failed = false;
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      throw new Error(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    try {
      const r = await call<{ applied?: string[]; unchanged?: string[]; deleted?: string[]; notFound?: string[] }>(t, 'POST', `/v1/${kind}`, { text, file });
      for (const k of r.applied ?? []) process.stdout.write(`${k} configured\n`);
      for (const k of r.unchanged ?? []) process.stdout.write(`${k} unchanged\n`);
      for (const k of r.deleted ?? []) process.stdout.write(`${k} deleted\n`);
      for (const k of r.notFound ?? []) process.stdout.write(`${k} not found\n`);
    } catch (e) {
      if (e instanceof ControlError && e.status === 400 && Array.isArray((e.body as { errors?: string[] })?.errors)) {
        for (const m of (e.body as { errors: string[] }).errors) process.stderr.write(`${m}\n`);
        process.stderr.write(`${file}: rejected, nothing applied\n`);
        failed = true;
        continue;
      }
      throw e;
    }
  }
  if (failed) process.exit(1);
}

export function registerApply(program: Command): void {
  withControl(program.command('apply'))
    .description('create or update objects in the running mesh (validated whole: a bad file changes nothing)')
    .requiredOption('-f, --file <file...>', 'YAML files')
    .action((o: { file: string[]; control?: string }) => send('apply', o.file, o));
  withControl(program.command('delete'))
    .description('delete the objects named in the files from the running mesh')
    .requiredOption('-f, --file <file...>', 'YAML files')
    .action((o: { file: string[]; control?: string }) => send('delete', o.file, o));
}
