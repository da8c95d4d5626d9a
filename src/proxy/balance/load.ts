// What balancers know about endpoints beyond the snapshot: requests in flight, a peak-sensitive moving
// average of response times, and when the endpoint was first seen (slow start). Kept per address:port by
// the proxy across snapshots, so a config push neither forgets a slow endpoint nor restarts slow start.

/** Linkerd's defaults: an endpoint with no sample yet is assumed to answer in 30 ms; samples decay over 10 s. */
export const DEFAULT_RTT_MS = 30;
export const DECAY_MS = 10_000;

export class EndpointLoad {
  inflight = 0;
  /** Peak EWMA of time to the response head, ms; DEFAULT_RTT_MS until the first sample. */
  ewma = DEFAULT_RTT_MS;
  private stamp = -1;

  constructor(readonly firstSeen: number, readonly now: () => number = () => performance.now()) {}

  /** A request to this endpoint starts; returns the start time to hand to done(). */
  start(): number {
    this.inflight++;
    return this.now();
  }

  /**
   * It ended: `headMs` is its time to the response head, or undefined when it failed. A failed attempt
   * counts as slow (5x the endpoint's average at least), so a replica that fails fast does not draw
   * traffic by looking quick; removing it for good is outlier detection's job.
   */
  done(startedAt: number, headMs: number | undefined): void {
    this.inflight--;
    const now = this.now();
    this.sample(headMs === undefined ? Math.max(now - startedAt, 5 * this.latency(now)) : headMs, now);
  }

  /** A response (head) after `rttMs`: a slower one counts at once (peak), a faster one decays in. */
  sample(rttMs: number, now: number): void {
    const cur = this.latency(now);
    if (this.stamp < 0 || rttMs > cur) this.ewma = rttMs;
    else {
      const w = Math.exp(-(now - this.stamp) / DECAY_MS);
      this.ewma = cur * w + rttMs * (1 - w);
    }
    this.stamp = now;
  }

  /**
   * The average as of `now`: it decays towards 0 while the endpoint gets no requests (as Finagle's peak EWMA
   * does), so an endpoint passed over for being slow is tried again now and then and can show it recovered.
   */
  latency(now: number): number {
    if (this.stamp < 0) return this.ewma;
    return this.ewma * Math.exp(-(now - this.stamp) / DECAY_MS);
  }

  /** Peak EWMA cost: expected wait for one more request (Finagle's and Linkerd's balancer). */
  cost(now: number): number {
    return this.latency(now) * (this.inflight + 1);
  }
}

export class LoadTracker {
  private readonly byKey = new Map<string, EndpointLoad>();
  /** Per snapshot endpoint object, so a pick does not build its address:port string each time. */
  private readonly cache = new WeakMap<object, EndpointLoad>();
  constructor(readonly now: () => number = () => performance.now()) {}

  of(ep: { address: string; port: number }): EndpointLoad {
    let l = this.cache.get(ep);
    if (l !== undefined) return l;
    const k = `${ep.address}:${ep.port}`;
    l = this.byKey.get(k);
    if (l === undefined) this.byKey.set(k, (l = new EndpointLoad(this.now(), this.now)));
    this.cache.set(ep, l);
    return l;
  }

  /** Forgets endpoints that are no longer in any cluster. */
  retain(keys: ReadonlySet<string>): void {
    for (const k of this.byKey.keys()) if (!keys.has(k)) this.byKey.delete(k);
  }
}
