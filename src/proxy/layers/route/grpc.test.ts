// GRPCRoute entries in the route layer: the path matches translation makes of method matches, GRPCRoute
// precedence, and a call "/pkg.Svc/Method" reaching its backend through the route and split layers.
// Entries come from the translator's own grpcEntryMatch (and, in the last test, from translate itself), so
// what is tested is what the control plane sends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RouteEntry } from '../../../api/snapshot.js';
import type { AnyResource, GRPCMethodMatch, HeaderMatch } from '../../../api/types.js';
import { grpcEntryMatch, translate } from '../../../control/translate/index.js';
import type { Ctx } from '../../context.js';
import { ProxyError } from '../../errors.js';
import { stack } from '../../stack/index.js';
import { mockInner, testCtx } from '../../stack/testing.js';
import { compileRoutes } from './compile.js';
import { route, split } from './layer.js';
import { matchRoute } from './match.js';
import { backend, entry, id, type EntryOpts } from './testutil.js';

function grpcEntry(method: GRPCMethodMatch | undefined, o: EntryOpts & { headers?: HeaderMatch[] } = {}): RouteEntry {
  const e = entry({}, o);
  return { ...e, ...grpcEntryMatch(method, o.headers) };
}
const exact = (service?: string, method?: string): GRPCMethodMatch => ({ type: 'Exact', ...(service ? { service } : {}), ...(method ? { method } : {}) });
const regex = (service?: string, method?: string): GRPCMethodMatch => ({ type: 'RegularExpression', ...(service ? { service } : {}), ...(method ? { method } : {}) });
const h = (name: string, value: string): HeaderMatch => ({ type: 'Exact', name, value });

/** Which entry a call takes. */
function winner(entries: RouteEntry[], path: string, headers: Record<string, string> = {}): string | undefined {
  return id(matchRoute(compileRoutes(entries), 'POST', path, '', { 'content-type': 'application/grpc', ...headers })?.entry);
}

test('method matches match the calls they name, and nothing across a "/"', () => {
  const one = (m: GRPCMethodMatch, path: string) => winner([grpcEntry(m)], path) !== undefined;
  // Exact service and method.
  assert.equal(one(exact('pkg.Svc', 'Get'), '/pkg.Svc/Get'), true);
  assert.equal(one(exact('pkg.Svc', 'Get'), '/pkg.Svc/GetAll'), false);
  assert.equal(one(exact('pkg.Svc', 'Get'), '/pkg.svc/Get'), false, 'case-sensitive');
  // Service only: every method of it, not a service whose name it starts.
  assert.equal(one(exact('pkg.Svc'), '/pkg.Svc/Anything'), true);
  assert.equal(one(exact('pkg.Svc'), '/pkg.SvcV2/Get'), false);
  assert.equal(one(exact('pkg.Svc'), '/pkg.Svc.Inner/Get'), false);
  // Method only: that method of every service.
  assert.equal(one(exact(undefined, 'Get'), '/a.B/Get'), true);
  assert.equal(one(exact(undefined, 'Get'), '/a.B/GetX'), false);
  assert.equal(one(exact(undefined, 'Get'), '/a/b/Get'), false, 'a gRPC path has two segments');
  // A fully-qualified service name.
  assert.equal(one(exact('.grpc.health.v1.Health', 'Check'), '/grpc.health.v1.Health/Check'), true);
  // Patterns are matched against the whole service and the whole method, each within its segment.
  assert.equal(one(regex('pkg\\..*', 'Get.*'), '/pkg.Svc/GetItem'), true);
  assert.equal(one(regex('pkg\\..*', 'Get.*'), '/other.Svc/GetItem'), false);
  assert.equal(one(regex('a|b'), '/a/M'), true);
  assert.equal(one(regex('a|b'), '/ab/M'), false, 'the alternation is grouped: a or b, the whole name');
  assert.equal(one(regex('.*', 'Get'), '/a/b/Get'), false, '".*" does not swallow a "/"');
  assert.equal(one(regex(undefined, '.*'), '/a.B/x/y'), false);
  assert.equal(one(regex(undefined, '[A-Z].*'), '/a.B/List'), true);
  // No method match: every call.
  assert.equal(one(undefined as unknown as GRPCMethodMatch, '/any.Svc/Any'), true);
});

