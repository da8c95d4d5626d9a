import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appEnvironment, envName } from './replica.js';
import type { Service, Workload } from '../api/types.js';

const svc = (name: string, ports: Service['spec']['ports'], namespace = 'default'): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector: { app: name }, ports } });
const workload = { apiVersion: 'weft.dev/v1alpha1', kind: 'Workload', metadata: { name: 'web' }, spec: { command: 'node', args: [], replicas: 1, port: 0, serviceAccount: 'web', env: { FOO: 'bar', PORT: 'ignored' } } } as unknown as Workload;

test('an app gets PORT, HTTP_PROXY to its sidecar, its identity and one URL per Service port of its namespace', () => {
  const env = appEnvironment({
    ports: { admin: 1, outbound: 15001, upstreams: { 'catalog-v1.default:80': 20001, 'cache.default:6379': 20002, 'cache.default:8080': 20003, 'other.ops:80': 20004 }, listeners: [] },
    workload, appPort: 18080, ref: { name: 'web-0', kind: 'sidecar', workload: 'web', namespace: 'default', serviceAccount: 'web' },
    services: [
      svc('catalog-v1', [{ port: 80, protocol: 'TCP' }]),
      svc('cache', [{ port: 6379, protocol: 'TCP', name: 'redis' }, { port: 8080, protocol: 'TCP', name: 'admin', appProtocol: 'http' }]),
      svc('other', [{ port: 80, protocol: 'TCP' }], 'ops'),
      svc('unrouted', [{ port: 80, protocol: 'TCP' }]),
    ],
  }, '127.0.0.1', { PATH: '/bin', FOO: 'parent' });
  assert.equal(env.PATH, '/bin', 'the parent environment is kept');
  assert.equal(env.FOO, 'bar', "the Workload's env wins over the parent's");
  assert.equal(env.PORT, '18080', 'PORT is the runtime\'s, whatever the Workload says');
  assert.equal(env.HTTP_PROXY, 'http://127.0.0.1:15001');
  assert.equal(env.no_proxy, 'localhost,127.0.0.1,::1');
  assert.deepEqual([env.WEFT_WORKLOAD, env.WEFT_REPLICA, env.WEFT_NAMESPACE], ['web', 'web-0', 'default']);
  assert.equal(env.CATALOG_V1_URL, 'http://127.0.0.1:20001');
  assert.equal(env.CACHE_URL, 'tcp://127.0.0.1:20002', 'a server-first port (6379) is opaque TCP');
  assert.equal(env.CACHE_REDIS_URL, 'tcp://127.0.0.1:20002');
  assert.equal(env.CACHE_ADMIN_URL, 'http://127.0.0.1:20003');
  assert.equal(env.OTHER_URL, undefined, 'another namespace gets no short URL');
  assert.equal(env.UNROUTED_URL, undefined, 'a port the sidecar does not listen for gets none');
});

test('env names: upper case, anything else an underscore', () => {
  assert.equal(envName('catalog-v1.x'), 'CATALOG_V1_X');
});
