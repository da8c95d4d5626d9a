import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnyResource } from '../../api/types.js';
import { redactSnapshot } from '../../api/snapshot.js';
import { makeLeaf, makeTestCa } from '../ca/fixtures.js';
import { serviceAddresses } from '../../api/vip.js';
import { translate, intersectHostnames, resolveMtls, authzFor, ROOT_NAMESPACE, type MeshState, type RegisteredEndpoint } from './index.js';

const svc = (name: string, selector: Record<string, string>, port = 80, namespace = 'default'): AnyResource => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector, ports: [{ port, protocol: 'TCP' }] },
});
const ep = (proxy: string, labels: Record<string, string>, ready = true, namespace = 'default'): RegisteredEndpoint => ({
  proxy, workload: proxy.replace(/-\d+$/, ''), namespace, serviceAccount: 'default', address: '127.0.0.1', port: 20000 + proxy.length, ready, labels,
});
const split: AnyResource = {
  apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'split', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00.000Z' },
  spec: { parentRefs: [{ kind: 'Service', name: 'catalog', port: 80 }], rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [
    { kind: 'Service', name: 'catalog-v1', port: 80, weight: 90 }, { kind: 'Service', name: 'catalog-v2', port: 80, weight: 10 }, { kind: 'Service', name: 'ghost', port: 80, weight: 1 }] }] },
};
const gateway: AnyResource = {
  apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'ingress', namespace: 'default' },
  spec: { gatewayClassName: 'weft', listeners: [{ name: 'http', port: 8080, protocol: 'HTTP' }] },
};
const webRoute: AnyResource = {
  apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'web', namespace: 'default' },
  spec: { parentRefs: [{ kind: 'Gateway', name: 'ingress' }], hostnames: ['shop.example'], rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ kind: 'Service', name: 'web', port: 80, weight: 1 }] }] },
};

const state: MeshState = {
  objects: [svc('web', { app: 'web' }), svc('catalog', { app: 'catalog' }), svc('catalog-v1', { app: 'catalog', version: 'v1' }), svc('catalog-v2', { app: 'catalog', version: 'v2' }), svc('other', { app: 'x' }, 8080, 'ops'), split, gateway, webRoute],
  endpoints: [ep('web-0', { app: 'web' }), ep('catalog-v1-0', { app: 'catalog', version: 'v1' }), ep('catalog-v1-1', { app: 'catalog', version: 'v1' }, false), ep('catalog-v2-0', { app: 'catalog', version: 'v2' })],
};
const web = { name: 'web-0', kind: 'sidecar' as const, workload: 'web', namespace: 'default', serviceAccount: 'web' };

test('a sidecar gets every service with short names only for its own namespace', () => {
  const s = translate(state, web);
  const cat = s.services.find((x) => x.name === 'catalog')!;
  assert.deepEqual(cat.hosts, ['catalog', 'catalog.default', 'catalog.default.svc.cluster.local']);
  assert.equal(cat.address, serviceAddresses([{ namespace: 'default', name: 'catalog' }]).get('default/catalog'), 'a virtual IP for transparent capture');
  const other = s.services.find((x) => x.name === 'other')!;
  assert.deepEqual(other.hosts, ['other.ops', 'other.ops.svc.cluster.local']);
  assert.equal(s.clusters.find((c) => c.name === 'other.ops:8080')!.authority, 'other.ops:8080');
  assert.equal(s.listeners.length, 0);
});

test('a mesh route attached to a Service replaces its default route; a missing backend resolves to null', () => {
  const s = translate(state, web);
  const port = s.services.find((x) => x.name === 'catalog')!.ports[0];
  assert.equal(port.routes.length, 1);
  assert.deepEqual(port.routes[0].backends.map((b) => [b.cluster, b.weight]), [['catalog-v1.default:80', 90], ['catalog-v2.default:80', 10], [null, 1]]);
  assert.equal(port.routes[0].order.created, '2026-01-01T00:00:00.000Z');
  const webPort = s.services.find((x) => x.name === 'web')!.ports[0];
  assert.equal(webPort.routes[0].route, 'default');
  assert.equal(webPort.routes[0].backends[0].cluster, 'web.default:80');
});

