import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HTTPRouteFilter, PathMatch, PathModifier } from '../../../api/types.js';
import {
  applyHeaderModifier,
  applyRequestFilters,
  applyResponseFilters,
  compileFilterChain,
  computeRedirect,
  EMPTY_CHAIN,
  rewritePath,
  type HeaderMap,
} from './filters.js';
import { compileRoutes } from './compile.js';
import { matchRoute } from './match.js';
import { backend, entry, exact, prefix, regex } from './testutil.js';

const headerMod = (m: { set?: [string, string][]; add?: [string, string][]; remove?: string[] }) =>
  compileFilterChain(
    [
      {
        type: 'RequestHeaderModifier',
        requestHeaderModifier: {
          set: m.set?.map(([name, value]) => ({ name, value })),
          add: m.add?.map(([name, value]) => ({ name, value })),
          remove: m.remove,
        },
      },
    ],
    prefix('/'),
  ).requestHeaders[0]!;

test('header modifier: the spec examples for set, add and remove', () => {
  let h: HeaderMap = { 'my-header': 'foo' };
  applyHeaderModifier(headerMod({ set: [['my-header', 'bar']] }), h);
  assert.deepEqual(h, { 'my-header': 'bar' });

  h = { 'my-header': 'foo' };
  applyHeaderModifier(headerMod({ add: [['my-header', 'bar,baz']] }), h);
  assert.deepEqual(h, { 'my-header': 'foo,bar,baz' });

  h = { 'my-header1': 'foo', 'my-header2': 'bar', 'my-header3': 'baz' };
  applyHeaderModifier(headerMod({ remove: ['my-header1', 'my-header3'] }), h);
  assert.deepEqual(h, { 'my-header2': 'bar' });
});

test('header modifier: names are case-insensitive; add creates, lists stay lists', () => {
  const h: HeaderMap = { 'x-a': 'old', 'x-gone': '1', 'set-cookie': 'a=1', 'x-list': ['1', '2'] };
  const list = h['x-list'];
  applyHeaderModifier(
    headerMod({ set: [['X-A', 'new'], ['X-New', 'v']], add: [['X-Added', 'v'], ['Set-Cookie', 'b=2'], ['x-list', '3']], remove: ['X-GONE', 'x-absent'] }),
    h,
  );
  assert.deepEqual(h, { 'x-a': 'new', 'x-new': 'v', 'x-added': 'v', 'set-cookie': ['a=1', 'b=2'], 'x-list': ['1', '2', '3'] });
  assert.deepEqual(list, ['1', '2'], 'the original array is not mutated');
});

test('ReplacePrefixMatch: the spec table', () => {
  // Request path | prefix match | replacement | modified path
  const table: [string, string, string, string][] = [
    ['/foo/bar', '/foo', '/xyz', '/xyz/bar'],
    ['/foo/bar', '/foo', '/xyz/', '/xyz/bar'],
    ['/foo/bar', '/foo/', '/xyz', '/xyz/bar'],
    ['/foo/bar', '/foo/', '/xyz/', '/xyz/bar'],
    ['/foo', '/foo', '/xyz', '/xyz'],
    ['/foo/', '/foo', '/xyz', '/xyz/'],
    ['/foo/bar', '/foo', '', '/bar'],
    ['/foo/', '/foo', '', '/'],
    ['/foo', '/foo', '', '/'],
    ['/foo/', '/foo', '/', '/'],
    ['/foo', '/foo', '/', '/'],
    // and more of the same rule
    ['/foo/bar', '/foo', '/', '/bar'],
    ['/foo/bar/baz', '/foo/bar', '/x', '/x/baz'],
    ['/anything', '/', '/xyz', '/xyz/anything'],
    ['/', '/', '/xyz', '/xyz/'],
    ['/original-prefix/lemon', '/original-prefix', '/replacement-prefix', '/replacement-prefix/lemon'],
  ];
  for (const [path, pfx, repl, want] of table) {
    const chain = compileFilterChain(
      [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: repl } } }],
      prefix(pfx),
    );
    assert.equal(rewritePath(chain.rewrite!.path!, path), want, `${path} ${pfx} -> ${JSON.stringify(repl)}`);
  }
});

