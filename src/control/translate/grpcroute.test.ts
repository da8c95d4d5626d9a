// GRPCRoute through translation: what the route table of a sidecar (GAMMA) and of a gateway listener holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnyResource, GRPCRouteMatch, GRPCRouteRule, ParentRef } from '../../api/types.js';
import { hostnamesOverlap, translate, type MeshState } from './index.js';

const svc = (name: string, ports: number[] = [50051]): AnyResource => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { selector: { app: name }, ports: ports.map((port) => ({ port, protocol: 'TCP' })) },
});
const grpc = (name: string, parentRefs: ParentRef[], rules: Partial<GRPCRouteRule>[], o: { hostnames?: string[]; created?: string; namespace?: string } = {}): AnyResource => ({
  apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GRPCRoute',
  metadata: { name, namespace: o.namespace ?? 'default', ...(o.created ? { creationTimestamp: o.created } : {}) },
  spec: { parentRefs, ...(o.hostnames ? { hostnames: o.hostnames } : {}), rules: rules.map((r) => ({ matches: [{}], ...r })) },
});
const http = (name: string, parentRefs: ParentRef[], o: { hostnames?: string[]; created?: string } = {}): AnyResource => ({
  apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute',
  metadata: { name, namespace: 'default', ...(o.created ? { creationTimestamp: o.created } : {}) },
  spec: { parentRefs, ...(o.hostnames ? { hostnames: o.hostnames } : {}), rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ kind: 'Service', name: 'web', port: 80, weight: 1 }] }] },
});
const toService = (name: string, port?: number): ParentRef => ({ kind: 'Service', group: '', name, ...(port ? { port } : {}) });
const toGateway: ParentRef = { kind: 'Gateway', name: 'edge' };
const gateway: AnyResource = {
  apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'edge', namespace: 'default' },
  spec: { gatewayClassName: 'weft', listeners: [{ name: 'h2c', port: 8080, protocol: 'HTTP' }] },
};
const backend = (name: string, weight = 1) => ({ kind: 'Service' as const, name, port: 50051, weight });
const exact = (service?: string, method?: string): GRPCRouteMatch => ({ method: { type: 'Exact', ...(service ? { service } : {}), ...(method ? { method } : {}) } });
const regex = (service?: string, method?: string): GRPCRouteMatch => ({ method: { type: 'RegularExpression', ...(service ? { service } : {}), ...(method ? { method } : {}) } });

const sidecar = { name: 'client-0', kind: 'sidecar' as const, workload: 'client', namespace: 'default', serviceAccount: 'client' };
const edge = { name: 'gateway-edge', kind: 'gateway' as const, workload: 'edge', namespace: 'default', serviceAccount: 'gateway-edge' };
const portRoutes = (state: MeshState, service: string, port = 50051) =>
  translate(state, sidecar).services.find((s) => s.name === service)!.ports.find((p) => p.port === port)!.routes;

