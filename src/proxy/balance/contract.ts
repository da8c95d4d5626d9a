// The behaviour every balancer must have; each implementation runs it from its own test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSnap } from '../../api/snapshot.js';
import type { BalancerFactory } from './index.js';

const ep = (n: number, ready = true): EndpointSnap => ({ proxy: `w-${n}`, address: '127.0.0.1', port: 1000 + n, ready, labels: {}, workload: 'w', tls: 'plaintext' });

export function runBalancerContract(name: string, make: BalancerFactory): void {
  test(`${name}: no endpoints gives undefined`, () => {
    assert.equal(make([]).pick(), undefined);
  });
  test(`${name}: never picks an endpoint that is not ready`, () => {
    const b = make([ep(1, false), ep(2), ep(3, false)]);
    assert.equal(b.size, 1);
    for (let i = 0; i < 50; i++) assert.equal(b.pick()?.port, 1002);
  });
  test(`${name}: all-unready gives undefined`, () => {
    assert.equal(make([ep(1, false)]).pick(), undefined);
  });
  test(`${name}: spreads load over every ready endpoint`, () => {
    const b = make([ep(1), ep(2), ep(3)]);
    const seen = new Map<number, number>();
    for (let i = 0; i < 300; i++) { const p = b.pick()!.port; seen.set(p, (seen.get(p) ?? 0) + 1); }
    assert.equal(seen.size, 3);
    for (const n of seen.values()) assert.ok(n >= 50, `uneven spread ${[...seen.values()]}`);
  });
}
