import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileLinear, linearRegExpProblem } from './linear-regexp.js';
import { compileRoutes, matchRoute } from '../proxy/layers/route/index.js';

test('patterns a linear engine can run pass; backreferences and lookahead are refused with the reason', () => {
  for (const ok of ['/api/v[0-9]+/.*', '(a+)+$', '^[^/]+\\.(css|js)$', '(?<name>x)y', '(?<=a)b', '(?<!a)b']) assert.equal(linearRegExpProblem(ok), undefined, ok);
  for (const bad of ['(a)\\1', '(?<n>a)\\k<n>', '(?=a)a', '(?!a)b']) assert.match(linearRegExpProblem(bad) ?? '', /^cannot be matched in linear time/, bad);
  assert.equal(linearRegExpProblem('[a-'), 'Unterminated character class');
  assert.throws(() => compileLinear('(a)\\1'), /invalid regular expression \/\(a\)\\1\/: cannot be matched in linear time/);
});

test('a route regex that backtracks catastrophically still matches in linear time in the proxy (V8 falls back to its linear engine)', () => {
  const [route] = compileRoutes([{
    route: 'default/evil', rule: 0, order: { created: '', match: 0 },
    match: { path: { type: 'RegularExpression', value: '/(a+)+' } }, filters: [], backends: [],
  }]);
  // Plain backtracking needs ~2^n steps here: n = 40 would not finish in days.
  const path = `/${'a'.repeat(40)}!`;
  const t0 = performance.now();
  assert.equal(matchRoute([route!], 'GET', path, '', {}), undefined);
  const ms = performance.now() - t0;
  assert.ok(ms < 5000, `took ${ms.toFixed(0)} ms`);
  assert.ok(matchRoute([route!], 'GET', '/aaaa', '', {}) !== undefined, 'and it still matches what it should');
});
