import { test } from 'node:test';
import { golden } from './golden.js';
import { renderProxyConfig, type SnapshotView } from './proxy-config.js';

const backend = (cluster: string | null, ref: string, weight: number) => ({ cluster, ref, weight });
const sidecar: SnapshotView = {
  version: 'r12-3f9a',
  listeners: [],
  services: [
    { name: 'catalog', namespace: 'default', ports: [{ port: 80, routes: [{ route: 'catalog-split', backends: [backend('catalog-v1.default:80', 'catalog-v1', 90), backend('catalog-v2.default:80', 'catalog-v2', 10)] }] }] },
    { name: 'checkout', namespace: 'shop', ports: [
      { port: 80, routes: [{ route: 'checkout', backends: [backend(null, 'checkout-next', 1)] }] },
      { port: 9090, routes: [] },
    ] },
  ],
  clusters: [
    { name: 'catalog-v1.default:80', endpoints: [{ address: '127.0.0.1', port: 39001, ready: true }, { address: '127.0.0.1', port: 39002, ready: false }] },
    { name: 'catalog-v2.default:80', endpoints: [{ address: '127.0.0.1', port: 39011, ready: true }] },
    { name: 'checkout.shop:80', endpoints: [] },
  ],
};
const gateway: SnapshotView = {
  version: 'r12-3f9a',
  listeners: [
    { name: 'edge/http', address: '127.0.0.1', port: 8080, virtualHosts: [{ domains: ['shop.local', 'www.shop.local'], routes: [{}, {}] }, { domains: ['*'], routes: [{}] }] },
    { name: 'edge/empty', address: '0.0.0.0', port: 8443, virtualHosts: [] },
  ],
  services: [],
  clusters: [{ name: 'web.default:80', endpoints: [{ address: '127.0.0.1', port: 39021, ready: true }] }],
};

test('proxy-config: a sidecar with a weighted split and a missing backend, a gateway with listeners', () => {
  golden('proxy-config-sidecar-table', renderProxyConfig({ proxy: 'web-0', state: { state: 'SYNCED' }, snapshot: sidecar, ejected: { 'catalog-v1.default:80': ['127.0.0.1:39001'] } }, 'table'));
  golden('proxy-config-gateway-table', renderProxyConfig({ proxy: 'edge', state: { state: 'SYNCED' }, snapshot: gateway }, 'table'));
  golden('proxy-config-sidecar-json', renderProxyConfig({ proxy: 'web-0', state: { state: 'SYNCED' }, snapshot: sidecar }, 'json'));
});

test('proxy-config: a proxy that rejected its first config runs nothing', () => {
  const r = { proxy: 'checkout-0', state: { state: 'NACKED', error: 'listener outbound: bind 127.0.0.1:15001: EADDRINUSE' }, snapshot: null };
  golden('proxy-config-nothing-table', renderProxyConfig(r, 'table'));
  golden('proxy-config-nothing-json', renderProxyConfig(r, 'json'));
});

test('proxy-config: endpoints show where they run when their Workload says', () => {
  const located: SnapshotView = { ...sidecar, services: [], clusters: [
    { name: 'api.default:80', endpoints: [
      { address: '127.0.0.1', port: 39101, ready: true, locality: { region: 'eu-west', zone: 'eu-west-1a' } },
      { address: '127.0.0.1', port: 39102, ready: false, locality: { region: 'eu-west' } },
      { address: '127.0.0.1', port: 39103, ready: true },
    ] },
  ] };
  golden('proxy-config-locality-table', renderProxyConfig({ proxy: 'web-0', state: { state: 'SYNCED' }, snapshot: located }, 'table'));
});
