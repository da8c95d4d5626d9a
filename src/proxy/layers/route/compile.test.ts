import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RouteEntry } from '../../../api/snapshot.js';
import { compileRoutes, compileVirtualHosts, normalizeHost, RouteCompileError, selectVirtualHost } from './compile.js';
import { matchRoute } from './match.js';
import { entry, exact, id, prefix, regex } from './testutil.js';

interface Req {
  method?: string;
  path: string;
  query?: string;
  headers?: Record<string, string | string[]>;
}

function winner(entries: RouteEntry[], req: Req): string | undefined {
  const routes = compileRoutes(entries);
  return id(matchRoute(routes, req.method ?? 'GET', req.path, req.query ?? '', req.headers ?? {})?.entry);
}

const T1 = '2024-01-01T00:00:00Z';
const T2 = '2024-01-02T00:00:00Z';

const cases: { name: string; entries: RouteEntry[]; req: Req; want: string | undefined }[] = [
  {
    name: 'exact beats a prefix, even an older route',
    entries: [entry({ path: prefix('/foo') }, { route: 'ns/old', created: T1 }), entry({ path: exact('/foo/bar') }, { route: 'ns/new', created: T2 })],
    req: { path: '/foo/bar' },
    want: 'ns/new#0.0',
  },
  {
    name: 'exact does not match a longer path, so the prefix takes it',
    entries: [entry({ path: prefix('/foo') }, { route: 'ns/old' }), entry({ path: exact('/foo/bar') }, { route: 'ns/new' })],
    req: { path: '/foo/bar/' },
    want: 'ns/old#0.0',
  },
  {
    name: 'longest prefix wins',
    entries: [
      entry({ path: prefix('/') }, { route: 'ns/a', created: T1 }),
      entry({ path: prefix('/foo/bar') }, { route: 'ns/c', created: T2 }),
      entry({ path: prefix('/foo') }, { route: 'ns/b', created: T1 }),
    ],
    req: { path: '/foo/bar/baz' },
    want: 'ns/c#0.0',
  },
  {
    name: 'longest prefix that matches element-wise',
    entries: [entry({ path: prefix('/') }, { route: 'ns/a' }), entry({ path: prefix('/foo/bar') }, { route: 'ns/c' }), entry({ path: prefix('/foo') }, { route: 'ns/b' })],
    req: { path: '/foo/barn' },
    want: 'ns/b#0.0',
  },
  {
    name: 'a trailing "/" does not make a prefix longer: the older route wins the tie',
    entries: [entry({ path: prefix('/foo/') }, { route: 'ns/a', created: T2 }), entry({ path: prefix('/foo') }, { route: 'ns/b', created: T1 })],
    req: { path: '/foo/x' },
    want: 'ns/b#0.0',
  },
  {
    name: 'method match beats no method',
    entries: [entry({}, { route: 'ns/a', created: T1 }), entry({ method: 'GET' }, { route: 'ns/b', created: T2 })],
    req: { method: 'GET', path: '/x' },
    want: 'ns/b#0.0',
  },
  {
    name: 'a method route does not take other methods',
    entries: [entry({}, { route: 'ns/a', created: T1 }), entry({ method: 'GET' }, { route: 'ns/b', created: T2 })],
    req: { method: 'POST', path: '/x' },
    want: 'ns/a#0.0',
  },
  {
    name: 'path beats method',
    entries: [entry({ path: prefix('/foo') }, { route: 'ns/a', created: T2 }), entry({ method: 'GET' }, { route: 'ns/b', created: T1 })],
    req: { method: 'GET', path: '/foo' },
    want: 'ns/a#0.0',
  },
  {
    name: 'more header matches win',
    entries: [
      entry({ headers: [{ type: 'Exact', name: 'a', value: '1' }] }, { route: 'ns/a', created: T1 }),
      entry({ headers: [{ type: 'Exact', name: 'a', value: '1' }, { type: 'Exact', name: 'b', value: '2' }] }, { route: 'ns/b', created: T2 }),
    ],
    req: { path: '/', headers: { a: '1', b: '2' } },
    want: 'ns/b#0.0',
  },
  {
    name: 'more header matches only win when they match',
    entries: [
      entry({ headers: [{ type: 'Exact', name: 'a', value: '1' }] }, { route: 'ns/a', created: T1 }),
      entry({ headers: [{ type: 'Exact', name: 'a', value: '1' }, { type: 'Exact', name: 'b', value: '2' }] }, { route: 'ns/b', created: T2 }),
    ],
    req: { path: '/', headers: { a: '1' } },
    want: 'ns/a#0.0',
  },
  {
    name: 'method beats headers',
    entries: [
      entry({ headers: [{ type: 'Exact', name: 'a', value: '1' }, { type: 'Exact', name: 'b', value: '2' }] }, { route: 'ns/a', created: T1 }),
      entry({ method: 'GET' }, { route: 'ns/b', created: T2 }),
    ],
    req: { path: '/', headers: { a: '1', b: '2' } },
    want: 'ns/b#0.0',
  },
  {
    name: 'a repeated header name counts once',
    entries: [
      entry({ headers: [{ type: 'Exact', name: 'a', value: '1' }, { type: 'Exact', name: 'A', value: 'ignored' }] }, { route: 'ns/a', created: T1 }),
      entry({ headers: [{ type: 'Exact', name: 'a', value: '1' }, { type: 'Exact', name: 'b', value: '2' }] }, { route: 'ns/b', created: T2 }),
    ],
    req: { path: '/', headers: { a: '1', b: '2' } },
    want: 'ns/b#0.0',
  },
  {
    name: 'headers beat query params',
    entries: [
      entry({ queryParams: [{ type: 'Exact', name: 'x', value: '1' }, { type: 'Exact', name: 'y', value: '2' }] }, { route: 'ns/a', created: T1 }),
      entry({ headers: [{ type: 'Exact', name: 'a', value: '1' }] }, { route: 'ns/b', created: T2 }),
    ],
    req: { path: '/', query: 'x=1&y=2', headers: { a: '1' } },
    want: 'ns/b#0.0',
  },
  {
    name: 'more query matches win',
    entries: [
      entry({ queryParams: [{ type: 'Exact', name: 'x', value: '1' }] }, { route: 'ns/a', created: T1 }),
      entry({ queryParams: [{ type: 'Exact', name: 'x', value: '1' }, { type: 'Exact', name: 'y', value: '2' }] }, { route: 'ns/b', created: T2 }),
    ],
    req: { path: '/', query: 'y=2&x=1' },
    want: 'ns/b#0.0',
  },
  {
    name: 'equal matches: the oldest route wins',
    entries: [entry({ path: prefix('/foo') }, { route: 'ns/a', created: T2 }), entry({ path: prefix('/foo') }, { route: 'ns/b', created: T1 })],
    req: { path: '/foo' },
    want: 'ns/b#0.0',
  },
  {
    name: 'creation times compare as instants, not as strings',
    entries: [
      entry({}, { route: 'ns/a', created: '2024-01-01T00:00:00Z' }),
      entry({}, { route: 'ns/b', created: '2024-01-01T01:00:00+02:00' }), // 2023-12-31T23:00Z: older
    ],
    req: { path: '/' },
    want: 'ns/b#0.0',
  },
  {
    name: 'same age: "{namespace}/{name}" alphabetical',
    entries: [entry({}, { route: 'ns/b' }), entry({}, { route: 'ns/a' }), entry({}, { route: 'alpha/z' })],
    req: { path: '/' },
    want: 'alpha/z#0.0',
  },
  {
    name: 'same route: first rule wins',
    entries: [entry({}, { route: 'ns/a', rule: 2 }), entry({}, { route: 'ns/a', rule: 1 })],
    req: { path: '/' },
    want: 'ns/a#1.0',
  },
  {
    name: 'same rule: first match wins',
    entries: [entry({}, { route: 'ns/a', rule: 0, match: 1 }), entry({}, { route: 'ns/a', rule: 0, match: 0 })],
    req: { path: '/' },
    want: 'ns/a#0.0',
  },
  {
    name: 'specificity beats rule order',
    entries: [entry({}, { route: 'ns/a', rule: 0 }), entry({ path: prefix('/foo') }, { route: 'ns/a', rule: 1 })],
    req: { path: '/foo/x' },
    want: 'ns/a#1.0',
  },
  {
    name: 'regex ranks after exact',
    entries: [entry({ path: regex('/user/[0-9]+') }, { route: 'ns/a', created: T1 }), entry({ path: exact('/user/1') }, { route: 'ns/b', created: T2 })],
    req: { path: '/user/1' },
    want: 'ns/b#0.0',
  },
  {
    name: 'regex ranks before every prefix',
    entries: [
      entry({ path: prefix('/') }, { route: 'ns/a', created: T1 }),
      entry({ path: prefix('/user') }, { route: 'ns/b', created: T1 }),
      entry({ path: regex('/user/[0-9]+') }, { route: 'ns/c', created: T2 }),
    ],
    req: { path: '/user/42' },
    want: 'ns/c#0.0',
  },
  {
    name: 'regex is a full match',
    entries: [entry({ path: prefix('/user') }, { route: 'ns/b' }), entry({ path: regex('/user/[0-9]+') }, { route: 'ns/c' })],
    req: { path: '/user/42/x' },
    want: 'ns/b#0.0',
  },
  {
    name: 'nothing matches',
    entries: [entry({ path: prefix('/foo') }), entry({ path: exact('/bar') })],
    req: { path: '/foobar' },
    want: undefined,
  },
];

