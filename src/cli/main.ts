#!/usr/bin/env node
// The weft command line: parses and wires only; each command lives in its own file.
import { Command } from 'commander';
import { VERSION } from '../version.js';
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

const program = new Command();
program
  .name('weft')
  .description('weft: a service mesh. mTLS, L7 routing, canaries, authorization and observability for every call, with no app changes.')
  .version(VERSION)
  .showHelpAfterError('(run `weft --help` for usage)');

registerUp(program);
registerDemo(program);
registerValidate(program);
registerApply(program);
registerStatus(program);
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
registerControl(program);
registerProxy(program);

program.parseAsync(process.argv).catch((e: Error) => {
  process.stderr.write(`weft: ${e.message}\n`);
  process.exit(1);
});
