import assert from 'node:assert/strict';
import { it } from 'node:test';
import { child, type KeyTree } from './keytree.js';

it('finds the same node for the same tuple of keys and a new one for any other, undefined and "" included', () => {
  const root: KeyTree = new Map();
  const at = (...ks: unknown[]) => ks.reduce<KeyTree>((m, k) => child(m, k), root);
  const a = at('x', 1, true);
  assert.equal(at('x', 1, true), a);
  const others = [at('x', 1, false), at('x', '1', true), at(undefined, 1, true), at('', 1, true), at('x', 1, true, undefined)];
  assert.equal(new Set([a, ...others]).size, 6);
  assert.equal(root.size, 3); // 'x', undefined, ''
});