for (const c of cases) {
  test(`precedence: ${c.name}`, () => {
    assert.equal(winner(c.entries, c.req), c.want);
    // The snapshot's order carries no meaning.
    assert.equal(winner([...c.entries].reverse(), c.req), c.want);
  });
}

test('compileRoutes keeps the entry and sorts a full table', () => {
  const es = [
    entry({}, { route: 'ns/z' }),
    entry({ path: prefix('/a') }, { route: 'ns/y' }),
    entry({ path: exact('/a') }, { route: 'ns/x' }),
    entry({ path: regex('/a.*') }, { route: 'ns/w' }),
    entry({ path: prefix('/a'), method: 'GET' }, { route: 'ns/v' }),
  ];
  const routes = compileRoutes(es);
  assert.deepEqual(routes.map((r) => r.entry.route), ['ns/x', 'ns/w', 'ns/v', 'ns/y', 'ns/z']);
  assert.ok(routes.every((r) => es.includes(r.entry)));
});

test('an invalid regex is a RouteCompileError naming route, rule and match', () => {
  for (const bad of [
    entry({ path: regex('(') }, { route: 'ns/bad', rule: 2, match: 1 }),
    entry({ headers: [{ type: 'RegularExpression', name: 'x', value: '[' }] }, { route: 'ns/bad', rule: 2, match: 1 }),
    entry({ queryParams: [{ type: 'RegularExpression', name: 'q', value: '*' }] }, { route: 'ns/bad', rule: 2, match: 1 }),
  ]) {
    assert.throws(
      () => compileRoutes([entry({}), bad]),
      (e: unknown) => e instanceof RouteCompileError && e.code === 'route-invalid' && /^route ns\/bad rule 2 match 1: /.test(e.message),
    );
  }
});