test('endpoints follow selectors and carry readiness', () => {
  const s = translate(state, web);
  const v1 = s.clusters.find((c) => c.name === 'catalog-v1.default:80')!;
  assert.deepEqual(v1.endpoints.map((e) => [e.proxy, e.ready]), [['catalog-v1-0', true], ['catalog-v1-1', false]]);
  const all = s.clusters.find((c) => c.name === 'catalog.default:80')!;
  assert.equal(all.endpoints.length, 3);
});

test('a gateway gets its listeners with attached routes and only the clusters they use', () => {
  const g = translate(state, { name: 'gateway-ingress', kind: 'gateway', workload: 'ingress', namespace: 'default', serviceAccount: 'gateway-ingress' });
  assert.equal(g.services.length, 0);
  assert.equal(g.listeners.length, 1);
  assert.deepEqual(g.listeners[0].virtualHosts.map((v) => v.domains), [['shop.example']]);
  assert.deepEqual(g.clusters.map((c) => c.name), ['web.default:80']);
});

test('the version depends only on content', () => {
  const a = translate(state, web);
  const b = translate({ objects: [...state.objects].reverse(), endpoints: [...state.endpoints].reverse() }, web);
  assert.equal(a.version, b.version);
  const c = translate({ ...state, endpoints: state.endpoints.map((e) => ({ ...e, ready: true })) }, web);
  assert.notEqual(a.version, c.version);
});

test('hostname intersection follows the Gateway API rules', () => {
  assert.deepEqual(intersectHostnames(undefined, undefined), ['*']);
  assert.deepEqual(intersectHostnames('*.example.com', ['a.example.com', 'other.org']), ['a.example.com']);
  assert.deepEqual(intersectHostnames('foo.example.com', ['*.example.com']), ['foo.example.com']);
  assert.deepEqual(intersectHostnames('foo.example.com', ['bar.example.com']), []);
  assert.deepEqual(intersectHostnames('*.example.com', undefined), ['*.example.com']);
});

const pa = (name: string, namespace: string, spec: object, created = '2026-01-01T00:00:00.000Z'): AnyResource =>
  ({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name, namespace, creationTimestamp: created }, spec }) as AnyResource;

test('PeerAuthentication: workload beats namespace beats mesh; UNSET inherits; port level wins; default STRICT', () => {
  assert.equal(resolveMtls([], 'shop', { app: 'web' }, 8080), 'STRICT');
  const objs = [
    pa('mesh', ROOT_NAMESPACE, { mtls: { mode: 'PERMISSIVE' } }),
    pa('ns', 'shop', { mtls: { mode: 'DISABLE' } }),
    pa('web', 'shop', { selector: { matchLabels: { app: 'web' } }, mtls: { mode: 'UNSET' }, portLevelMtls: { '9090': { mode: 'STRICT' } } }),
  ];
  assert.equal(resolveMtls(objs, 'other', {}, undefined), 'PERMISSIVE', 'mesh-wide');
  assert.equal(resolveMtls(objs, 'shop', { app: 'api' }, 8080), 'DISABLE', 'namespace-wide');
  assert.equal(resolveMtls(objs, 'shop', { app: 'web' }, 8080), 'DISABLE', 'UNSET inherits the namespace mode');
  assert.equal(resolveMtls(objs, 'shop', { app: 'web' }, 9090), 'STRICT', 'port level');
  const twoNs = [pa('newer', 'shop', { mtls: { mode: 'PERMISSIVE' } }, '2026-02-01T00:00:00.000Z'), pa('older', 'shop', { mtls: { mode: 'DISABLE' } })];
  assert.equal(resolveMtls(twoNs, 'shop', {}, undefined), 'DISABLE', 'the oldest policy wins a tie');
});