test('a GRPCRoute on a Service (GAMMA): each method match becomes a path match, with its headers and the method match kept', () => {
  const route = grpc('greeter', [toService('greeter')], [
    { matches: [exact('helloworld.Greeter', 'SayHello')], backendRefs: [backend('greeter-v2')] },
    { matches: [exact('helloworld.Greeter')], backendRefs: [backend('greeter')] },
    { matches: [exact(undefined, 'Check'), { ...exact('.grpc.health.v1.Health', 'Watch'), headers: [{ type: 'Exact', name: 'x-env', value: 'canary' }] }], backendRefs: [backend('greeter')] },
    { matches: [regex('helloworld\\..*', 'Say.*'), regex(undefined, 'Get[A-Z]\\w*'), regex('a|b')], backendRefs: [backend('greeter')] },
    { backendRefs: [backend('greeter')] },
  ]);
  const routes = portRoutes({ objects: [svc('greeter'), svc('greeter-v2'), route], endpoints: [] }, 'greeter');
  assert.deepEqual(routes.map((e) => [`${e.rule}.${e.order.match}`, e.match]), [
    ['0.0', { path: { type: 'Exact', value: '/helloworld.Greeter/SayHello' } }],
    ['1.0', { path: { type: 'PathPrefix', value: '/helloworld.Greeter/' } }],
    ['2.0', { path: { type: 'RegularExpression', value: '/[^/]+/Check' } }],
    // A fully-qualified name's leading "." is not part of the path the call is sent to.
    ['2.1', { path: { type: 'Exact', value: '/grpc.health.v1.Health/Watch' }, headers: [{ type: 'Exact', name: 'x-env', value: 'canary' }] }],
    ['3.0', { path: { type: 'RegularExpression', value: '/(?:helloworld\\..*)/(?:Say.*)(?<=^/[^/]*/[^/]*)' } }],
    ['3.1', { path: { type: 'RegularExpression', value: '/[^/]+/(?:Get[A-Z]\\w*)(?<=^/[^/]*/[^/]*)' } }],
    ['3.2', { path: { type: 'RegularExpression', value: '/(?:a|b)/[^/]+(?<=^/[^/]*/[^/]*)' } }],
    ['4.0', { path: { type: 'PathPrefix', value: '/' } }],
  ]);
  assert.deepEqual(routes.map((e) => e.grpc), [
    { method: { type: 'Exact', service: 'helloworld.Greeter', method: 'SayHello' } },
    { method: { type: 'Exact', service: 'helloworld.Greeter' } },
    { method: { type: 'Exact', method: 'Check' } },
    { method: { type: 'Exact', service: 'grpc.health.v1.Health', method: 'Watch' } },
    { method: { type: 'RegularExpression', service: 'helloworld\\..*', method: 'Say.*' } },
    { method: { type: 'RegularExpression', method: 'Get[A-Z]\\w*' } },
    { method: { type: 'RegularExpression', service: 'a|b' } },
    {},
  ]);
  assert.ok(routes.every((e) => e.route === 'default/greeter'));
  assert.deepEqual(routes[0].backends.map((b) => [b.cluster, b.weight]), [['greeter-v2.default:50051', 1]]);
});