test('normalizeHost strips the port, a trailing dot and case', () => {
  const cases: [string, string][] = [
    ['Example.COM', 'example.com'],
    ['example.com:8080', 'example.com'],
    ['EXAMPLE.com.:80', 'example.com'],
    ['[::1]:80', '[::1]'],
    ['[::1]', '[::1]'],
    ['[FE80::1]:8443', '[fe80::1]'],
    ['::1', '::1'],
    ['10.0.0.1:80', '10.0.0.1'],
    ['', ''],
  ];
  for (const [i, want] of cases) assert.equal(normalizeHost(i), want, i);
});

test('virtual hosts: exact, then longest wildcard, then "*"', () => {
  const vh = (domains: string[], route: string) => ({ domains, routes: [entry({}, { route })] });
  const c = compileVirtualHosts([
    vh(['foo.example.com', 'Bar.Example.com'], 'ns/exact'),
    vh(['*.example.com'], 'ns/wild'),
    vh(['*.a.example.com'], 'ns/wild-a'),
    vh(['*'], 'ns/any'),
  ]);
  const sel = (host: string) => selectVirtualHost(c, host)?.[0]?.entry.route;
  const cases: [string, string | undefined][] = [
    ['foo.example.com', 'ns/exact'],
    ['FOO.example.com:8080', 'ns/exact'],
    ['bar.example.com', 'ns/exact'],
    ['foo.example.com.', 'ns/exact'],
    ['x.example.com', 'ns/wild'],
    ['x.y.example.com', 'ns/wild'],
    ['x.a.example.com', 'ns/wild-a'],
    ['x.y.a.example.com:80', 'ns/wild-a'],
    ['a.example.com', 'ns/wild'], // "*.a.example.com" needs a label before ".a.example.com"
    ['example.com', 'ns/any'], // "*.example.com" never matches the bare domain
    ['xexample.com', 'ns/any'],
    ['[::1]:80', 'ns/any'],
    ['', 'ns/any'],
  ];
  for (const [host, want] of cases) assert.equal(sel(host), want, host);
});

test('virtual hosts: without "*" an unknown host has no routes; the first vhost naming a domain keeps it', () => {
  const c = compileVirtualHosts([
    { domains: ['a.example.com'], routes: [entry({}, { route: 'ns/first' })] },
    { domains: ['A.example.com', '*.example.com'], routes: [entry({}, { route: 'ns/second' })] },
  ]);
  assert.equal(selectVirtualHost(c, 'a.example.com')?.[0]?.entry.route, 'ns/first');
  assert.equal(selectVirtualHost(c, 'b.example.com')?.[0]?.entry.route, 'ns/second');
  assert.equal(selectVirtualHost(c, 'example.org'), undefined);
});

test('virtual hosts: routes inside a vhost are sorted by precedence', () => {
  const c = compileVirtualHosts([{ domains: ['*'], routes: [entry({}, { route: 'ns/a' }), entry({ path: prefix('/x') }, { route: 'ns/b' })] }]);
  const routes = selectVirtualHost(c, 'h')!;
  assert.equal(matchRoute(routes, 'GET', '/x/1', '', {})?.entry.route, 'ns/b');
});
