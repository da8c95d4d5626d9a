import { test } from 'node:test';
import assert from 'node:assert/strict';
import { roundRobin } from './index.js';
import { runBalancerContract } from './contract.js';

runBalancerContract('roundRobin', roundRobin);

test('roundRobin cycles in order', () => {
  const eps = [1, 2, 3].map((n) => ({ proxy: `p${n}`, address: '127.0.0.1', port: n, ready: true, labels: {}, workload: 'w', tls: 'plaintext' as const }));
  const b = roundRobin(eps);
  const first = b.pick()!.port;
  const next = [b.pick()!.port, b.pick()!.port, b.pick()!.port];
  assert.deepEqual(next, [first % 3 + 1, (first + 1) % 3 + 1, first]);
});
