import { test } from 'node:test';
import assert from 'node:assert/strict';
import { danglingReferences } from './references.js';
import type { AnyResource } from './types.js';

const svc = (name: string, selector: Record<string, string>, ports = [80]): AnyResource =>
  ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { selector, ports: ports.map((port) => ({ port, protocol: 'TCP' })) } }) as AnyResource;
const wl = (name: string, labels: Record<string, string>): AnyResource =>
  ({ apiVersion: 'weft.dev/v1alpha1', kind: 'Workload', metadata: { name, namespace: 'default', labels }, spec: { command: 'node', args: [], env: {}, replicas: 1, serviceAccount: 'default', port: 0 } }) as AnyResource;
const route = (name: string, parentRefs: unknown[], backends: { name: string; port?: number }[]): AnyResource =>
  ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name, namespace: 'default' }, spec: { parentRefs, rules: [{ matches: [], backendRefs: backends.map((b) => ({ kind: 'Service', weight: 1, ...b })) }] } }) as AnyResource;
const gw = (name: string): AnyResource =>
  ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name, namespace: 'default' }, spec: { gatewayClassName: 'weft', listeners: [{ name: 'http', port: 8080, protocol: 'HTTP' }] } }) as AnyResource;
const authz = (name: string, matchLabels: Record<string, string>, namespace = 'default'): AnyResource =>
  ({ apiVersion: 'weft.dev/v1alpha1', kind: 'AuthorizationPolicy', metadata: { name, namespace }, spec: { selector: { matchLabels }, action: 'DENY', rules: [{}] } }) as AnyResource;

const base = [wl('catalog-v1', { app: 'catalog', version: 'v1' }), svc('catalog', { app: 'catalog' }), svc('catalog-v1', { app: 'catalog', version: 'v1' }), gw('ingress')];

test('a complete config has no dangling references', () => {
  const objs = [...base, route('split', [{ kind: 'Service', name: 'catalog', port: 80 }], [{ name: 'catalog-v1', port: 80 }]), route('web', [{ kind: 'Gateway', name: 'ingress', sectionName: 'http' }], [{ name: 'catalog' }]), authz('deny', { app: 'catalog' })];
  assert.deepEqual(danglingReferences(objs), []);
});

test('a backendRef to a missing Service names the route, the service and what exists', () => {
  const d = danglingReferences([...base, route('split', [{ kind: 'Service', name: 'catalog' }], [{ name: 'catalog-v3', port: 80 }])]);
  assert.equal(d.length, 1);
  assert.equal(d[0].severity, 'error');
  assert.equal(d[0].key, 'HTTPRoute/default/split');
  assert.equal(d[0].target, 'Service default/catalog-v3');
  assert.equal(d[0].message, 'HTTPRoute default/split: rules[0].backendRefs[0] names Service default/catalog-v3, which does not exist');
  assert.match(d[0].hint, /500 backend-not-found.*namespace default has catalog, catalog-v1/);
});

test('a backendRef port the Service does not have', () => {
  const d = danglingReferences([...base, route('split', [{ kind: 'Service', name: 'catalog' }], [{ name: 'catalog-v1', port: 8080 }])]);
  assert.deepEqual(d.map((x) => [x.missing, x.message]), [['port', 'HTTPRoute default/split: rules[0].backendRefs[0] names port 8080 of Service default/catalog-v1, which has no such port']]);
});

test('parentRefs to a missing Service or Gateway, or a listener the Gateway lacks', () => {
  const d = danglingReferences([...base,
    route('a', [{ kind: 'Service', name: 'nosuch' }], [{ name: 'catalog-v1', port: 80 }]),
    route('b', [{ kind: 'Gateway', name: 'edge' }], [{ name: 'catalog-v1', port: 80 }]),
    route('c', [{ kind: 'Gateway', name: 'ingress', sectionName: 'https' }], [{ name: 'catalog-v1', port: 80 }]),
    route('d', [{ kind: 'Service', name: 'catalog', port: 81 }], [{ name: 'catalog-v1', port: 80 }]),
  ]);
  assert.deepEqual(d.map((x) => `${x.missing}: ${x.message}`), [
    'service: HTTPRoute default/a: parentRefs[0] names Service default/nosuch, which does not exist',
    'gateway: HTTPRoute default/b: parentRefs[0] names Gateway default/edge, which does not exist',
    'listener: HTTPRoute default/c: parentRefs[0] names listener "https" of Gateway default/ingress, which has no such listener',
    'port: HTTPRoute default/d: parentRefs[0] names port 81 of Service default/catalog, which has no such port',
  ]);
});

test('a policy whose selector matches no Workload, and a Service that selects none, are warnings', () => {
  const d = danglingReferences([...base, authz('deny', { app: 'catalgo' }), svc('reviews', { app: 'reviews' })]);
  assert.deepEqual(d.map((x) => [x.severity, x.message]), [
    ['warning', 'AuthorizationPolicy default/deny applies to nothing: its selector {app: catalgo} matches no Workload in namespace default'],
    ['warning', 'Service default/reviews selects no Workload: no Workload in namespace default has the labels {app: reviews}'],
  ]);
  // Replicas a runtime registered count too, Workload object or not.
  assert.deepEqual(danglingReferences([...base, svc('reviews', { app: 'reviews' })], 'default', [{ namespace: 'default', labels: { app: 'reviews' } }]), []);
  // The same selector in the root namespace looks across namespaces; a match anywhere is enough.
  assert.deepEqual(danglingReferences([...base, authz('mesh-wide', { app: 'catalog' }, 'weft-system')]), []);
  // Another namespace's workloads do not count for a namespaced policy.
  assert.equal(danglingReferences([...base, authz('other', { app: 'catalog' }, 'shop')]).length, 1);
});
