import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Ctx, HeaderMap } from '../../context.js';
import { ProxyError } from '../../errors.js';
import { stack } from '../../stack/index.js';
import { compileRoutes, type CompiledRoute } from './compile.js';
import { route, split } from './layer.js';
import { backend, entry, prefix } from './testutil.js';

interface Sent {
  status?: number;
  headers?: HeaderMap;
  ended: boolean;
}

function fakeCtx(method: string, url: string, headers: HeaderMap): { ctx: Ctx; sent: Sent } {
  const sent: Sent = { ended: false };
  const qi = url.indexOf('?');
  const req = { headers, complete: true, resume() {} };
  const res = {
    headersSent: false,
    writeHead(status: number, h: HeaderMap) {
      sent.status = status;
      sent.headers = h;
    },
    end() {
      sent.ended = true;
    },
  };
  const ctx = {
    req,
    res,
    start: 0n,
    method,
    path: qi < 0 ? url : url.slice(0, qi),
    query: qi < 0 ? '' : url.slice(qi + 1),
    authority: String(headers.host ?? ''),
    scheme: 'http',
    headers: { ...headers },
  } as unknown as Ctx;
  return { ctx, sent };
}

function build(routes: CompiledRoute[], rand = () => 0.5) {
  const reached: Ctx[] = [];
  const svc = stack<Ctx>([route(() => routes), split(rand)], async (ctx) => {
    reached.push(ctx);
  });
  return { svc, reached };
}

test('route + split: match, pick, filters, cluster', async () => {
  const routes = compileRoutes([
    entry({ path: prefix('/api') }, {
      route: 'ns/api',
      filters: [
        { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' } } },
        { type: 'ResponseHeaderModifier', responseHeaderModifier: { add: [{ name: 'x-route', value: 'api' }] } },
      ],
      backends: [backend('api.ns:80', 1, [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-canary', value: '1' }] } }])],
    }),
    entry({}, { route: 'ns/web', backends: [backend('web.ns:80')] }),
  ]);
  const { svc, reached } = build(routes);
  const { ctx } = fakeCtx('GET', '/api/items?x=1', { host: 'shop.example' });
  await svc(ctx);
  assert.equal(reached.length, 1);
  assert.equal(ctx.route?.name, 'ns/api');
  assert.equal(ctx.cluster, 'api.ns:80');
  assert.equal(ctx.path, '/v2/items');
  assert.equal(ctx.query, 'x=1');
  assert.equal(ctx.headers['x-canary'], '1');
  const res: HeaderMap = {};
  ctx.onResponseHeaders!(res);
  assert.deepEqual(res, { 'x-route': 'api' });

  const other = fakeCtx('GET', '/apix', { host: 'shop.example' });
  await svc(other.ctx);
  assert.equal(other.ctx.cluster, 'web.ns:80');
  assert.equal(other.ctx.path, '/apix');
});

test('route: no match is 404 no-route', async () => {
  const { svc } = build(compileRoutes([entry({ path: prefix('/only') })]));
  await assert.rejects(svc(fakeCtx('GET', '/other', { host: 'h' }).ctx), (e: unknown) => e instanceof ProxyError && e.code === 'no-route');
});

test('route: a rule RequestRedirect is answered without a backend', async () => {
  const routes = compileRoutes([
    entry({}, {
      filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }],
      backends: [],
    }),
  ]);
  const { svc, reached } = build(routes);
  const { ctx, sent } = fakeCtx('GET', '/login?next=%2F', { host: 'shop.example:8080' });
  await svc(ctx);
  assert.equal(reached.length, 0);
  assert.equal(sent.status, 301);
  assert.equal(sent.headers?.location, 'https://shop.example/login?next=%2F');
  assert.ok(sent.ended);
});

test('split: all weights zero or an unresolved backend is 500 backend-not-found', async () => {
  for (const backends of [[], [backend('a', 0)], [backend(null, 1)]]) {
    const { svc } = build(compileRoutes([entry({}, { backends })]));
    await assert.rejects(svc(fakeCtx('GET', '/', { host: 'h' }).ctx), (e: unknown) => e instanceof ProxyError && e.code === 'backend-not-found');
  }
});