test('AuthorizationPolicies apply by namespace and selector, plus the root namespace', () => {
  const ap = (name: string, namespace: string, selector?: object): AnyResource =>
    ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace }, spec: { action: 'DENY', ...(selector ? { selector } : {}), rules: [{}] } }) as AnyResource;
  const objs = [ap('all-shop', 'shop'), ap('web-only', 'shop', { matchLabels: { app: 'web' } }), ap('mesh', ROOT_NAMESPACE), ap('elsewhere', 'ops')];
  assert.deepEqual(authzFor(objs, 'shop', { app: 'web' }).map((p) => p.name), ['shop/all-shop', 'shop/web-only', 'weft-system/mesh']);
  assert.deepEqual(authzFor(objs, 'shop', { app: 'api' }).map((p) => p.name), ['shop/all-shop', 'weft-system/mesh']);
});

test('an endpoint whose workload is DISABLE is called in plaintext; the sidecar gets its own mode and identity', () => {
  const objs = [...state.objects, pa('v2-off', 'default', { selector: { matchLabels: { version: 'v2' } }, mtls: { mode: 'DISABLE' } })];
  const s = translate({ ...state, objects: objs }, web);
  const all = s.clusters.find((c) => c.name === 'catalog.default:80')!;
  assert.deepEqual(all.endpoints.map((e) => [e.proxy, e.tls]), [['catalog-v1-0', 'mtls'], ['catalog-v1-1', 'mtls'], ['catalog-v2-0', 'plaintext']]);
  assert.equal(s.security.identity, 'spiffe://cluster.local/ns/default/sa/web');
  assert.equal(s.security.mtls, 'STRICT');
  assert.deepEqual(all.identities, ['spiffe://cluster.local/ns/default/sa/default']);
});

test('listener limits: weft\'s defaults, and what the Mesh sets', () => {
  assert.deepEqual(translate(state, web).limits, { headerTimeoutMs: 10_000, idleTimeoutMs: 300_000, maxConnections: 10_000, maxHeadBytes: 61_440, maxHeaders: 100, maxRequestLine: 8192 });
  const mesh: AnyResource = { apiVersion: 'weft.dev/v1alpha1', kind: 'Mesh', metadata: { name: 'm' }, spec: { trustDomain: 'cluster.local', defaults: { namespace: 'default' }, listeners: { requestHeadersTimeout: '2s', idleTimeout: '1m30s', maxConnections: 50, maxRequestHeadersKb: 16, maxRequestHeaders: 20, maxRequestLineBytes: 1024 } } };
  assert.deepEqual(translate({ ...state, objects: [...state.objects, mesh] }, web).limits, { headerTimeoutMs: 2000, idleTimeoutMs: 90_000, maxConnections: 50, maxHeadBytes: 16_384, maxHeaders: 20, maxRequestLine: 1024 });
});

test("route timeouts: a rule's own replace the mesh default; rules without get the default wait for the response head", () => {
  const timed: AnyResource = {
    ...split, metadata: { ...split.metadata, name: 'timed' },
    spec: { parentRefs: [{ kind: 'Service', name: 'catalog', port: 80 }], rules: [
      { matches: [{ path: { type: 'PathPrefix', value: '/slow' } }], timeouts: { request: '30s', backendRequest: '10s' }, backendRefs: [{ kind: 'Service', name: 'catalog-v1', port: 80 }] },
      { matches: [{ path: { type: 'PathPrefix', value: '/off' } }], timeouts: { request: '0s' }, backendRefs: [{ kind: 'Service', name: 'catalog-v1', port: 80 }] },
      { matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ kind: 'Service', name: 'catalog-v1', port: 80 }] },
    ] },
  } as AnyResource;
  const st: MeshState = { ...state, objects: [...state.objects.filter((o) => o !== split), timed] };
  const routes = translate(st, web).services.find((x) => x.name === 'catalog')!.ports[0].routes;
  assert.deepEqual(routes.map((r) => r.timeouts), [
    { requestMs: 30_000, backendRequestMs: 10_000, responseHeadersMs: 0 },
    { requestMs: 0, backendRequestMs: 0, responseHeadersMs: 0 },
    { requestMs: 0, backendRequestMs: 0, responseHeadersMs: 15_000 },
  ]);
  // The implicit route of a service with no HTTPRoute gets the default too; a Mesh changes it and the connect timeout.
  assert.deepEqual(translate(st, web).services.find((x) => x.name === 'web')!.ports[0].routes[0].timeouts, { requestMs: 0, backendRequestMs: 0, responseHeadersMs: 15_000 });
  assert.deepEqual(translate(st, web).traffic, { connectTimeoutMs: 5000 });
  const mesh: AnyResource = { apiVersion: 'weft.dev/v1alpha1', kind: 'Mesh', metadata: { name: 'm' }, spec: { trustDomain: 'cluster.local', defaults: { namespace: 'default' }, traffic: { responseTimeout: '0s', connectTimeout: '250ms' } } } as AnyResource;
  const withMesh = translate({ ...st, objects: [...st.objects, mesh] }, web);
  assert.deepEqual(withMesh.services.find((x) => x.name === 'web')!.ports[0].routes[0].timeouts, { requestMs: 0, backendRequestMs: 0, responseHeadersMs: 0 });
  assert.deepEqual(withMesh.traffic, { connectTimeoutMs: 250 });
});

