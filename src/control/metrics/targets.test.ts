import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrafficNames, inTarget } from './targets.js';
import { statRows } from './aggregator.js';
import type { Sample } from './parse.js';
import type { AnyResource } from '../../api/types.js';

// The shop's shape: callers call catalog; a route attached to it splits to catalog-v1 and catalog-v2.
const wl = (name: string, labels: Record<string, string>): AnyResource =>
  ({ apiVersion: 'weft.dev/v1alpha1', kind: 'Workload', metadata: { name, namespace: 'default', labels }, spec: {} }) as AnyResource;
const svc = (name: string, selector: Record<string, string>): AnyResource =>
  ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { selector, ports: [{ port: 80, protocol: 'TCP' }] } }) as AnyResource;
const objects: AnyResource[] = [
  wl('web', { app: 'web' }), wl('catalog-v1', { app: 'catalog', version: 'v1' }), wl('catalog-v2', { app: 'catalog', version: 'v2' }), wl('reviews', { app: 'reviews' }),
  svc('web', { app: 'web' }), svc('catalog', { app: 'catalog' }), svc('catalog-v1', { app: 'catalog', version: 'v1' }), svc('catalog-v2', { app: 'catalog', version: 'v2' }), svc('reviews', { app: 'reviews' }),
  { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'catalog-split', namespace: 'default' },
    spec: { parentRefs: [{ kind: 'Service', name: 'catalog', port: 80 }], rules: [{ matches: [], backendRefs: [{ kind: 'Service', name: 'catalog-v1', port: 80, weight: 90 }, { kind: 'Service', name: 'catalog-v2', port: 80, weight: 10 }] }] } } as AnyResource,
  { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'web', namespace: 'default' },
    spec: { parentRefs: [{ kind: 'Gateway', name: 'ingress' }], rules: [{ matches: [], backendRefs: [{ kind: 'Service', name: 'web', port: 80, weight: 1 }] }] } } as AnyResource,
];
const names = new TrafficNames(objects);

test('the called service: a mesh route\'s parent Service, else the destination itself', () => {
  assert.deepEqual(names.calledService('default/catalog-split', 'catalog-v2', 'default'), { name: 'catalog', namespace: 'default' });
  assert.deepEqual(names.calledService('default/web', 'web', 'default'), { name: 'web', namespace: 'default' }, 'a Gateway route: called by its backend name');
  assert.deepEqual(names.calledService('default', 'reviews', 'default'), { name: 'reviews', namespace: 'default' });
  assert.deepEqual(names.calledService(undefined, 'reviews', 'default'), { name: 'reviews', namespace: 'default' });
});

test('a split Service as tap target covers its backends and the workloads behind them', () => {
  const t = names.target('catalog')!;
  assert.deepEqual([...t.services].sort(), ['catalog', 'catalog-v1', 'catalog-v2']);
  assert.deepEqual([...t.workloads].sort(), ['catalog-v1', 'catalog-v2']);
  assert.ok(inTarget(t, { direction: 'outbound', destinationService: 'catalog-v2' }, 'web'), 'web calling catalog, sent to v2');
  assert.ok(inTarget(t, { direction: 'inbound', destinationWorkload: 'catalog-v1' }, 'catalog-v1'), 'catalog-v1 receiving');
  assert.ok(inTarget(t, { direction: 'outbound', destinationService: 'reviews' }, 'catalog-v1'), 'catalog-v1 calling out');
  assert.ok(!inTarget(t, { direction: 'outbound', destinationService: 'reviews' }, 'web'));
  assert.ok(!inTarget(t, { direction: 'inbound', destinationWorkload: 'reviews' }, 'reviews'));
});

test('a Gateway as tap target: the requests its proxy sends into the mesh', () => {
  const withGw = new TrafficNames([...objects, { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'ingress', namespace: 'default' }, spec: { gatewayClassName: 'weft', listeners: [] } } as AnyResource]);
  const t = withGw.target('ingress')!;
  assert.ok(inTarget(t, { direction: 'gateway', destinationService: 'web' }, 'ingress'));
  assert.ok(!inTarget(t, { direction: 'outbound', destinationService: 'catalog-v1' }, 'web'));
  assert.equal(withGw.suggest('ingres'), 'ingress');
});

