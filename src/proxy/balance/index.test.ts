import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { balancerFor, makeEwma, makeLeastRequest, makeMaglev, makeRingHash, makeRoundRobin, roundRobin, slowStartWeight } from './index.js';
import { runBalancerContract } from './contract.js';
import { LoadTracker } from './load.js';
import { hash32 } from './hash.js';
import { seeded as prng } from '../../util/prng.js';
import type { EndpointSnap } from '../../api/snapshot.js';

const ep = (n: number, ready = true): EndpointSnap => ({ proxy: `p${n}`, address: '127.0.0.1', port: 1000 + n, ready, labels: {}, workload: 'w', tls: 'plaintext' });

runBalancerContract('ROUND_ROBIN', roundRobin);
runBalancerContract('LEAST_REQUEST', (eps) => makeLeastRequest(eps, new LoadTracker()));
runBalancerContract('EWMA', (eps) => makeEwma(eps, new LoadTracker()));
runBalancerContract('RING_HASH (no key: random)', (eps) => makeRingHash(eps));
runBalancerContract('MAGLEV (no key: random)', (eps) => makeMaglev(eps, 257));
runBalancerContract('the default (balancerFor with no policy)', balancerFor(undefined, new LoadTracker()));

test('roundRobin cycles in order', () => {
  const b = roundRobin([1, 2, 3].map((n) => ep(n)));
  const first = b.pick()!.port;
  const next = [b.pick()!.port, b.pick()!.port, b.pick()!.port];
  const f = first - 1000;
  assert.deepEqual(next, [1000 + (f % 3) + 1, 1000 + ((f + 1) % 3) + 1, first]);
});

/**
 * A discrete-event run: requests arrive every `gapMs`, each takes its endpoint's latency, and the balancer
 * is told when each starts and ends (as the balance layer does). Returns how many each endpoint got.
 */
function simulate(make: (eps: EndpointSnap[], load: LoadTracker) => ReturnType<typeof makeEwma>, latency: (port: number) => number, n: number, gapMs: number): Map<number, number> {
  let now = 0;
  const load = new LoadTracker(() => now);
  const eps = [ep(1), ep(2), ep(3)];
  const b = make(eps, load);
  const pending: { at: number; port: number; start: number }[] = [];
  const got = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    now = i * gapMs;
    pending.sort((x, y) => x.at - y.at);
    while (pending.length > 0 && pending[0]!.at <= now) {
      const d = pending.shift()!;
      const l = load.of(eps.find((e) => e.port === d.port)!);
      l.inflight--;
      l.sample(d.at - d.start, d.at);
    }
    const e = b.pick()!;
    got.set(e.port, (got.get(e.port) ?? 0) + 1);
    load.of(e).inflight++;
    pending.push({ at: now + latency(e.port), port: e.port, start: now });
  }
  return got;
}

describe('EWMA', () => {
  it('of three replicas where one answers 50 ms slower, sends it under 20 % of requests', () => {
    const r = prng(7);
    const got = simulate((eps, load) => makeEwma(eps, load, undefined, r), (port) => (port === 1003 ? 55 : 5) + r() * 2, 3000, 4);
    const slow = (got.get(1003) ?? 0) / 3000;
    assert.ok(slow < 0.2, `the slow replica got ${(slow * 100).toFixed(1)} %`);
    assert.ok(slow > 0, 'it is still tried now and then (its cost decays), so a recovery would be seen');
  });

  it('round robin, for comparison, gives the slow replica a third', () => {
    const got = simulate((eps) => makeRoundRobin(eps), (port) => (port === 1003 ? 55 : 5), 3000, 4);
    assert.ok(Math.abs((got.get(1003) ?? 0) / 3000 - 1 / 3) < 0.01);
  });

  it('a replica that got slow and recovered gets its share back', () => {
    let now = 0;
    const load = new LoadTracker(() => now);
    const eps = [ep(1), ep(2)];
    const b = makeEwma(eps, load, undefined, prng(3));
    load.of(eps[0]!).sample(500, 0);
    load.of(eps[1]!).sample(5, 0);
    now = 1;
    const early = Array.from({ length: 100 }, () => b.pick()!.port).filter((p) => p === 1001).length;
    assert.equal(early, 0, 'a 500 ms replica is avoided');
    now = 60_000; // a minute later its old samples have decayed below the other's
    load.of(eps[1]!).sample(5, now);
    assert.equal(b.pick()!.port, 1001);
  });
});