test('GRPCRoute rules carry weighted backends, filters, mirrors, timeouts and retry as HTTPRoute rules do', () => {
  const rule: Partial<GRPCRouteRule> = {
    matches: [exact('shop.Cart')],
    backendRefs: [backend('cart-v1', 90), { ...backend('cart-v2', 10), filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-v', value: '2' }] } }] }, backend('ghost', 5)],
    filters: [{ type: 'RequestMirror', requestMirror: { backendRef: { name: 'cart-shadow', port: 50051 }, percent: 25 } }],
    timeouts: { request: '2s' },
    retry: { attempts: 3, nonIdempotent: true },
  };
  const state: MeshState = { objects: [svc('cart'), svc('cart-v1'), svc('cart-v2'), svc('cart-shadow'), grpc('cart', [toService('cart')], [rule])], endpoints: [] };
  const [e] = portRoutes(state, 'cart');
  assert.deepEqual(e.backends.map((b) => [b.cluster, b.weight, b.filters.length]), [['cart-v1.default:50051', 90, 0], ['cart-v2.default:50051', 10, 1], [null, 5, 0]]);
  assert.deepEqual(e.mirrors, [{ cluster: 'cart-shadow.default:50051', ref: 'default/cart-shadow:50051', percent: 25 }]);
  assert.deepEqual(e.timeouts, { requestMs: 2000, backendRequestMs: 0, responseHeadersMs: 0 });
  assert.equal(e.retry?.attempts, 3);
  assert.equal(e.retry?.nonIdempotent, true);
  assert.deepEqual(e.filters.map((f) => f.type), ['RequestMirror']);
});

test('GAMMA: where a GRPCRoute and an HTTPRoute attach to one Service port, only the GRPCRoute applies (GEP-1426)', () => {
  const objects = [
    svc('api', [50051, 8080]), svc('web', [80]), svc('api-v2'),
    grpc('api-grpc', [toService('api', 50051)], [{ backendRefs: [backend('api-v2')] }], { created: '2026-02-01T00:00:00Z' }),
    // Older, and attached to every port of the Service: it loses port 50051 and keeps 8080.
    http('api-http', [toService('api')], { created: '2026-01-01T00:00:00Z' }),
  ];
  assert.deepEqual(portRoutes({ objects, endpoints: [] }, 'api', 50051).map((e) => e.route), ['default/api-grpc']);
  assert.deepEqual(portRoutes({ objects, endpoints: [] }, 'api', 8080).map((e) => e.route), ['default/api-http']);
  // The consumer/producer rule still holds among GRPCRoutes: a consumer route overrides the producer's for its callers.
  const consumer = grpc('mine', [{ ...toService('api', 50051), namespace: 'default' }], [{ backendRefs: [{ ...backend('api'), namespace: 'default' }] }], { namespace: 'shop' });
  const shopClient = { ...sidecar, namespace: 'shop' };
  const routes = translate({ objects: [...objects, consumer], endpoints: [] }, shopClient).services.find((s) => s.name === 'api')!.ports[0].routes;
  assert.deepEqual(routes.map((e) => e.route), ['shop/mine']);
  // ... and a consumer GRPCRoute of another namespace changes nothing for this caller.
  assert.deepEqual(portRoutes({ objects: [...objects.slice(0, 3), objects[4], consumer], endpoints: [] }, 'api', 50051).map((e) => e.route), ['default/api-http']);
});

test('a gateway listener: GRPCRoute hostnames and HTTPRoute hostnames that overlap admit only the older route', () => {
  const base = [gateway, svc('greeter'), svc('web', [80])];
  const vhosts = (...routes: AnyResource[]) => translate({ objects: [...base, ...routes], endpoints: [] }, edge).listeners[0].virtualHosts
    .map((v) => [v.domains[0], [...new Set(v.routes.map((e) => `${e.grpc ? 'grpc' : 'http'}:${e.route}`))]]);
  const g = (created: string, hostnames?: string[], name = 'greeter') => grpc(name, [toGateway], [{ backendRefs: [backend('greeter')] }], { created, ...(hostnames ? { hostnames } : {}) });
  const h = (created: string, hostnames?: string[], name = 'web') => http(name, [toGateway], { created, ...(hostnames ? { hostnames } : {}) });

  // Different hostnames: both, each on its own virtual host.
  assert.deepEqual(vhosts(g('2026-02-01T00:00:00Z', ['grpc.example.com']), h('2026-01-01T00:00:00Z', ['www.example.com'])), [
    ['grpc.example.com', ['grpc:default/greeter']], ['www.example.com', ['http:default/web']],
  ]);
  // An HTTPRoute without hostnames overlaps every name: the older route is the one accepted.
  assert.deepEqual(vhosts(g('2026-02-01T00:00:00Z', ['grpc.example.com']), h('2026-01-01T00:00:00Z')), [['*', ['http:default/web']]]);
  assert.deepEqual(vhosts(g('2025-12-01T00:00:00Z', ['grpc.example.com']), h('2026-01-01T00:00:00Z')), [['grpc.example.com', ['grpc:default/greeter']]]);
  // A wildcard overlaps the names under it.
  assert.deepEqual(vhosts(g('2026-02-01T00:00:00Z', ['*.example.com']), h('2026-01-01T00:00:00Z', ['api.example.com'])), [['api.example.com', ['http:default/web']]]);
  // Same age: the first by "{namespace}/{name}".
  assert.deepEqual(vhosts(g('2026-01-01T00:00:00Z', undefined, 'a-grpc'), h('2026-01-01T00:00:00Z', undefined, 'b-http')), [['*', ['grpc:default/a-grpc']]]);
  // Routes of one kind merge as always.
  assert.deepEqual(vhosts(g('2026-01-01T00:00:00Z', undefined, 'one'), g('2026-01-02T00:00:00Z', undefined, 'two')), [['*', ['grpc:default/one', 'grpc:default/two']]]);
  // An older route that was itself refused does not refuse a third one.
  assert.deepEqual(vhosts(
    h('2026-01-01T00:00:00Z', ['a.example.com'], 'first'),
    g('2026-01-02T00:00:00Z', ['a.example.com', 'b.example.com'], 'second'),
    h('2026-01-03T00:00:00Z', ['b.example.com'], 'third'),
  ), [['a.example.com', ['http:default/first']], ['b.example.com', ['http:default/third']]]);
});

test('hostname patterns overlap when some name matches both', () => {
  assert.equal(hostnamesOverlap('*', 'a.example.com'), true);
  assert.equal(hostnamesOverlap('a.example.com', 'a.example.com'), true);
  assert.equal(hostnamesOverlap('*.example.com', 'a.b.example.com'), true);
  assert.equal(hostnamesOverlap('*.example.com', '*.b.example.com'), true);
  assert.equal(hostnamesOverlap('*.example.com', 'example.com'), false);
  assert.equal(hostnamesOverlap('a.example.com', 'b.example.com'), false);
});
