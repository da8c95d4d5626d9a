import type { Command } from 'commander';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check config files offline: every error with file:line:column and field path')
    .requiredOption('-f, --file <file...>', 'files to check')
    .action(async (o: { file: string[] }) => {
      const { loadFiles, validateSet } = await import('../api/load.js');
      const { objects, errors } = await loadFiles(o.file);
      const all = errors.length > 0 ? errors : validateSet(objects);
      if (all.length > 0) {
        for (const e of all) process.stderr.write(`${String(e)}\n`);
        process.stderr.write(`${all.length} error${all.length === 1 ? '' : 's'}; nothing is valid until all are fixed\n`);
        process.exit(1);
      }
      process.stdout.write(`${o.file.join(', ')}: ${objects.length} object${objects.length === 1 ? '' : 's'} valid\n`);
    });
}
