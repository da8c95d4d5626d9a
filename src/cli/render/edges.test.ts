import { test } from 'node:test';
import { golden } from './golden.js';
import { renderEdges } from './edges.js';

const rows = [
  { source: 'spiffe://shop.local/ns/default/sa/gateway-edge', destination: 'web', destinationNamespace: 'default', tls: true, requests: 2400.2 },
  { source: 'spiffe://shop.local/ns/default/sa/web', destination: 'catalog-v1', destinationNamespace: 'default', tls: true, requests: 1620 },
  { source: 'spiffe://shop.local/ns/default/sa/web', destination: 'checkout', destinationNamespace: 'shop', tls: true, requests: 240 },
  { source: 'unknown', destination: 'legacy', destinationNamespace: 'default', tls: false, requests: 12 },
];

test('edges: verified identities over mTLS and a plaintext caller', () => {
  golden('edges-table', renderEdges(rows, { window: '1h', output: 'table' }));
  golden('edges-json', renderEdges(rows, { window: '1h', output: 'json' }));
});

test('edges: no traffic in the window', () => {
  golden('edges-empty-table', renderEdges([], { window: '5m', output: 'table' }));
});
