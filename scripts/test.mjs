#!/usr/bin/env node
// The whole test suite: build, then node:test over unit tests (beside the code) and integration tests (test/).
// Installs nothing today; when a test needs a Debian package, this is where it gets installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', root], { stdio: 'inherit' });

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
