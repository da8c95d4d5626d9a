import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hostsLines, isServiceAddress, serviceAddresses } from './vip.js';

const one = (namespace: string, name: string) => serviceAddresses([{ namespace, name }]).get(`${namespace}/${name}`)!;

describe('service virtual IPs', () => {
  it('are in 240.240.0.0/16, never its first or last address, and depend on namespace and name only', () => {
    const a = one('shop', 'catalog');
    assert.ok(isServiceAddress(a), a);
    assert.notEqual(a, '240.240.0.0');
    assert.notEqual(a, '240.240.255.255');
    assert.equal(serviceAddresses([{ namespace: 'x', name: 'y' }, { namespace: 'shop', name: 'catalog' }]).get('shop/catalog'), a);
    assert.notEqual(one('ops', 'catalog'), a);
  });

  it('give 3000 Services 3000 distinct addresses', () => {
    const svcs = Array.from({ length: 3000 }, (_, i) => ({ namespace: `ns${i % 7}`, name: `svc-${i}` }));
    const ips = [...serviceAddresses(svcs).values()];
    assert.equal(ips.length, 3000);
    assert.equal(new Set(ips).size, 3000);
    assert.ok(ips.every(isServiceAddress));
  });

  it('resolve a collision in name order: the first name keeps the address, the next takes the following one', () => {
    const seen = new Map<string, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; pair === undefined && i < 100_000; i++) {
      const ip = one('default', `s${i}`);
      const other = seen.get(ip);
      if (other !== undefined) pair = [other, `s${i}`];
      else seen.set(ip, `s${i}`);
    }
    assert.ok(pair, 'some two names share a preferred address');
    const [first, second] = [...pair].sort();
    const both = serviceAddresses([{ namespace: 'default', name: second }, { namespace: 'default', name: first }]);
    assert.equal(both.get(`default/${first}`), one('default', first));
    assert.notEqual(both.get(`default/${second}`), both.get(`default/${first}`));
  });

  it('hosts lines name a Service bare only in the caller namespace', () => {
    const lines = hostsLines([{ namespace: 'shop', name: 'catalog' }, { namespace: 'ops', name: 'db' }], 'shop');
    assert.deepEqual(lines.map((l) => l.split(' ').slice(1)).sort(), [['catalog', 'catalog.shop', 'catalog.shop.svc.cluster.local'], ['db.ops', 'db.ops.svc.cluster.local']]);
    assert.equal(lines.find((l) => l.includes('catalog'))!.split(' ')[0], one('shop', 'catalog'));
  });
});