test('GRPCRoute precedence: characters of the service, then of the method, then header matches', () => {
  // A service name beats a method name, even where HTTPRoute rules would rank the regex path first.
  assert.equal(winner([
    grpcEntry(exact(undefined, 'Get'), { route: 'ns/method-only', created: '2024-01-01T00:00:00Z' }),
    grpcEntry(exact('pkg.Svc'), { route: 'ns/service-only', created: '2025-01-01T00:00:00Z' }),
  ], '/pkg.Svc/Get'), 'ns/service-only#0.0');
  // More characters of service first: the longer exact name.
  assert.equal(winner([
    grpcEntry(exact('a.B', 'Get'), { route: 'ns/short' }),
    grpcEntry(exact('a.Bb', 'Get'), { route: 'ns/long' }),
  ], '/a.Bb/Get'), 'ns/long#0.0');
  // Same service: the method decides, before header matches.
  assert.equal(winner([
    grpcEntry(exact('pkg.Svc'), { route: 'ns/headers', headers: [h('x-a', '1'), h('x-b', '2')] }),
    grpcEntry(exact('pkg.Svc', 'Get'), { route: 'ns/method', created: '2025-01-01T00:00:00Z' }),
  ], '/pkg.Svc/Get', { 'x-a': '1', 'x-b': '2' }), 'ns/method#0.0');
  // Same service and method: more header matches win, whatever the age.
  const twoRoutes = [
    grpcEntry(exact('pkg.Svc', 'Get'), { route: 'ns/old', created: '2020-01-01T00:00:00Z' }),
    grpcEntry(exact('pkg.Svc', 'Get'), { route: 'ns/canary', created: '2025-01-01T00:00:00Z', headers: [h('x-canary', '1')] }),
  ];
  assert.equal(winner(twoRoutes, '/pkg.Svc/Get', { 'x-canary': '1' }), 'ns/canary#0.0');
  assert.equal(winner(twoRoutes, '/pkg.Svc/Get'), 'ns/old#0.0', 'without the header, the other route');
  // An exact service beats a service pattern (a pattern has no character count in the spec), and a pattern
  // beats no service at all, even an older catch-all.
  const patterns = [
    grpcEntry(undefined, { route: 'ns/all', created: '2020-01-01T00:00:00Z' }),
    grpcEntry(regex('pkg\\..*', 'Get'), { route: 'ns/pattern' }),
    grpcEntry(exact('pkg.Svc'), { route: 'ns/exact', created: '2025-01-01T00:00:00Z' }),
  ];
  assert.equal(winner(patterns, '/pkg.Svc/Get'), 'ns/exact#0.0');
  assert.equal(winner(patterns, '/pkg.Other/Get'), 'ns/pattern#0.0');
  assert.equal(winner(patterns, '/x.Y/Get'), 'ns/all#0.0');
});

test('GRPCRoute ties: the older route, then "{namespace}/{name}", then the first rule and match', () => {
  const same = (o: EntryOpts) => grpcEntry(exact('pkg.Svc', 'Get'), o);
  assert.equal(winner([same({ route: 'ns/b', created: '2024-01-01T00:00:00Z' }), same({ route: 'ns/a', created: '2025-01-01T00:00:00Z' })], '/pkg.Svc/Get'), 'ns/b#0.0');
  assert.equal(winner([same({ route: 'ns/b' }), same({ route: 'ns/a' })], '/pkg.Svc/Get'), 'ns/a#0.0');
  assert.equal(winner([same({ route: 'ns/a', rule: 1 }), same({ route: 'ns/a', rule: 0, match: 1 }), same({ route: 'ns/a', rule: 0, match: 0 })], '/pkg.Svc/Get'), 'ns/a#0.0');
});

test('a table holding both kinds puts GRPCRoute entries first (GEP-1426)', () => {
  assert.equal(winner([
    entry({ path: { type: 'Exact', value: '/pkg.Svc/Get' } }, { route: 'ns/http', created: '2020-01-01T00:00:00Z' }),
    grpcEntry(undefined, { route: 'ns/grpc' }),
  ], '/pkg.Svc/Get'), 'ns/grpc#0.0');
});

