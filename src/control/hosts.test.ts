import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryStore } from './store/store.js';
import { Hosts, mayRunProxy } from './hosts.js';
import type { AnyResource, Workload } from '../api/types.js';
import type { ProxyRef } from './translate/index.js';

const wl = (name: string, host?: string, sa = 'default'): Workload => ({
  apiVersion: 'weft.dev/v1alpha1', kind: 'Workload', metadata: { name },
  spec: { command: 'node', args: [], env: {}, replicas: 1, serviceAccount: sa, port: 0, ...(host !== undefined ? { host } : {}) },
});

test('a join token is spent once, before it expires; a joined host is known by its SPIFFE ID', async () => {
  let now = 1_000_000;
  const store = await createMemoryStore();
  const hosts = new Hosts(store, () => now);
  const { token, expiresAt } = await hosts.createToken(60_000);
  assert.match(token, /^wjt\.[A-Za-z0-9_-]{43}$/);
  assert.equal(expiresAt, new Date(now + 60_000).toISOString());
  assert.ok(!JSON.stringify(store.getState('join-tokens')).includes(token.slice(4)), 'only a digest of the token is stored');
  assert.equal(hosts.hostOf('spiffe://td/ns/weft-system/sa/host-b', 'td'), undefined, 'not before it joined');
  const joined = await hosts.join(token, 'b');
  assert.ok(joined.ok);
  assert.equal(hosts.hostOf('spiffe://td/ns/weft-system/sa/host-b', 'td'), 'b');
  // Another trust domain, namespace or account prefix is not host b.
  for (const id of ['spiffe://other/ns/weft-system/sa/host-b', 'spiffe://td/ns/default/sa/host-b', 'spiffe://td/ns/weft-system/sa/b', 'spiffe://td/ns/weft-system/sa/host-c', 'spiffe://td/ns/weft-system/sa/host-B']) {
    assert.equal(hosts.hostOf(id, 'td'), undefined, id);
  }
  // Spent: a second join with it fails, and says what to do.
  const again = await hosts.join(token, 'c');
  assert.ok(!again.ok && again.status === 403 && /already used or expired.*weft token create/.test(again.error));
  // Expired.
  const late = await hosts.createToken(1000);
  now += 1001;
  assert.equal((await hosts.join(late.token, 'c')).ok, false);
  assert.deepEqual(hosts.list().map((h) => h.name), ['b']);
});

test('host names and ttls are checked', async () => {
  const hosts = new Hosts(await createMemoryStore());
  const { token } = await hosts.createToken();
  for (const bad of ['', 'B', 'a_b', 'local', 'x'.repeat(64), 7]) {
    const r = await hosts.join(token, bad);
    assert.ok(!r.ok && r.status === 400, `host ${JSON.stringify(bad)}`);
  }
  assert.ok((await hosts.join(token, 'ok-1')).ok, 'a refused name does not spend the token');
  await assert.rejects(hosts.createToken(10), /between 1s and 24h/);
});

test('a host gets proxy credentials only for replicas of the Workloads assigned to it', () => {
  const objects: AnyResource[] = [wl('api', 'b', 'api-sa'), wl('web'), wl('db', 'c')];
  const ref = (name: string, workload: string, serviceAccount = 'api-sa'): ProxyRef => ({ name, kind: 'sidecar', workload, namespace: 'default', serviceAccount });
  assert.equal(mayRunProxy(objects, 'b', ref('api-0', 'api'), 'default'), undefined);
  assert.equal(mayRunProxy(objects, 'b', ref('api-12', 'api'), 'default'), undefined);
  assert.match(mayRunProxy(objects, 'b', ref('web-0', 'web', 'default'), 'default')!, /runs on the control plane's host, not b/);
  assert.match(mayRunProxy(objects, 'b', ref('db-0', 'db', 'default'), 'default')!, /runs on host c, not b/);
  assert.match(mayRunProxy(objects, 'b', ref('api-x', 'api'), 'default')!, /not a replica of api/);
  assert.match(mayRunProxy(objects, 'b', ref('api-0', 'api', 'admin'), 'default')!, /service account api-sa, not admin/);
  assert.match(mayRunProxy(objects, 'b', ref('nope-0', 'nope'), 'default')!, /no Workload default\/nope/);
  assert.match(mayRunProxy(objects, 'b', { ...ref('api-0', 'api'), kind: 'gateway' }, 'default')!, /sidecars only/);
});
