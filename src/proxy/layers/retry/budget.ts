// The retry budget of one destination Service, per proxy: retries may add at most `retryRatio` of the
// requests of the last 10 s plus `minRetriesPerSecond` (Linkerd's budget), with at most `maxRetries` in
// flight (Envoy's max_retries). Ten one-second buckets: constant memory, constant time per call.
import type { RetryBudgetSnap } from '../../../api/traffic.js';

const BUCKETS = 10;
const BUCKET_MS = 1000;

export class RetryBudget {
  private readonly requests = new Float64Array(BUCKETS);
  private readonly retries = new Float64Array(BUCKETS);
  /** The bucket index of `at` below, as a count of whole seconds. */
  private second = -1;
  /** When this budget was first used. */
  private firstMs = -1;
  private inFlight = 0;
  /** Counters for metrics: retries sent, retries refused by the budget. */
  attempted = 0;
  exhausted = 0;

  constructor(public params: RetryBudgetSnap, private readonly now: () => number = () => performance.now()) {}

  /** An original request to the service (retries excluded). */
  request(): void {
    this.requests[this.advance()]++;
  }

  /** Takes one retry from the budget if there is one; every true must be followed by done(). */
  tryRetry(): boolean {
    const i = this.advance();
    const p = this.params;
    if (this.inFlight >= p.maxRetries) {
      this.exhausted++;
      return false;
    }
    let reqs = 0;
    let rets = 0;
    for (let b = 0; b < BUCKETS; b++) {
      reqs += this.requests[b]!;
      rets += this.retries[b]!;
    }
    // The reserve grows a second at a time up to the window, so even the first seconds of a storm stay
    // within (1 + retryRatio) x requests + minRetriesPerSecond per second.
    const seconds = Math.min(BUCKETS, (this.now() - this.firstMs) / BUCKET_MS + 1);
    if (rets + 1 > p.retryRatio * reqs + p.minRetriesPerSecond * seconds) {
      this.exhausted++;
      return false;
    }
    this.retries[i]++;
    this.inFlight++;
    this.attempted++;
    return true;
  }

  /** A retry taken with tryRetry() finished (whatever its outcome). */
  done(): void {
    if (this.inFlight > 0) this.inFlight--;
  }

  get retriesInFlight(): number {
    return this.inFlight;
  }

  /** Moves to the current second, clearing the buckets of seconds that passed; returns its index. */
  private advance(): number {
    const s = Math.floor(this.now() / BUCKET_MS);
    if (s !== this.second) {
      const gap = this.second < 0 ? BUCKETS : Math.min(BUCKETS, s - this.second);
      for (let k = 1; k <= gap; k++) {
        const i = (this.second + k) % BUCKETS;
        this.requests[i] = 0;
        this.retries[i] = 0;
      }
      this.second = s;
      if (this.firstMs < 0) this.firstMs = this.now();
    }
    return s % BUCKETS;
  }
}

/** One budget per destination cluster; budgets outlive snapshots so a config push does not refill them. */
export class RetryBudgets {
  private readonly byCluster = new Map<string, RetryBudget>();

  get(cluster: string, params: RetryBudgetSnap): RetryBudget {
    let b = this.byCluster.get(cluster);
    if (b === undefined) this.byCluster.set(cluster, (b = new RetryBudget(params)));
    else if (b.params !== params) b.params = params;
    return b;
  }

  entries(): IterableIterator<[string, RetryBudget]> {
    return this.byCluster.entries();
  }
}
