import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROXY_NODE_FLAGS, proxyExecArgv } from './flags.js';

describe('proxyExecArgv', () => {
  it('adds the proxy flags after the parent exec arguments', () => {
    assert.deepEqual(proxyExecArgv(['--cpu-prof']), ['--cpu-prof', ...PROXY_NODE_FLAGS]);
  });
  it('leaves a flag the parent sets to the parent, so an operator can override it', () => {
    assert.deepEqual(proxyExecArgv(['--max-semi-space-size=8']), ['--max-semi-space-size=8', '--no-maglev']);
    // A flag turned back on in the parent (`--maglev`) is not turned off again by ours.
    assert.deepEqual(proxyExecArgv(['--maglev', '--max-semi-space-size=4']), ['--maglev', '--max-semi-space-size=4']);
  });
});
