import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HTTPRouteMatch } from '../../../api/types.js';
import { compileRoutes } from './compile.js';
import { matchRoute, prefixMatches, type RequestHeaders } from './match.js';
import { entry, exact, prefix, regex } from './testutil.js';

function matches(m: Partial<HTTPRouteMatch>, req: { method?: string; path?: string; query?: string; headers?: RequestHeaders }): boolean {
  const routes = compileRoutes([entry(m)]);
  return matchRoute(routes, req.method ?? 'GET', req.path ?? '/', req.query ?? '', req.headers ?? {}) !== undefined;
}

test('PathPrefix is element-wise; a trailing "/" on the prefix is ignored', () => {
  const cases: [string, string, boolean][] = [
    ['/foo', '/foo', true],
    ['/foo', '/foo/', true],
    ['/foo', '/foo/bar', true],
    ['/foo', '/foobar', false],
    ['/foo', '/fo', false],
    ['/foo', '/Foo', false],
    ['/foo', '/', false],
    ['/foo/', '/foo', true],
    ['/foo/', '/foo/bar', true],
    ['/foo/', '/foobar', false],
    ['/foo/bar', '/foo/bar/baz', true],
    ['/foo/bar', '/foo/barbaz', false],
    ['/', '/', true],
    ['/', '/anything/at/all', true],
  ];
  for (const [p, path, want] of cases) assert.equal(matches({ path: prefix(p) }, { path }), want, `${p} vs ${path}`);
  assert.equal(prefixMatches('', '*'), true);
});

test('Exact path compares exactly', () => {
  const cases: [string, string, boolean][] = [
    ['/abc', '/abc', true],
    ['/abc', '/abc/', false],
    ['/abc', '/Abc', false],
    ['/abc', '/abcd', false],
    ['/abc/', '/abc/', true],
    ['/abc/', '/abc', false],
  ];
  for (const [p, path, want] of cases) assert.equal(matches({ path: exact(p) }, { path }), want, `${p} vs ${path}`);
});

test('RegularExpression path is an anchored, case-sensitive full match', () => {
  assert.equal(matches({ path: regex('/v[0-9]+/.*') }, { path: '/v2/items' }), true);
  assert.equal(matches({ path: regex('/v[0-9]+/.*') }, { path: '/x/v2/items' }), false);
  assert.equal(matches({ path: regex('/v[0-9]+') }, { path: '/v2/items' }), false);
  assert.equal(matches({ path: regex('/a|/b') }, { path: '/b' }), true);
  assert.equal(matches({ path: regex('/a|/b') }, { path: '/bc' }), false);
  assert.equal(matches({ path: regex('/V1') }, { path: '/v1' }), false);
});

test('method is an exact match', () => {
  assert.equal(matches({ method: 'GET' }, { method: 'GET' }), true);
  assert.equal(matches({ method: 'GET' }, { method: 'POST' }), false);
  assert.equal(matches({ method: 'GET' }, { method: 'get' }), false);
  assert.equal(matches({}, { method: 'DELETE' }), true);
});

test('headers: names case-insensitive, values case-sensitive, all must match', () => {
  const h = (name: string, value: string, type: 'Exact' | 'RegularExpression' = 'Exact') => ({ type, name, value });
  assert.equal(matches({ headers: [h('X-Version', 'v2')] }, { headers: { 'x-version': 'v2' } }), true);
  assert.equal(matches({ headers: [h('x-version', 'v2')] }, { headers: { 'x-version': 'V2' } }), false);
  assert.equal(matches({ headers: [h('x-version', 'v2')] }, { headers: {} }), false);
  assert.equal(matches({ headers: [h('x-version', 'v2')] }, { headers: { 'x-version': undefined } }), false);
  assert.equal(matches({ headers: [h('a', '1'), h('b', '2')] }, { headers: { a: '1', b: '2' } }), true);
  assert.equal(matches({ headers: [h('a', '1'), h('b', '2')] }, { headers: { a: '1', b: '3' } }), false);
  // Only the first entry for a name counts.
  assert.equal(matches({ headers: [h('a', '1'), h('A', '2')] }, { headers: { a: '1' } }), true);
});

