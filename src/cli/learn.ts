import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { InvalidArgumentError, type Command } from 'commander';
import { MODULES, cardsOf, type ModuleId } from '../learn/cards/index.js';
import { mergeProgress, parseProgress, resetProgress, serializeProgress, withScheduler, ProgressError } from '../learn/progress.js';
import { renderStats } from '../learn/render.js';
import { SCHEDULERS, type SchedulerName } from '../learn/scheduler.js';
import { computeStats } from '../learn/stats.js';
import { backupProgress, loadProgress, progressPath, saveProgress } from '../learn/store.js';
import { runTerminalSession } from '../learn/terminal.js';
import { startLearnServer } from '../learn/web/server.js';
import { fail, intArg, outputArg } from './common.js';

const moduleArg = (v: string): ModuleId => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > MODULES.length) {
    throw new InvalidArgumentError(`module must be 1-${MODULES.length} (${MODULES.map((m) => `${m.id} ${m.title}`).join(', ')}), got "${v}"`);
  }
  return n as ModuleId;
};

const schedulerArg = (v: string): SchedulerName => {
  if (!SCHEDULERS.includes(v as SchedulerName)) throw new InvalidArgumentError(`scheduler must be ${SCHEDULERS.join(' or ')}, got "${v}"`);
  return v as SchedulerName;
};

function load(file: string) {
  const l = loadProgress(file);
  if (l.notice) process.stderr.write(l.notice + '\n');
  return l.progress;
}

function ask(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    let answered = false;
    rl.question(question, (a) => {
      answered = true;
      rl.close();
      resolve(a.trim());
    });
    rl.on('close', () => {
      if (!answered) resolve('');
    });
  });
}

export function registerLearn(program: Command): void {
  const learn = program
    .command('learn')
    .description('the built-in learning track: 80 cards on service meshes in five modules, spaced repetition, tied to `weft demo`')
    .option('-m, --module <n>', 'study one module only (1-5)', moduleArg)
    .option('--new <n>', 'new cards per day (saved in your progress)', intArg('--new', 0, 1000))
    .option('--scheduler <name>', 'fsrs (default) or sm2 (saved in your progress)', schedulerArg)
    .option('--web', 'study in the browser instead: a local server, progress kept in the browser')
    .option('--port <port>', 'port for --web (default: any free port)', intArg('--port', 0, 65535), 0)
    .option('--host <address>', 'address for --web to listen on', '127.0.0.1')
    .addHelpText('after', '\nKeys are shown on every screen; Ctrl-C or q saves and quits. Progress: $WEFT_HOME/learn/progress.json (default ~/.weft).')
    .action(async (o: { module?: ModuleId; new?: number; scheduler?: SchedulerName; web?: boolean; port: number; host: string }) => {
      if (o.web) {
        const server = await startLearnServer({ host: o.host, port: o.port });
        process.stdout.write(`weft learn: open ${server.url} in a browser. Progress stays in that browser (export/import it on the page). Ctrl-C stops the server.\n`);
        const stop = () => void server.close().then(() => process.exit(0));
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        return;
      }
      const file = progressPath();
      let progress = load(file);
      if (o.scheduler) progress = withScheduler(progress, o.scheduler);
      if (o.new !== undefined) progress = { ...progress, newPerDay: o.new };
      if (o.scheduler || o.new !== undefined) progress = saveProgress(file, progress).progress;
      const input = process.stdin;
      const interrupt = () => {
        // Without a TTY in raw mode, Ctrl-C arrives as a signal: every rating is already saved.
        process.stdout.write(`\nweft learn: progress saved to ${file}\n`);
        process.exit(0);
      };
      process.once('SIGINT', interrupt);
      process.once('SIGHUP', interrupt);
      process.once('SIGTERM', interrupt);
      const r = await runTerminalSession({
        input,
        output: process.stdout,
        progress,
        file,
        module: o.module,
        save: (p) => {
          const saved = saveProgress(file, p);
          if (saved.notice) process.stderr.write(saved.notice + '\n');
          return saved.progress;
        },
      });
      if (r.end === 'interrupt') process.stdout.write(`weft learn: progress saved to ${file}\n`);
      process.exit(0);
    });

  learn
    .command('stats')
    .description('progress per module from seed to full bloom (new / learning / young / mature), due today, streak, retention')
    .option('-m, --module <n>', 'one module only (1-5)', moduleArg)
    .option('--reset', 'forget progress (of --module, else all), after asking; a backup of the file is kept')
    .option('-y, --yes', 'with --reset: do not ask')
    .option('-o, --output <format>', 'table or json', outputArg, 'table')
    .action(async (o: { module?: ModuleId; reset?: boolean; yes?: boolean; output: 'json' | 'table' }, cmd: Command) => {
      // `weft learn stats --module 2`: commander hands --module to `learn`, which declares it too.
      o.module ??= (cmd.parent?.opts() as { module?: ModuleId }).module;
      const file = progressPath();
      let progress = load(file);
      if (o.reset) {
        const ids = o.module ? new Set(cardsOf(o.module).map((c) => c.id)) : undefined;
        const reviews = progress.log.filter((e) => !ids || ids.has(e.card)).length;
        const what = o.module ? `module ${o.module} (${MODULES[o.module - 1].title})` : 'all modules';
        if (!o.yes) {
          const a = await ask(`Reset progress of ${what}: ${reviews} review${reviews === 1 ? '' : 's'} will be forgotten. Type "yes" to reset: `);
          if (a.toLowerCase() !== 'yes') fail('reset cancelled; nothing changed');
        }
        const backup = backupProgress(file);
        progress = saveProgress(file, resetProgress(progress, ids), { merge: false }).progress;
        process.stderr.write(`weft learn: reset ${what}${backup ? `; the previous file is kept as ${backup}` : ''}\n`);
      }
      const stats = computeStats(progress, new Date(), o.module);
      if (o.output === 'json') return void process.stdout.write(JSON.stringify({ ...stats, file }, null, 2) + '\n');
      process.stdout.write(renderStats(stats, file));
    });

  learn
    .command('export')
    .argument('[file]', 'where to write (default: standard output)')
    .description("write your progress as JSON, the format the --web page's Import button reads")
    .action((out: string | undefined) => {
      const file = progressPath();
      const text = serializeProgress(load(file));
      if (out) {
        writeFileSync(out, text);
        process.stderr.write(`weft learn: progress written to ${out}\n`);
      } else process.stdout.write(text);
    });

  learn
    .command('import')
    .argument('<file>', "a progress file, e.g. one the --web page's Export button saved")
    .description('merge reviews from a progress file into yours (nothing of yours is lost; the same review is not counted twice)')
    .action((src: string) => {
      let theirs;
      try {
        theirs = parseProgress(readFileSync(src, 'utf8'));
      } catch (e) {
        fail(`${src}: ${e instanceof ProgressError ? e.message : (e as Error).message}`);
      }
      const file = progressPath();
      const mine = load(file);
      const merged = mergeProgress(mine, theirs);
      const added = merged.log.length - mine.log.length;
      saveProgress(file, merged);
      process.stdout.write(`weft learn: imported ${added} review${added === 1 ? '' : 's'} from ${src} (${theirs.log.length - added} already there) into ${file}\n`);
    });
}