test('route + split: a call to /pkg.Svc/Method goes to its rule\'s backend, with the rule\'s filters', async () => {
  const routes = compileRoutes([
    grpcEntry(exact('shop.Cart', 'Checkout'), {
      route: 'shop/cart', rule: 0,
      filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-route', value: 'checkout' }] } }],
      backends: [backend('checkout.shop:50051')],
    }),
    grpcEntry(exact('shop.Cart'), { route: 'shop/cart', rule: 1, backends: [backend('cart-v1.shop:50051', 1), backend('cart-v2.shop:50051', 3)] }),
    grpcEntry(undefined, { route: 'shop/cart', rule: 2, headers: [h('x-tenant', 'blue')], backends: [backend('blue.shop:50051')] }),
  ]);
  const call = async (path: string, headers: Record<string, string> = {}, rand = 0.1) => {
    const inner = mockInner();
    const svc = stack<Ctx>([route(() => routes), split(() => rand)], inner);
    const ctx = testCtx({ method: 'POST', url: path, headers: { host: 'cart.shop', 'content-type': 'application/grpc', te: 'trailers', ...headers } });
    await svc(ctx);
    return ctx;
  };
  const checkout = await call('/shop.Cart/Checkout');
  assert.equal(checkout.cluster, 'checkout.shop:50051');
  assert.equal(checkout.route?.name, 'shop/cart');
  assert.equal(checkout.headers['x-route'], 'checkout');
  assert.equal(checkout.path, '/shop.Cart/Checkout', 'the path is not rewritten');
  // The service's other methods: split 1:3 by weight.
  assert.equal((await call('/shop.Cart/AddItem', {}, 0.1)).cluster, 'cart-v1.shop:50051');
  assert.equal((await call('/shop.Cart/AddItem', {}, 0.9)).cluster, 'cart-v2.shop:50051');
  // Another service: only with the header.
  assert.equal((await call('/shop.Stock/Get', { 'x-tenant': 'blue' })).cluster, 'blue.shop:50051');
  await assert.rejects(call('/shop.Stock/Get'), (e: unknown) => e instanceof ProxyError && e.code === 'no-route');
});

test('end to end: a GRPCRoute on a Service, translated, compiled and matched', async () => {
  const svc = (name: string): AnyResource => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { selector: { app: name }, ports: [{ port: 50051, protocol: 'TCP' }] } });
  const grpcRoute: AnyResource = {
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GRPCRoute', metadata: { name: 'greeter', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      parentRefs: [{ kind: 'Service', name: 'greeter' }],
      rules: [
        { matches: [{}], backendRefs: [{ kind: 'Service', name: 'greeter', port: 50051, weight: 1 }] },
        { matches: [{ method: { type: 'Exact', service: 'helloworld.Greeter' }, headers: [h('x-env', 'canary')] }], backendRefs: [{ kind: 'Service', name: 'greeter-canary', port: 50051, weight: 1 }] },
        { matches: [{ method: { type: 'Exact', service: 'helloworld.Greeter', method: 'SayHello' } }], backendRefs: [{ kind: 'Service', name: 'greeter-v2', port: 50051, weight: 1 }] },
      ],
    },
  };
  const snap = translate({ objects: [svc('greeter'), svc('greeter-v2'), svc('greeter-canary'), grpcRoute], endpoints: [] }, { name: 'c-0', kind: 'sidecar', workload: 'c', namespace: 'default', serviceAccount: 'c' });
  const routes = compileRoutes(snap.services.find((s) => s.name === 'greeter')!.ports[0].routes);
  const clusterFor = async (path: string, headers: Record<string, string> = {}) => {
    const ctx = testCtx({ method: 'POST', url: path, headers: { host: 'greeter:50051', 'content-type': 'application/grpc', ...headers } });
    await stack<Ctx>([route(() => routes), split(() => 0.5)], mockInner())(ctx);
    return ctx.cluster;
  };
  // The method name outranks the canary header (method characters come before header matches).
  assert.equal(await clusterFor('/helloworld.Greeter/SayHello', { 'x-env': 'canary' }), 'greeter-v2.default:50051');
  assert.equal(await clusterFor('/helloworld.Greeter/SayGoodbye', { 'x-env': 'canary' }), 'greeter-canary.default:50051');
  assert.equal(await clusterFor('/helloworld.Greeter/SayGoodbye'), 'greeter.default:50051');
  assert.equal(await clusterFor('/grpc.health.v1.Health/Check'), 'greeter.default:50051');
});
