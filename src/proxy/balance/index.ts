// Load balancers behind one interface. A balancer is built once per cluster per snapshot and only
// picks per request; every implementation passes the shared contract in contract.ts.
import type { EndpointSnap } from '../../api/snapshot.js';

export interface Balancer {
  /** An endpoint to send the next request to, or undefined when none is ready. */
  pick(): EndpointSnap | undefined;
  /** Ready endpoints it chooses among. */
  readonly size: number;
}

export type BalancerFactory = (endpoints: readonly EndpointSnap[]) => Balancer;

/** Round robin over ready endpoints; starts at a random offset so proxies do not all hit the first one. */
export const roundRobin: BalancerFactory = (endpoints) => {
  const ready = endpoints.filter((e) => e.ready);
  let i = Math.floor(Math.random() * Math.max(ready.length, 1));
  return {
    size: ready.length,
    pick() {
      if (ready.length === 0) return undefined;
      if (i >= ready.length) i = 0;
      return ready[i++];
    },
  };
};
