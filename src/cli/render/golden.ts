// Golden files for the renderers' tests: each test compares a renderer's output with
// src/cli/render/testdata/<name>.golden in the source tree (tests run from dist/, so the path is found
// from the repository root). `UPDATE_GOLDEN=1 node scripts/test.mjs render` rewrites them; review the diff.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('golden: no package.json above the test file');
    dir = up;
  }
  return dir;
}

export const TESTDATA = path.join(repoRoot(), 'src', 'cli', 'render', 'testdata');

export function golden(name: string, actual: string): void {
  const file = path.join(TESTDATA, `${name}.golden`);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(TESTDATA, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) assert.fail(`${file} is missing: run UPDATE_GOLDEN=1 node scripts/test.mjs render, then review it`);
  assert.equal(actual, readFileSync(file, 'utf8'), `output differs from ${path.relative(repoRoot(), file)} (UPDATE_GOLDEN=1 rewrites it)`);
}