test('URLRewrite: full path, hostname, query kept by the caller, header filters first', () => {
  const route = compileRoutes([
    entry(
      { path: prefix('/shop') },
      {
        filters: [
          { type: 'RequestHeaderModifier', requestHeaderModifier: { add: [{ name: 'x-rewritten', value: 'yes' }] } },
          { type: 'URLRewrite', urlRewrite: { hostname: 'internal.example', path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } },
        ],
      },
    ),
  ]);
  const r = matchRoute(route, 'GET', '/shop/cart', 'id=1', {})!;
  const headers: HeaderMap = { host: 'shop.example.com' };
  const b = r.pick(0.5)!;
  assert.equal(applyRequestFilters(b.filters, headers, '/shop/cart'), '/cart');
  assert.deepEqual(headers, { host: 'internal.example', 'x-rewritten': 'yes' });

  const full = compileFilterChain([{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplaceFullPath', replaceFullPath: '/one' } } }], prefix('/a'));
  assert.equal(applyRequestFilters(full, {}, '/a/b/c'), '/one');
  assert.equal(applyRequestFilters(EMPTY_CHAIN, {}, '/same'), '/same');
});

test('URLRewrite: an Exact match rewrites as a whole-path prefix; a regex match leaves the path', () => {
  const mod: PathModifier = { type: 'ReplacePrefixMatch', replacePrefixMatch: '/new' };
  const ex = compileFilterChain([{ type: 'URLRewrite', urlRewrite: { path: mod } }], exact('/old'));
  assert.equal(rewritePath(ex.rewrite!.path!, '/old'), '/new');
  const rx = compileFilterChain([{ type: 'URLRewrite', urlRewrite: { path: mod } }], regex('/old.*'));
  assert.equal(rewritePath(rx.rewrite!.path!, '/old/x'), '/old/x');
});

test('backend filters run after the rule filters; backend rewrite overrides the rule rewrite', () => {
  const rw = (p: string): HTTPRouteFilter => ({ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: p } } });
  const set = (v: string): HTTPRouteFilter => ({ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-who', value: v }], add: [{ name: 'x-trail', value: v }] } });
  const [r] = compileRoutes([
    entry({ path: prefix('/api') }, { filters: [set('rule'), rw('/rule')], backends: [backend('a', 1, [set('backend'), rw('/backend')]), backend('b', 1)] }),
  ]);
  const a = r!.pick(0)!;
  const b = r!.pick(0.99)!;
  const ha: HeaderMap = {};
  assert.equal(applyRequestFilters(a.filters, ha, '/api/x'), '/backend/x');
  assert.deepEqual(ha, { 'x-who': 'backend', 'x-trail': 'rule,backend' });
  const hb: HeaderMap = {};
  assert.equal(applyRequestFilters(b.filters, hb, '/api/x'), '/rule/x');
  assert.deepEqual(hb, { 'x-who': 'rule', 'x-trail': 'rule' });
  assert.equal(b.filters, r!.filters, 'a backend without filters shares the rule chain');
});

test('response header modifier', () => {
  const chain = compileFilterChain(
    [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'X-Frame', value: 'deny' }], remove: ['server'] } }],
    prefix('/'),
  );
  const h: HeaderMap = { server: 'app', 'content-type': 'text/plain' };
  applyResponseFilters(chain, h);
  assert.deepEqual(h, { 'content-type': 'text/plain', 'x-frame': 'deny' });
  const h2: HeaderMap = { server: 'app' };
  chain.onResponseHeaders!(h2);
  assert.deepEqual(h2, { 'x-frame': 'deny' });
  assert.equal(EMPTY_CHAIN.onResponseHeaders, null);
});

test('unsupported filter types are reported, not skipped', () => {
  const chain = compileFilterChain([{ type: 'CORS' } as unknown as HTTPRouteFilter], prefix('/'));
  assert.equal(chain.unsupported, 'CORS');
});

test('RequestMirror is not a filter of the chain (the control plane resolves it into the route entry\'s mirrors)', () => {
  const chain = compileFilterChain([{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'shadow' } } }], prefix('/'));
  assert.equal(chain.unsupported, null);
  assert.equal(chain.requestNoop, true);
});

interface RedirectCase {
  name: string;
  redirect: { scheme?: 'http' | 'https'; hostname?: string; port?: number; path?: PathModifier; statusCode?: 301 | 302 | 303 | 307 | 308 };
  match?: PathMatch;
  req: { scheme?: string; authority?: string; path?: string; query?: string; listenerPort?: number };
  status?: number;
  location: string;
}