test('a rule retry is resolved with its defaults; the budget comes from a TrafficPolicy targeting the Service, else the defaults', () => {
  const r: AnyResource = {
    ...split, metadata: { ...split.metadata, name: 'retrying' },
    spec: { parentRefs: [{ kind: 'Service', name: 'catalog', port: 80 }], rules: [
      { matches: [{ path: { type: 'PathPrefix', value: '/' } }], retry: { attempts: 3, codes: [429], nonIdempotent: false }, backendRefs: [{ kind: 'Service', name: 'catalog-v1', port: 80 }] },
    ] },
  } as AnyResource;
  const tp: AnyResource = { apiVersion: 'weft.dev/v1alpha1', kind: 'TrafficPolicy', metadata: { name: 'v1', namespace: 'default' }, spec: { targetRef: { kind: 'Service', name: 'catalog-v1' }, retryBudget: { retryRatio: 0.5 } } } as AnyResource;
  const st: MeshState = { ...state, objects: [...state.objects.filter((o) => o !== split), r, tp] };
  const s = translate(st, web);
  assert.deepEqual(s.services.find((x) => x.name === 'catalog')!.ports[0].routes[0].retry, {
    attempts: 3, backoffMs: 25, maxBackoffMs: 250, codes: [429], grpcCodes: [], connectFailure: true, reset: true, perTryTimeout: false, nonIdempotent: false,
  });
  assert.deepEqual(s.clusters.find((c) => c.name === 'catalog-v1.default:80')!.retryBudget, { retryRatio: 0.5, minRetriesPerSecond: 10, maxRetries: 64 });
  assert.deepEqual(s.clusters.find((c) => c.name === 'web.default:80')!.retryBudget, { retryRatio: 0.2, minRetriesPerSecond: 10, maxRetries: 64 });
  assert.equal(s.services.find((x) => x.name === 'web')!.ports[0].routes[0].retry, undefined);
});

test('RequestMirror filters resolve to clusters with a percent (fraction and default 100 too)', () => {
  const r: AnyResource = {
    ...split, metadata: { ...split.metadata, name: 'mirrored' },
    spec: { parentRefs: [{ kind: 'Service', name: 'catalog', port: 80 }], rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], filters: [
      { type: 'RequestMirror', requestMirror: { backendRef: { name: 'catalog-v2', port: 80 }, percent: 25 } },
      { type: 'RequestMirror', requestMirror: { backendRef: { name: 'web' }, fraction: { numerator: 1, denominator: 8 } } },
      { type: 'RequestMirror', requestMirror: { backendRef: { name: 'ghost', port: 80 } } },
    ], backendRefs: [{ kind: 'Service', name: 'catalog-v1', port: 80, weight: 1 }] }] },
  } as AnyResource;
  const s = translate({ ...state, objects: [...state.objects.filter((o) => o !== split), r] }, web);
  assert.deepEqual(s.services.find((x) => x.name === 'catalog')!.ports[0].routes[0].mirrors, [
    { cluster: 'catalog-v2.default:80', ref: 'default/catalog-v2:80', percent: 25 },
    { cluster: 'web.default:80', ref: 'default/web', percent: 12.5 },
    { cluster: null, ref: 'default/ghost:80', percent: 100 },
  ]);
  assert.ok(s.clusters.some((c) => c.name === 'catalog-v2.default:80'), 'the mirror target is a cluster of the snapshot');
});

