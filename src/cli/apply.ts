// `weft apply -f` and `weft delete -f`: send each file to the control plane, which validates it whole.
// Refusals (invalid config, 409 when a watched file defines an object) print every reason and exit 1;
// `delete` of an object that does not exist is an error too, as in kubectl, unless --ignore-not-found.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { ApplyResult, DeleteResult } from '../api/control-api.js';
import { call, ControlError } from '../control/client.js';
import { target, withControl } from './common.js';

export interface Rendered {
  stdout: string;
  stderr: string;
  /** Whether this file's outcome makes the command exit 1. */
  failed: boolean;
}

/** What one file's answer prints. Pure, so its output is pinned by tests. */
export function renderResult(kind: 'apply' | 'delete', r: Partial<ApplyResult & DeleteResult>, opts: { ignoreNotFound?: boolean } = {}): Rendered {
  let stdout = '';
  let stderr = '';
  for (const k of r.applied ?? []) stdout += `${k} configured\n`;
  for (const k of r.unchanged ?? []) stdout += `${k} unchanged\n`;
  for (const k of r.deleted ?? []) stdout += `${k} deleted\n`;
  const missing = kind === 'delete' ? (r.notFound ?? []) : [];
  if (opts.ignoreNotFound !== true) for (const k of missing) stderr += `${k} not found\n`;
  for (const w of r.warnings ?? []) stderr += `warning: ${w}\n`;
  return { stdout, stderr, failed: missing.length > 0 && opts.ignoreNotFound !== true };
}

/** A refusal (400 invalid, 409 owned by a watched file): every reason, then that nothing changed. */
export function renderRefusal(kind: 'apply' | 'delete', file: string, errors: string[]): string {
  return `${errors.map((m) => `${m}\n`).join('')}${file}: rejected, nothing ${kind === 'apply' ? 'applied' : 'deleted'}\n`;
}

async function send(kind: 'apply' | 'delete', files: string[], opts: { control?: string; ignoreNotFound?: boolean }): Promise<void> {
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
      const r = await call<Partial<ApplyResult & DeleteResult>>(t, 'POST', `/v1/${kind}`, { text, file });
      const out = renderResult(kind, r, opts);
      process.stdout.write(out.stdout);
      process.stderr.write(out.stderr);
      failed ||= out.failed;
    } catch (e) {
      const errors = (e instanceof ControlError ? (e.body as { errors?: unknown })?.errors : undefined);
      if (e instanceof ControlError && (e.status === 400 || e.status === 409) && Array.isArray(errors)) {
        process.stderr.write(renderRefusal(kind, file, errors.map(String)));
        failed = true;
        continue;
      }
      throw e;
    }
  }
  if (failed) process.exitCode = 1;
}

export function registerApply(program: Command): void {
  withControl(program.command('apply'))
    .description('create or update objects in the running mesh (validated whole: a bad file changes nothing; objects a watched file defines are changed by editing that file)')
    .requiredOption('-f, --file <file...>', 'YAML files')
    .action((o: { file: string[]; control?: string }) => send('apply', o.file, o));
  withControl(program.command('delete'))
    .description('delete the objects named in the files from the running mesh (one that does not exist is an error)')
    .requiredOption('-f, --file <file...>', 'YAML files')
    .option('--ignore-not-found', 'treat an object that does not exist as deleted (exit 0)')
    .action((o: { file: string[]; control?: string; ignoreNotFound?: boolean }) => send('delete', o.file, o));
}
