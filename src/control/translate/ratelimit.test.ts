// RateLimitPolicy through translation: which proxy gets which limits, resolved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnyResource, RateLimit } from '../../api/types.js';
import { translate, type MeshState } from './index.js';

const svc = (name: string, port = 80): AnyResource => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { selector: { app: name }, ports: [{ port, protocol: 'TCP' }] },
});
const gateway: AnyResource = {
  apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'edge', namespace: 'default' },
  spec: { gatewayClassName: 'weft', listeners: [{ name: 'http', port: 8080, protocol: 'HTTP' }] },
};
const route = (kind: 'HTTPRoute' | 'GRPCRoute', name: string, parent: { kind: 'Gateway' | 'Service'; name: string }, backend: string, port = 80): AnyResource => ({
  apiVersion: 'gateway.networking.k8s.io/v1', kind, metadata: { name, namespace: 'default' },
  spec: {
    parentRefs: [parent],
    rules: [
      { matches: kind === 'HTTPRoute' ? [{ path: { type: 'PathPrefix', value: '/a' } }, { path: { type: 'PathPrefix', value: '/b' } }] : [{}], backendRefs: [{ kind: 'Service', name: backend, port, weight: 1 }] },
      { matches: kind === 'HTTPRoute' ? [{ path: { type: 'PathPrefix', value: '/' } }] : [{}], backendRefs: [{ kind: 'Service', name: backend, port, weight: 1 }] },
    ],
  },
} as AnyResource);
const policy = (name: string, kind: 'Workload' | 'HTTPRoute' | 'GRPCRoute', target: string, limits: Partial<RateLimit>[]): AnyResource => ({
  apiVersion: 'weft.dev/v1alpha1', kind: 'RateLimitPolicy', metadata: { name, namespace: 'default' },
  spec: { targetRef: { kind, name: target }, limits: limits.map((l) => ({ requests: 10, per: '1s', by: 'none', ...l })) },
} as AnyResource);

const sidecar = (workload: string) => ({ name: `${workload}-0`, kind: 'sidecar' as const, workload, namespace: 'default', serviceAccount: workload });
const edge = { name: 'gateway-edge', kind: 'gateway' as const, workload: 'edge', namespace: 'default', serviceAccount: 'gateway-edge' };
const base = [svc('catalog'), svc('web'), svc('greeter', 50051), gateway];

test('a Workload target: that workload\'s sidecars get the limits for their inbound side, resolved; no other proxy does', () => {
  const state: MeshState = {
    objects: [...base,
      policy('z-search', 'Workload', 'catalog', [{ requests: 5, per: '1m', burst: 20, by: 'sourcePrincipal', match: { path: { type: 'PathPrefix', value: '/search' } } }]),
      policy('a-users', 'Workload', 'catalog', [{ requests: 2, per: '500ms', by: { header: 'X-User-Id' } }, { requests: 100, per: '1h' }]),
    ],
    endpoints: [],
  };
  const s = translate(state, sidecar('catalog'));
  assert.deepEqual(s.rateLimits, [
    { policy: 'default/a-users', index: 0, requests: 2, perMs: 500, burst: 2, by: { header: 'x-user-id' } },
    { policy: 'default/a-users', index: 1, requests: 100, perMs: 3_600_000, burst: 100, by: 'none' },
    { policy: 'default/z-search', index: 0, requests: 5, perMs: 60_000, burst: 20, by: 'sourcePrincipal', match: { path: { type: 'PathPrefix', value: '/search' } } },
  ]);
  assert.equal(translate(state, sidecar('web')).rateLimits, undefined);
  assert.equal(translate(state, edge).rateLimits, undefined);
  // No route of any proxy carries a workload's limits.
  assert.ok(translate(state, sidecar('web')).services.every((x) => x.ports.every((p) => p.routes.every((r) => r.rateLimits === undefined))));
});

test('an HTTPRoute target: every entry of the route carries the limits, in every proxy that runs it (gateway or callers\' sidecars)', () => {
  const onGateway = route('HTTPRoute', 'edge', { kind: 'Gateway', name: 'edge' }, 'web');
  const onService = route('HTTPRoute', 'mesh', { kind: 'Service', name: 'catalog' }, 'catalog');
  const state: MeshState = {
    objects: [...base, onGateway, onService, policy('edge', 'HTTPRoute', 'edge', [{ requests: 3 }]), policy('mesh', 'HTTPRoute', 'mesh', [{ requests: 4 }])],
    endpoints: [],
  };
  const g = translate(state, edge);
  const entries = g.listeners[0].virtualHosts.flatMap((v) => v.routes);
  assert.equal(entries.length, 3);
  for (const e of entries) assert.deepEqual(e.rateLimits, [{ policy: 'default/edge', index: 0, requests: 3, perMs: 1000, burst: 3, by: 'none' }]);
  assert.equal(g.rateLimits, undefined);
  const web = translate(state, sidecar('web'));
  const meshEntries = web.services.find((x) => x.name === 'catalog')!.ports[0].routes;
  assert.equal(meshEntries.length, 3);
  for (const e of meshEntries) assert.deepEqual(e.rateLimits?.map((l) => [l.policy, l.requests]), [['default/mesh', 4]]);
  // A Service without the route keeps its default route, unlimited.
  assert.equal(web.services.find((x) => x.name === 'web')!.ports[0].routes[0].rateLimits, undefined);
});

test('a GRPCRoute target limits that GRPCRoute\'s entries; a policy naming an HTTPRoute of the same name does not', () => {
  const state: MeshState = {
    objects: [...base, route('GRPCRoute', 'greeter', { kind: 'Service', name: 'greeter' }, 'greeter', 50051), policy('g', 'GRPCRoute', 'greeter', [{ requests: 7 }]), policy('h', 'HTTPRoute', 'greeter', [{ requests: 8 }])],
    endpoints: [],
  };
  const entries = translate(state, sidecar('web')).services.find((x) => x.name === 'greeter')!.ports[0].routes;
  assert.ok(entries.length > 0);
  for (const e of entries) assert.deepEqual(e.rateLimits?.map((l) => [l.policy, l.requests]), [['default/g', 7]]);
});

test('without a RateLimitPolicy the snapshot has no rate limit fields at all', () => {
  const s = translate({ objects: [...base, route('HTTPRoute', 'edge', { kind: 'Gateway', name: 'edge' }, 'web')], endpoints: [] }, edge);
  assert.ok(!JSON.stringify(s).includes('rateLimits'));
});