test('a FaultInjection ExtensionRef resolves into every entry of its rule; a missing one says so; other rules get none', () => {
  const faultRef = (name: string) => ({ type: 'ExtensionRef', extensionRef: { group: 'weft.dev', kind: 'FaultInjection', name } });
  const r: AnyResource = {
    ...webRoute, metadata: { ...webRoute.metadata, name: 'chaos' },
    spec: { parentRefs: [{ kind: 'Gateway', name: 'ingress' }], rules: [
      { matches: [{ path: { type: 'PathPrefix', value: '/a' } }, { path: { type: 'PathPrefix', value: '/b' } }], filters: [faultRef('slow')], backendRefs: [{ kind: 'Service', name: 'web', port: 80, weight: 1 }] },
      { matches: [{ path: { type: 'PathPrefix', value: '/gone' } }], filters: [faultRef('gone')], backendRefs: [{ kind: 'Service', name: 'web', port: 80, weight: 1 }] },
      { matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ kind: 'Service', name: 'web', port: 80, weight: 1 }] },
    ] },
  } as AnyResource;
  const fi: AnyResource = { apiVersion: 'weft.dev/v1alpha1', kind: 'FaultInjection', metadata: { name: 'slow', namespace: 'default' },
    spec: { delay: { fixedDelay: '1s500ms', percentage: 10 }, abort: { grpcStatus: 'UNAVAILABLE', percentage: 2.5 }, match: { headers: [{ type: 'Exact', name: 'x-chaos', value: 'on' }] } } } as AnyResource;
  const gw = { name: 'gateway-ingress', kind: 'gateway' as const, workload: 'ingress', namespace: 'default', serviceAccount: 'gateway-ingress' };
  const s = translate({ ...state, objects: [...state.objects.filter((o) => o !== webRoute), r, fi] }, gw);
  const entries = s.listeners[0].virtualHosts.flatMap((v) => v.routes);
  const slow = { ref: 'default/slow', delay: { ms: 1500, percent: 10 }, abort: { grpcStatus: 14, percent: 2.5 }, headers: [{ type: 'Exact', name: 'x-chaos', value: 'on' }] };
  assert.deepEqual(entries.map((e) => [e.match.path.value, e.fault]), [['/a', slow], ['/b', slow], ['/gone', { ref: 'default/gone', missing: true }], ['/', undefined]]);
  // The filter stays in the entry as written (dumps show it); the proxy runs the resolved `fault`.
  assert.deepEqual(entries[0].filters, [faultRef('slow')]);
});

test('a TrafficPolicy loadBalancer reaches the cluster, resolved (header lower-cased, durations in ms); none: no policy (EWMA)', () => {
  const tp = (name: string, target: string, lb: object): AnyResource => ({ apiVersion: 'weft.dev/v1alpha1', kind: 'TrafficPolicy', metadata: { name, namespace: 'default' }, spec: { targetRef: { kind: 'Service', name: target }, loadBalancer: lb } } as AnyResource);
  const st: MeshState = { ...state, objects: [...state.objects,
    tp('a', 'catalog-v1', { type: 'RING_HASH', hashOn: { header: 'X-User' }, ringSize: 64 }),
    tp('b', 'catalog-v2', { type: 'LEAST_REQUEST', slowStart: { window: '30s', aggression: 2, minWeightPercent: 5 } }),
    tp('c', 'web', { type: 'MAGLEV', hashOn: { cookie: { name: 's', path: '/', ttl: '1h' } } }),
  ] };
  const s = translate(st, web);
  const lb = (c: string) => s.clusters.find((x) => x.name === c)!.loadBalancer;
  assert.deepEqual(lb('catalog-v1.default:80'), { type: 'RING_HASH', hashOn: { header: 'x-user' }, ringSize: 64 });
  assert.deepEqual(lb('catalog-v2.default:80'), { type: 'LEAST_REQUEST', slowStart: { windowMs: 30_000, aggression: 2, minWeight: 0.05 } });
  assert.deepEqual(lb('web.default:80'), { type: 'MAGLEV', hashOn: { cookie: { name: 's', path: '/', ttlSeconds: 3600 } } });
  assert.equal(lb('catalog.default:80'), undefined);
});

