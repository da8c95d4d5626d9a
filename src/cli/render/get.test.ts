import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ObjectRow } from '../../api/control-api.js';
import { golden } from './golden.js';
import { renderObjects, sourceLabel } from './get.js';

const cwd = '/home/ana/shop';
const rows: ObjectRow[] = [
  { kind: 'Workload', metadata: { name: 'catalog-v1', namespace: 'default' }, source: 'file:/home/ana/shop/mesh.yaml:14' },
  { kind: 'Mesh', metadata: { name: 'shop' }, source: 'file:/home/ana/shop/mesh.yaml:1' },
  { kind: 'HTTPRoute', metadata: { name: 'extra', namespace: 'default' }, source: 'api' },
  { kind: 'Workload', metadata: { name: 'catalog-v2', namespace: 'default' }, source: 'file:/home/ana/shop/mesh.yaml:31' },
  { kind: 'Service', metadata: { name: 'catalog', namespace: 'default' }, source: 'file:/home/ana/shop/config/services.yaml:7' },
  { kind: 'AuthorizationPolicy', metadata: { name: 'deny-admin', namespace: 'shop' }, source: 'file:/etc/weft/policies.yaml:2' },
  { kind: 'Gateway', metadata: { name: 'edge', namespace: 'default' }, source: 'file:/home/ana/shop/mesh.yaml:48' },
];

test('get: every object with its source relative to the cwd, or api', () => {
  golden('get-table', renderObjects(rows, { cwd, output: 'table' }));
  golden('get-json', renderObjects(rows, { cwd, output: 'json' }));
});

test('get: nothing stored, nothing of a kind', () => {
  golden('get-empty-table', renderObjects([], { cwd, output: 'table' }) + renderObjects([], { kind: 'Telemetry', cwd, output: 'table' }));
});

test('get: source labels', () => {
  assert.equal(sourceLabel('file:/home/ana/shop/mesh.yaml:14', cwd), 'mesh.yaml:14');
  assert.equal(sourceLabel('file:/home/ana/other/m.yaml:3', cwd), '../other/m.yaml:3');
  assert.equal(sourceLabel('file:/home/ana/shop/mesh.yaml', cwd), 'mesh.yaml');
  assert.equal(sourceLabel('api', cwd), 'api');
  assert.equal(sourceLabel('something-else', cwd), 'something-else');
});

test('get secrets: type and keys, never values', () => {
  const secrets: ObjectRow[] = [
    { kind: 'Secret', metadata: { name: 'shop-tls', namespace: 'default' }, type: 'kubernetes.io/tls', keys: ['ca.crt', 'tls.crt', 'tls.key'], source: 'file:/home/ana/shop/tls.yaml:1' },
    { kind: 'Secret', metadata: { name: 'api-tls', namespace: 'default' }, type: 'kubernetes.io/tls', keys: ['tls.crt', 'tls.key'], source: 'api' },
  ];
  golden('get-secrets-table', renderObjects(secrets, { kind: 'Secret', cwd, output: 'table' }));
});
