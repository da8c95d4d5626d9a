// Load balancers behind one interface. A balancer is built once per cluster per snapshot and only picks per
// request; what it learns about endpoints (requests in flight, response times, age) lives in a LoadTracker
// that outlives snapshots. Every implementation passes the shared contract in contract.ts.
//   ROUND_ROBIN    in turn, from a random start
//   LEAST_REQUEST  power of two choices: the one of two random endpoints with fewer requests in flight
//   EWMA           power of two choices on peak-EWMA cost (latency x (in flight + 1)): Linkerd's; the default
//   RING_HASH      consistent hashing on a ring (Karger's, as Envoy's ring_hash), ringSize points per endpoint
//   MAGLEV         consistent hashing with Maglev's lookup table (Envoy's maglev)
// Slow start: a new endpoint's weight ramps from minWeight to 1 over the window (Envoy's slow start).
import type { EndpointSnap } from '../../api/snapshot.js';
import type { HashOnSnap, LoadBalancerSnap } from '../../api/traffic.js';
import { type LoadTracker, type EndpointLoad } from './load.js';
import { Maglev, Ring } from './hash.js';

export interface Balancer {
  /** An endpoint for the next request, or undefined when none is ready. `hash` keys the hashing balancers. */
  pick(hash?: number): EndpointSnap | undefined;
  /** Ready endpoints it chooses among. */
  readonly size: number;
  /** The load tracker the balance layer reports requests and response times to (the P2C balancers). */
  readonly load?: LoadTracker;
  /** What the hashing balancers hash (the balance layer computes the key from the request). */
  readonly hashOn?: HashOnSnap;
}

export type BalancerFactory = (endpoints: readonly EndpointSnap[]) => Balancer;

export type { SlowStart } from '../../api/traffic.js';
import type { SlowStart } from '../../api/traffic.js';

/** Slow-start weight of an endpoint first seen at `since`, 0 < w <= 1. */
export function slowStartWeight(s: SlowStart | undefined, since: number, now: number): number {
  if (s === undefined || s.windowMs <= 0) return 1;
  const age = now - since;
  if (age >= s.windowMs) return 1;
  const f = Math.max(age, 0) / s.windowMs;
  return Math.max(s.minWeight, f ** (1 / s.aggression));
}

/** Round robin over ready endpoints; starts at a random offset so proxies do not all hit the first one. */
export const roundRobin: BalancerFactory = (endpoints) => makeRoundRobin(endpoints);

export function makeRoundRobin(endpoints: readonly EndpointSnap[], slow?: SlowStart, load?: LoadTracker, random: () => number = Math.random): Balancer {
  const ready = endpoints.filter((e) => e.ready);
  let i = Math.floor(random() * Math.max(ready.length, 1));
  return {
    size: ready.length,
    pick() {
      if (ready.length === 0) return undefined;
      // Slow start: an endpoint's turn is taken with probability its weight; a few turns at most.
      for (let tries = 0; tries < ready.length; tries++) {
        if (i >= ready.length) i = 0;
        const e = ready[i++]!;
        if (slow === undefined || load === undefined) return e;
        const w = slowStartWeight(slow, load.of(e).firstSeen, load.now());
        if (w >= 1 || random() < w) return e;
      }
      if (i >= ready.length) i = 0;
      return ready[i++];
    },
  };
}

/** Power of two choices on `cost` (lower wins), each cost divided by the endpoint's slow-start weight. */
function p2c(endpoints: readonly EndpointSnap[], load: LoadTracker, cost: (l: EndpointLoad) => number, slow: SlowStart | undefined, random: () => number): Balancer {
  const ready = endpoints.filter((e) => e.ready);
  const loads = ready.map((e) => load.of(e));
  const score = (k: number): number => {
    const l = loads[k]!;
    return cost(l) / slowStartWeight(slow, l.firstSeen, load.now());
  };
  return {
    size: ready.length,
    load,
    pick() {
      const n = ready.length;
      if (n === 0) return undefined;
      if (n === 1) return ready[0];
      const a = Math.floor(random() * n);
      let b = Math.floor(random() * (n - 1));
      if (b >= a) b++;
      const sa = score(a);
      const sb = score(b);
      // Ties (e.g. two idle endpoints) go either way, so neither of a pair is favoured.
      return ready[sa < sb || (sa === sb && random() < 0.5) ? a : b];
    },
  };
}

export function makeLeastRequest(endpoints: readonly EndpointSnap[], load: LoadTracker, slow?: SlowStart, random: () => number = Math.random): Balancer {
  return p2c(endpoints, load, (l) => l.inflight + 1, slow, random);
}

export function makeEwma(endpoints: readonly EndpointSnap[], load: LoadTracker, slow?: SlowStart, random: () => number = Math.random): Balancer {
  return p2c(endpoints, load, (l) => l.cost(load.now()), slow, random);
}

/** Consistent hashing; a request without a key (hash undefined) gets a random endpoint. */
function hashed(endpoints: readonly EndpointSnap[], table: { get(h: number): EndpointSnap | undefined }, hashOn: HashOnSnap | undefined, random: () => number): Balancer {
  const ready = endpoints.filter((e) => e.ready);
  return {
    size: ready.length,
    hashOn,
    pick(hash) {
      if (ready.length === 0) return undefined;
      if (hash === undefined) return ready[Math.floor(random() * ready.length)];
      return table.get(hash);
    },
  };
}

export function makeRingHash(endpoints: readonly EndpointSnap[], ringSize = 256, hashOn?: HashOnSnap, random: () => number = Math.random): Balancer {
  return hashed(endpoints, new Ring(endpoints.filter((e) => e.ready), ringSize), hashOn, random);
}

export function makeMaglev(endpoints: readonly EndpointSnap[], tableSize = 65537, hashOn?: HashOnSnap, random: () => number = Math.random): Balancer {
  return hashed(endpoints, new Maglev(endpoints.filter((e) => e.ready), tableSize), hashOn, random);
}

/** The balancer a cluster's policy asks for (EWMA when it names none). */
export function balancerFor(lb: LoadBalancerSnap | undefined, load: LoadTracker): BalancerFactory {
  const slow = lb?.slowStart;
  switch (lb?.type ?? 'EWMA') {
    case 'ROUND_ROBIN': return (eps) => makeRoundRobin(eps, slow, load);
    case 'LEAST_REQUEST': return (eps) => makeLeastRequest(eps, load, slow);
    case 'RING_HASH': return (eps) => makeRingHash(eps, lb?.ringSize, lb?.hashOn);
    case 'MAGLEV': return (eps) => makeMaglev(eps, lb?.tableSize, lb?.hashOn);
    default: return (eps) => makeEwma(eps, load, slow);
  }
}