test('a workload or plain Service as tap target; an unknown name is undefined with a suggestion', () => {
  assert.deepEqual([...names.target('catalog-v1')!.services], ['catalog-v1']);
  const w = names.target('web')!;
  assert.deepEqual([...w.workloads], ['web']);
  assert.equal(names.target('nosuch'), undefined);
  assert.equal(names.suggest('catalgo'), 'catalog');
  assert.equal(names.suggest('zzzzzzzz'), undefined);
});

const sample = (name: string, labels: Record<string, string>, value: number): Sample => ({ name, labels, value });
const out = (dest: string, code: string, n: number, route = 'default/catalog-split') =>
  sample('weft_requests_total', { direction: 'outbound', route, destination_service: dest, destination_namespace: 'default', response_code: code }, n);
const bucket = (dest: string, le: string, n: number) =>
  sample('weft_request_duration_ms_bucket', { direction: 'outbound', route: 'default/catalog-split', destination_service: dest, destination_namespace: 'default', le }, n);

test('stat by service: one row for the called name, aggregated over its backends, with backends on request', () => {
  const deltas = [
    out('catalog-v1', '200', 90), out('catalog-v1', '503', 10), out('catalog-v2', '200', 20),
    bucket('catalog-v1', '10', 100), bucket('catalog-v1', '+Inf', 100), bucket('catalog-v2', '10', 0), bucket('catalog-v2', '100', 20), bucket('catalog-v2', '+Inf', 20),
    out('reviews', '200', 5, 'default'),
    sample('weft_requests_total', { direction: 'inbound', destination_workload: 'catalog-v1', destination_namespace: 'default', response_code: '200' }, 100),
  ];
  const calledService = (r: string | undefined, s: string, n: string) => names.calledService(r, s, n);
  const rows = statRows(deltas, 10, 'service', { calledService });
  assert.deepEqual(rows.map((r) => [r.name, r.requests, r.rps, r.successRate, r.backends]), [
    ['catalog', 120, 12, 110 / 120, undefined],
    ['reviews', 5, 0.5, 1, undefined],
  ]);
  const withBackends = statRows(deltas, 10, 'service', { calledService, backends: true });
  const catalog = withBackends.find((r) => r.name === 'catalog')!;
  assert.deepEqual(catalog.backends!.map((b) => [b.name, b.requests, b.successRate]), [['catalog-v1', 100, 0.9], ['catalog-v2', 20, 1]]);
  assert.ok(catalog.p99! > 10 && catalog.p50! <= 10, `p50 ${catalog.p50} p99 ${catalog.p99}`);
  assert.deepEqual(withBackends.find((r) => r.name === 'reviews')!.backends!.map((b) => b.name), ['reviews']);
  // Without a resolver: by destination, as before.
  assert.deepEqual(statRows(deltas, 10, 'service').map((r) => r.name), ['catalog-v1', 'catalog-v2', 'reviews']);
  // By workload: what each workload received, unaffected.
  assert.deepEqual(statRows(deltas, 10, 'workload', { calledService }).map((r) => [r.name, r.requests]), [['catalog-v1', 100]]);
});

test('a GRPCRoute on a Service names the called Service too, also when an HTTPRoute has the same name', () => {
  const grpc = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GRPCRoute', metadata: { name: 'api', namespace: 'default' },
    spec: { parentRefs: [{ kind: 'Service', name: 'reviews', port: 80 }], rules: [{ matches: [{}], backendRefs: [{ kind: 'Service', name: 'reviews-v2', port: 80, weight: 1 }] }] } } as AnyResource;
  const http = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'api', namespace: 'default' },
    spec: { parentRefs: [{ kind: 'Service', name: 'web', port: 80 }], rules: [{ matches: [], backendRefs: [{ kind: 'Service', name: 'web', port: 80, weight: 1 }] }] } } as AnyResource;
  const n = new TrafficNames([...objects, svc('reviews-v2', { app: 'reviews', version: 'v2' }), http, grpc]);
  assert.deepEqual(n.calledService('default/api', 'reviews-v2', 'default'), { name: 'reviews', namespace: 'default' });
  assert.deepEqual(n.calledService('default/api', 'web', 'default'), { name: 'web', namespace: 'default' });
  assert.ok(n.target('reviews')!.services.has('reviews-v2'), 'the GRPCRoute backend is covered by a tap of reviews');
});
