#!/usr/bin/env node
// The weft command line: parses and wires only; each command lives in its own file.
import { Command, type CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { errorMessage, UsageError } from './common.js';
import { formatUsageError } from './render/errors.js';
import { registerGet } from './get.js';
import { registerVersion } from './version.js';
import { registerUp } from './up.js';
import { registerDemo } from './demo.js';
import { registerControl } from './control.js';
import { registerProxy } from './proxy.js';
import { registerValidate } from './validate.js';
import { registerApply } from './apply.js';
import { registerStatus } from './status.js';
import { registerProxyConfig } from './proxy-config.js';
import { registerIdentity } from './identity.js';
import { registerCa } from './ca.js';
import { registerCheck } from './check.js';
import { registerAuthz } from './authz.js';
import { registerStat } from './stat.js';
import { registerEdges } from './edges.js';
import { registerTap } from './tap.js';
import { registerTop } from './top.js';
import { registerLearn } from './learn.js';
import { registerLogs } from './logs.js';
import { registerRollout } from './rollout.js';
import { registerToken } from './token.js';
import { registerJoin } from './join.js';
import { registerCapture } from './capture.js';

const program = new Command();
program
  .name('weft')
  .description('weft: a service mesh. mTLS, L7 routing, canaries, authorization and observability for every call, with no app changes.')
  .version(VERSION)
  .showHelpAfterError('(run `weft --help` for usage)')
  // Set before the commands are registered: subcommands inherit both.
  .configureOutput({ outputError: (str, write) => write(formatUsageError(str)) })
  .exitOverride((e: CommanderError) => process.exit(e.exitCode === 0 ? 0 : 2));

registerUp(program);
registerDemo(program);
registerValidate(program);
registerApply(program);
registerStatus(program);
registerGet(program);
registerVersion(program);
registerProxyConfig(program);
registerIdentity(program);
registerCheck(program);
registerCa(program);
registerAuthz(program);
registerStat(program);
registerTop(program);
registerTap(program);
registerEdges(program);
registerLearn(program);
registerLogs(program);
registerRollout(program);
registerToken(program);
registerJoin(program);
registerCapture(program);
registerControl(program);
registerProxy(program);

// A usage error points at the help of the command that was called wrongly.
const helpHints = (c: Command, path: string): void => {
  for (const sub of c.commands) {
    sub.showHelpAfterError(`(run \`${path} ${sub.name()} --help\` for usage)`);
    helpHints(sub, `${path} ${sub.name()}`);
  }
};
helpHints(program, 'weft');

// Exit codes (docs/cli.md): 0 ok, 1 the command failed, 2 it was called wrongly (unknown command or
// option, bad or missing argument). A reader that stops early (`weft status | head -1`) is not a failure:
// stdout's EPIPE ends the command quietly with 0.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
process.stderr.on('error', () => {
  /* nowhere left to report it */
});

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`weft: ${errorMessage(e)}\n`);
  process.exit(e instanceof UsageError ? 2 : 1);
});