test('HTTPS gateway listeners: the gateway snapshot carries its Secrets\' certificate and key, sidecars never do', async () => {
  const ca = await makeTestCa();
  const leaf = await makeLeaf(ca, { dns: ['shop.example'] });
  const secret: AnyResource = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'shop-tls', namespace: 'default' }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': leaf.certPem, 'tls.key': leaf.keyPem } };
  const other: AnyResource = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'shop-tls', namespace: 'ops' }, type: 'kubernetes.io/tls', data: { 'tls.crt': Buffer.from(leaf.certPem).toString('base64'), 'tls.key': Buffer.from(leaf.keyPem).toString('base64') } };
  const tlsGateway: AnyResource = {
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'ingress', namespace: 'default' },
    spec: { gatewayClassName: 'weft', listeners: [
      { name: 'https', port: 8443, protocol: 'HTTPS', hostname: 'shop.example', tls: { mode: 'Terminate', certificateRefs: [{ group: '', kind: 'Secret', name: 'shop-tls' }] } },
      { name: 'missing', port: 8443, protocol: 'HTTPS', tls: { mode: 'Terminate', certificateRefs: [{ group: '', kind: 'Secret', name: 'gone' }] } },
      { name: 'http', port: 8080, protocol: 'HTTP' },
    ] },
  };
  const st: MeshState = { objects: [...state.objects.filter((o) => o.kind !== 'Gateway'), tlsGateway, secret, other], endpoints: state.endpoints };
  const gw = translate(st, { name: 'gateway-ingress', kind: 'gateway', workload: 'ingress', namespace: 'default', serviceAccount: 'gateway-ingress' });
  const [https, missing, http] = gw.listeners;
  assert.equal(https.protocol, 'HTTPS');
  assert.equal(https.hostname, 'shop.example');
  assert.deepEqual(https.tls, { certificates: [{ secret: 'default/shop-tls', certPem: leaf.certPem, keyPem: leaf.keyPem }] });
  // The route attached to the Gateway serves on the HTTPS listener too (matching its hostname).
  assert.deepEqual(https.virtualHosts.map((v) => v.domains), [['shop.example']]);
  // A Secret that does not exist gives the listener no certificate (its handshakes fail), not an error.
  assert.equal(missing.hostname, undefined);
  assert.deepEqual(missing.tls, { certificates: [] });
  assert.equal(http.tls, undefined);
  assert.equal(http.hostname, undefined);
  // The same Secret from data (base64) decodes to the same PEM.
  const fromData = translate({ ...st, objects: st.objects.map((o) => o === secret ? { ...other, metadata: secret.metadata } : o) }, { name: 'gateway-ingress', kind: 'gateway', workload: 'ingress', namespace: 'default', serviceAccount: 'gateway-ingress' });
  assert.deepEqual(fromData.listeners[0].tls, https.tls);
  // Only the gateway proxy gets key material.
  const sidecar = translate(st, web);
  assert.doesNotMatch(JSON.stringify(sidecar), /PRIVATE KEY/);
  // Dumps show the certificate and hide the key.
  const shown = JSON.stringify(redactSnapshot(gw));
  assert.doesNotMatch(shown, /PRIVATE KEY/);
  assert.match(shown, /BEGIN CERTIFICATE/);
  assert.match(JSON.stringify(gw), /PRIVATE KEY/);
  // A new certificate is a new snapshot version.
  const leaf2 = await makeLeaf(ca, { dns: ['shop.example'] });
  const rotated = translate({ ...st, objects: st.objects.map((o) => o === secret ? { ...secret, stringData: { 'tls.crt': leaf2.certPem, 'tls.key': leaf2.keyPem } } : o) }, { name: 'gateway-ingress', kind: 'gateway', workload: 'ingress', namespace: 'default', serviceAccount: 'gateway-ingress' });
  assert.notEqual(rotated.version, gw.version);
});