// The HTTPRouteRedirectPortAndScheme and HTTPRouteRedirectPath/Host/Scheme conformance expectations.
const redirects: RedirectCase[] = [
  // http listener on 80
  { name: '80: scheme nil, port nil', redirect: {}, req: { authority: 'example.org' }, location: 'http://example.org/' },
  { name: '80: scheme nil, port 80', redirect: { port: 80 }, req: { authority: 'example.org' }, location: 'http://example.org/' },
  { name: '80: scheme nil, port 8080', redirect: { port: 8080 }, req: { authority: 'example.org' }, location: 'http://example.org:8080/' },
  { name: '80: https, port nil', redirect: { scheme: 'https' }, req: { authority: 'example.org' }, location: 'https://example.org/' },
  { name: '80: https, port 443', redirect: { scheme: 'https', port: 443 }, req: { authority: 'example.org' }, location: 'https://example.org/' },
  { name: '80: https, port 8443', redirect: { scheme: 'https', port: 8443 }, req: { authority: 'example.org' }, location: 'https://example.org:8443/' },
  // http listener on 8080
  { name: '8080: scheme nil, port nil', redirect: {}, req: { authority: 'example.org:8080' }, location: 'http://example.org:8080/' },
  { name: '8080 (listenerPort): scheme nil, port nil', redirect: {}, req: { authority: 'example.org', listenerPort: 8080 }, location: 'http://example.org:8080/' },
  { name: '8080: scheme nil, port 80', redirect: { port: 80 }, req: { authority: 'example.org:8080' }, location: 'http://example.org/' },
  { name: '8080: https, port nil', redirect: { scheme: 'https' }, req: { authority: 'example.org:8080' }, location: 'https://example.org/' },
  // https listener on 443
  { name: '443: scheme nil, port nil', redirect: {}, req: { scheme: 'https', authority: 'example.org' }, location: 'https://example.org/' },
  { name: '443: scheme nil, port 443', redirect: { port: 443 }, req: { scheme: 'https', authority: 'example.org' }, location: 'https://example.org/' },
  { name: '443: scheme nil, port 8443', redirect: { port: 8443 }, req: { scheme: 'https', authority: 'example.org' }, location: 'https://example.org:8443/' },
  { name: '443: http, port nil', redirect: { scheme: 'http' }, req: { scheme: 'https', authority: 'example.org' }, location: 'http://example.org/' },
  { name: '443: http, port 80', redirect: { scheme: 'http', port: 80 }, req: { scheme: 'https', authority: 'example.org' }, location: 'http://example.org/' },
  { name: '443: http, port 8080', redirect: { scheme: 'http', port: 8080 }, req: { scheme: 'https', authority: 'example.org' }, location: 'http://example.org:8080/' },
  // host, path, status
  { name: 'hostname', redirect: { hostname: 'example.org' }, req: { authority: 'other.example:80', path: '/hostname-redirect' }, location: 'http://example.org/hostname-redirect' },
  { name: 'hostname keeps the listener port', redirect: { hostname: 'example.org' }, req: { authority: 'other.example:8080', path: '/x' }, location: 'http://example.org:8080/x' },
  {
    name: 'prefix path',
    redirect: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/replacement-prefix' } },
    match: prefix('/original-prefix'),
    req: { path: '/original-prefix/lemon' },
    location: 'http://gw.example/replacement-prefix/lemon',
  },
  {
    name: 'full path',
    redirect: { path: { type: 'ReplaceFullPath', replaceFullPath: '/full-path-replacement' } },
    match: prefix('/full'),
    req: { path: '/full/path/original' },
    location: 'http://gw.example/full-path-replacement',
  },
  {
    name: 'path and host',
    redirect: { hostname: 'example.org', path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/replacement-prefix' } },
    match: prefix('/path-and-host'),
    req: { path: '/path-and-host' },
    location: 'http://example.org/replacement-prefix',
  },
  {
    name: 'path and status',
    redirect: { statusCode: 301, path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/replacement-prefix' } },
    match: prefix('/path-and-status'),
    req: { path: '/path-and-status' },
    status: 301,
    location: 'http://gw.example/replacement-prefix',
  },
  { name: 'query kept', redirect: { scheme: 'https' }, req: { path: '/a', query: 'x=1&y=%20' }, location: 'https://gw.example/a?x=1&y=%20' },
  { name: 'IPv6 host', redirect: { scheme: 'https' }, req: { authority: '[::1]:8080', path: '/a' }, location: 'https://[::1]/a' },
  { name: 'IPv6 host keeps its port', redirect: {}, req: { authority: '[::1]:8080', path: '/a' }, location: 'http://[::1]:8080/a' },
  { name: '308', redirect: { statusCode: 308, scheme: 'https' }, req: {}, status: 308, location: 'https://gw.example/' },
];

for (const c of redirects) {
  test(`RequestRedirect: ${c.name}`, () => {
    const chain = compileFilterChain(
      [{ type: 'RequestRedirect', requestRedirect: { ...c.redirect, statusCode: c.redirect.statusCode ?? 302 } }],
      c.match ?? prefix('/'),
    );
    const got = computeRedirect(chain.redirect!, {
      scheme: c.req.scheme ?? 'http',
      authority: c.req.authority ?? 'gw.example',
      path: c.req.path ?? '/',
      query: c.req.query ?? '',
      listenerPort: c.req.listenerPort,
    });
    assert.deepEqual(got, { statusCode: c.status ?? 302, location: c.location });
  });
}
