// A lookup tree keyed by several raw values, one Map level per value: a per-request lookup by a tuple of
// fields (metrics series, access-log fragments) without building a key string on the hot path.

export type KeyTree = Map<unknown, unknown>;

/** The child of `m` under `k`, made empty on first use. */
export function child(m: KeyTree, k: unknown): KeyTree {
  let c = m.get(k) as KeyTree | undefined;
  if (c === undefined) {
    c = new Map();
    m.set(k, c);
  }
  return c;
}