test('locality: endpoints carry their Workload\'s, a sidecar its own, a gateway its topology labels; failover and health checks from the TrafficPolicy', () => {
  const wl = (name: string, locality?: object): AnyResource => ({ apiVersion: 'weft.dev/v1alpha1', kind: 'Workload', metadata: { name, namespace: 'default', labels: {} }, spec: { command: 'x', args: [], env: {}, replicas: 1, serviceAccount: 'default', port: 0, ...(locality ? { locality } : {}) } } as AnyResource);
  const tp: AnyResource = {
    apiVersion: 'weft.dev/v1alpha1', kind: 'TrafficPolicy', metadata: { name: 'catalog', namespace: 'default' },
    spec: { targetRef: { kind: 'Service', name: 'catalog' }, localityFailover: { enabled: true, failover: [{ from: 'eu', to: 'us' }] }, healthCheck: { path: '/healthz', interval: '2s' } },
  } as AnyResource;
  const gw = { ...gateway, metadata: { ...gateway.metadata, labels: { 'topology.kubernetes.io/region': 'eu', 'topology.kubernetes.io/zone': 'eu-1b' } } } as AnyResource;
  const objects = [...state.objects.filter((o) => o !== gateway), gw, tp, wl('web', { region: 'eu', zone: 'eu-1a' }), wl('catalog-v1', { region: 'eu', zone: 'eu-1a' }), wl('catalog-v2', { region: 'us' })];
  const s = translate({ ...state, objects }, web);
  assert.deepEqual(s.proxy.locality, { region: 'eu', zone: 'eu-1a' });
  const cat = s.clusters.find((c) => c.name === 'catalog.default:80')!;
  assert.deepEqual(cat.endpoints.map((e) => [e.proxy, e.locality]), [['catalog-v1-0', { region: 'eu', zone: 'eu-1a' }], ['catalog-v1-1', { region: 'eu', zone: 'eu-1a' }], ['catalog-v2-0', { region: 'us' }]]);
  assert.deepEqual(cat.localityFailover, { failover: [{ from: 'eu', to: 'us' }] });
  assert.deepEqual(cat.healthCheck, { path: '/healthz', intervalMs: 2000, timeoutMs: 1000, unhealthyThreshold: 2, healthyThreshold: 1 });
  const v1 = s.clusters.find((c) => c.name === 'catalog-v1.default:80')!;
  assert.equal(v1.localityFailover, undefined, 'only the targeted Service');
  assert.equal('locality' in translate(state, web).clusters.find((c) => c.name === 'web.default:80')!.endpoints[0]!, false, 'a Workload without locality: none');
  const g = translate({ ...state, objects }, { name: 'gateway-ingress', kind: 'gateway', workload: 'ingress', namespace: 'default', serviceAccount: 'gateway-ingress' });
  assert.deepEqual(g.proxy.locality, { region: 'eu', zone: 'eu-1b' });
  const off = translate({ ...state, objects: objects.map((o) => (o === tp ? { ...tp, spec: { ...tp.spec, localityFailover: { enabled: false } } } as AnyResource : o)) }, web);
  assert.equal(off.clusters.find((c) => c.name === 'catalog.default:80')!.localityFailover, undefined, 'enabled: false turns it off');
  assert.equal(translate(state, web).proxy.locality, undefined);
  const redis: AnyResource = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'catalog', namespace: 'default' }, spec: { selector: { app: 'catalog' }, ports: [{ port: 6379, protocol: 'TCP' }] } };
  const tcp = translate({ ...state, objects: [...objects.filter((o) => !(o.kind === 'Service' && o.metadata.name === 'catalog')), redis] }, web);
  assert.equal(tcp.clusters.find((c) => c.name === 'catalog.default:6379')!.healthCheck, undefined, 'an opaque TCP port is not probed over HTTP');
});
