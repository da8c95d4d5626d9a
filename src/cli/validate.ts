import type { Command } from 'commander';
import { out, outputArg } from './common.js';
import { renderValidate } from './render/validate.js';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check config files offline: every error with file:line:column and field path (exit 1 if any)')
    .requiredOption('-f, --file <file...>', 'files to check')
    .option('-o, --output <format>', 'table or json', outputArg, 'table')
    .action(async (o: { file: string[]; output: 'json' | 'table' }) => {
      const { loadFiles, allErrors } = await import('../api/load.js');
      const { objects, errors } = await loadFiles(o.file);
      const all = allErrors(objects, errors);
      const r = renderValidate({ files: o.file, objects: objects.length, errors: all.map(String) }, o.output);
      out(r.stdout);
      if (r.stderr) process.stderr.write(r.stderr);
      if (all.length > 0) process.exitCode = 1;
    });
}
