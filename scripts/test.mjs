#!/usr/bin/env node
// The whole test suite: build, lint, then node:test over unit tests (beside the code) and integration tests (test/).
// Installs the Debian packages the tests need when they are missing (CI runs as root).
import { runOnNode24 } from '../bin/node24.mjs';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

// `npm test` finds the bundled Node 24 first on PATH; `node scripts/test.mjs` from a shell may be an older
// node. Everything below starts node as process.execPath, so it must be 24 from here on.
await runOnNode24('scripts/test.mjs');

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

// Debian packages the integration tests run for real: Prometheus scrapes a running mesh; Redis is the
// opaque-TCP workload, driven by redis-cli and redis-benchmark (redis-tools); `weft learn` runs in a real
// 80x24 terminal (tmux) and its web page in a real headless Chromium; the etcd store runs against real etcd;
// `weft capture` sets real iptables rules in a network namespace.
const debs = [['prometheus', '/usr/bin/prometheus'], ['redis-server', '/usr/bin/redis-server'], ['redis-tools', '/usr/bin/redis-benchmark'],
  ['tmux', '/usr/bin/tmux'], ['chromium', '/usr/bin/chromium'], ['etcd-server', '/usr/bin/etcd'],
  ['iptables', '/usr/sbin/iptables']]
  .filter(([, bin]) => !existsSync(bin)).map(([pkg]) => pkg);
if (debs.length > 0) {
  console.log(`installing ${debs.join(' ')} from Debian for the integration tests`);
  execFileSync('bash', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${debs.join(' ')}`], { stdio: 'inherit' });
}
execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', root], { stdio: 'inherit' });
// The linter (eslint.config.js: floating promises, unused code, type-only imports) fails the suite like a test.
execFileSync(process.execPath, [path.join(root, 'node_modules/eslint/bin/eslint.js'), '--max-warnings', '0', root], { stdio: 'inherit', cwd: root });

function find(dir, out = []) {
  for (const n of readdirSync(dir)) {
    const p = path.join(dir, n);
    if (statSync(p).isDirectory()) find(p, out);
    else if (n.endsWith('.test.js')) out.push(p);
  }
  return out;
}
const only = process.argv.slice(2);
const files = [...find(path.join(root, 'dist/src')), ...find(path.join(root, 'dist/test'))]
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], { stdio: 'inherit', cwd: root, env: { ...process.env, NO_COLOR: '1' } });
process.exit(r.status ?? 1);
