// Weighted backend choice for a rule's backendRefs (Gateway API "weight"; canary splits).
// Cumulative weights are computed once when config arrives; pick() is a scan or binary search with no allocation.

/** Below this many choices a linear scan beats binary search (fewer branches, same cache line). */
const LINEAR_MAX = 8;

export class WeightedPicker<T> {
  /** Only the choices with weight > 0, in config order. */
  readonly items: readonly T[];
  /** cumulative[i] = sum of the weights of items[0..i]. */
  private readonly cumulative: Float64Array;
  readonly total: number;

  constructor(items: readonly T[], weightOf: (item: T) => number) {
    const kept: T[] = [];
    const cum: number[] = [];
    let total = 0;
    for (const item of items) {
      const w = weightOf(item);
      // Weight 0 means "never chosen" (spec); negative or NaN is treated the same rather than corrupting the sums.
      if (!(w > 0) || !Number.isFinite(w)) continue;
      total += w;
      kept.push(item);
      cum.push(total);
    }
    this.items = kept;
    this.cumulative = Float64Array.from(cum);
    this.total = total;
  }

  /**
   * Chooses one item with probability weight/total. `rand` is uniform in [0, 1) (Math.random() or a seeded PRNG).
   * Undefined when there is nothing to choose: no items, or every weight is 0 (the caller answers 500).
   */
  pick(rand: number): T | undefined {
    const items = this.items;
    const n = items.length;
    if (n <= 1) return items[0];
    const cum = this.cumulative;
    const x = rand * this.total;
    if (n <= LINEAR_MAX) {
      for (let i = 0; i < n - 1; i++) if (x < cum[i]!) return items[i];
      return items[n - 1];
    }
    // Smallest i with x < cum[i]; rounding that puts x at or past the total lands on the last item.
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (x < cum[mid]!) hi = mid;
      else lo = mid + 1;
    }
    return items[lo];
  }
}

/** A picker over anything with a `weight` (BackendSnap, or the route's compiled backends). */
export function compileSplit<T extends { readonly weight: number }>(items: readonly T[]): WeightedPicker<T> {
  return new WeightedPicker(items, (b) => b.weight);
}