test('headers: regex is a full match; repeated headers', () => {
  const h = (name: string, value: string, type: 'Exact' | 'RegularExpression') => ({ type, name, value });
  assert.equal(matches({ headers: [h('x-id', '[a-z]+-[0-9]+', 'RegularExpression')] }, { headers: { 'x-id': 'abc-12' } }), true);
  assert.equal(matches({ headers: [h('x-id', '[a-z]+-[0-9]+', 'RegularExpression')] }, { headers: { 'x-id': 'abc-12x' } }), false);
  // Exact: any one of the values.
  assert.equal(matches({ headers: [h('cookie', 'b=2', 'Exact')] }, { headers: { cookie: ['a=1', 'b=2'] } }), true);
  assert.equal(matches({ headers: [h('cookie', 'c=3', 'Exact')] }, { headers: { cookie: ['a=1', 'b=2'] } }), false);
  // Regex: the values joined by ",".
  assert.equal(matches({ headers: [h('x-tag', 'a,b', 'RegularExpression')] }, { headers: { 'x-tag': ['a', 'b'] } }), true);
  assert.equal(matches({ headers: [h('x-tag', '.*\\bb$', 'RegularExpression')] }, { headers: { 'x-tag': ['a', 'b'] } }), true);
  assert.equal(matches({ headers: [h('x-tag', 'a', 'RegularExpression')] }, { headers: { 'x-tag': ['a', 'b'] } }), false);
});

test('query params: exact, case-sensitive, decoded, first occurrence wins', () => {
  const q = (name: string, value: string, type: 'Exact' | 'RegularExpression' = 'Exact') => ({ type, name, value });
  const cases: [ReturnType<typeof q>[], string, boolean][] = [
    [[q('animal', 'whale')], 'animal=whale', true],
    [[q('animal', 'whale')], 'a=1&animal=whale&b', true],
    [[q('animal', 'whale')], 'animal=Whale', false],
    [[q('animal', 'whale')], 'Animal=whale', false],
    [[q('animal', 'whale')], 'animals=whale', false],
    [[q('animal', 'whale')], 'xanimal=whale', false],
    [[q('animal', 'whale')], '', false],
    [[q('animal', 'whale')], 'animal', false],
    [[q('animal', 'whale')], 'animal=', false],
    [[q('animal', 'whale')], 'animal=dolphin&animal=whale', false],
    [[q('animal', 'whale')], 'animal=whale&animal=dolphin', true],
    [[q('animal', 'whale')], '&&animal=whale&', true],
    [[q('q', 'a b')], 'q=a+b', true],
    [[q('q', 'a b')], 'q=a%20b', true],
    [[q('q', 'a+b')], 'q=a%2Bb', true],
    [[q('q', 'a+b')], 'q=a+b', false],
    [[q('my key', 'x=y')], 'my%20key=x%3Dy', true],
    [[q('my key', 'x=y')], 'my+key=x=y', true],
    [[q('q', '100%')], 'q=100%', true], // malformed escape: compared as sent
    [[q('é', 'ü')], '%C3%A9=%C3%BC', true],
    [[q('a', '1'), q('b', '2')], 'b=2&a=1', true],
    [[q('a', '1'), q('b', '2')], 'a=1', false],
    [[q('v', '[0-9]+', 'RegularExpression')], 'v=123', true],
    [[q('v', '[0-9]+', 'RegularExpression')], 'v=12a', false],
    [[q('v', 'a b', 'RegularExpression')], 'v=a+b', true],
    [[q('v', '.*', 'RegularExpression')], 'v', true],
  ];
  for (const [qp, query, want] of cases) assert.equal(matches({ queryParams: qp }, { query }), want, `${JSON.stringify(qp)} vs "${query}"`);
});

test('all conditions of one match are ANDed', () => {
  const m: Partial<HTTPRouteMatch> = {
    path: prefix('/api'),
    method: 'POST',
    headers: [{ type: 'Exact', name: 'x-a', value: '1' }],
    queryParams: [{ type: 'Exact', name: 'q', value: '1' }],
  };
  const ok = { method: 'POST', path: '/api/x', query: 'q=1', headers: { 'x-a': '1' } };
  assert.equal(matches(m, ok), true);
  assert.equal(matches(m, { ...ok, method: 'GET' }), false);
  assert.equal(matches(m, { ...ok, path: '/apix' }), false);
  assert.equal(matches(m, { ...ok, query: 'q=2' }), false);
  assert.equal(matches(m, { ...ok, headers: {} }), false);
});