describe('LEAST_REQUEST', () => {
  it('prefers the endpoint with fewer requests in flight', () => {
    const load = new LoadTracker();
    const eps = [ep(1), ep(2)];
    load.of(eps[0]!).inflight = 10;
    const b = makeLeastRequest(eps, load);
    for (let i = 0; i < 50; i++) assert.equal(b.pick()!.port, 1002);
  });
});

describe('consistent hashing', () => {
  const keys = Array.from({ length: 10_000 }, (_, i) => hash32(`user-${i}`));
  for (const [name, make] of [['RING_HASH', (eps: EndpointSnap[]) => makeRingHash(eps, 256)], ['MAGLEV', (eps: EndpointSnap[]) => makeMaglev(eps, 65537)]] as const) {
    it(`${name}: a key stays put; a fourth endpoint takes about a quarter, and >= 95 % of keys stay where they were or move to it; they move back when it leaves`, () => {
      const three = make([ep(1), ep(2), ep(3)]);
      const before = keys.map((k) => three.pick(k)!.port);
      assert.deepEqual(keys.slice(0, 50).map((k) => three.pick(k)!.port), before.slice(0, 50), 'the same key, the same endpoint');
      for (const p of [1001, 1002, 1003]) {
        const share = before.filter((x) => x === p).length / keys.length;
        assert.ok(share > 0.25 && share < 0.42, `${name} ${p} holds ${(share * 100).toFixed(1)} %`);
      }
      const four = make([ep(1), ep(2), ep(3), ep(4)]);
      const after = keys.map((k) => four.pick(k)!.port);
      const toNew = after.filter((p) => p === 1004).length / keys.length;
      const stayedOrNew = after.filter((p, i) => p === before[i] || p === 1004).length / keys.length;
      assert.ok(toNew > 0.15 && toNew < 0.35, `the new endpoint took ${(toNew * 100).toFixed(1)} %`);
      assert.ok(stayedOrNew >= 0.95, `only ${(stayedOrNew * 100).toFixed(1)} % stayed or moved to the new endpoint`);
      const back = make([ep(3), ep(1), ep(2)]); // the same set in another order
      assert.deepEqual(keys.map((k) => back.pick(k)!.port), before, 'when it leaves, every key is back where it was');
    });
  }
});

describe('slow start', () => {
  const s = { windowMs: 10_000, aggression: 1, minWeight: 0.1 };
  it('ramps a new endpoint from minWeight to full over the window', () => {
    assert.equal(slowStartWeight(s, 0, 0), 0.1);
    assert.equal(slowStartWeight(s, 0, 5_000), 0.5);
    assert.equal(slowStartWeight(s, 0, 10_000), 1);
    assert.equal(slowStartWeight(undefined, 0, 0), 1);
    assert.ok(slowStartWeight({ ...s, aggression: 2 }, 0, 2_500) > 0.25, 'aggression > 1 ramps faster at first');
  });

  it('a new endpoint gets a small share at first, then its full share (EWMA and ROUND_ROBIN)', () => {
    for (const kind of ['EWMA', 'ROUND_ROBIN'] as const) {
      let now = 100_000;
      const load = new LoadTracker(() => now);
      const old = [ep(1), ep(2)];
      for (const e of old) load.of(e); // seen long ago
      now = 200_000;
      const eps = [...old, ep(3)];
      const b = balancerFor({ type: kind, slowStart: s }, load)(eps);
      const share = () => Array.from({ length: 3000 }, () => b.pick()!.port).filter((p) => p === 1003).length / 3000;
      const first = share();
      now += 20_000;
      const later = share();
      assert.ok(first < 0.15, `${kind}: a brand-new endpoint took ${(first * 100).toFixed(1)} %`);
      assert.ok(later > 0.25, `${kind}: after the window it took ${(later * 100).toFixed(1)} %`);
    }
  });
});
