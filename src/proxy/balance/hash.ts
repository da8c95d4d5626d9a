// Consistent hashing: a request key (a header, a cookie, the source address) always lands on the same
// endpoint while the endpoints stay the same, and when one joins or leaves only the keys that must move do.
// RING_HASH (Karger et al., as Envoy's ring_hash) and MAGLEV (Eisenbud et al., as Envoy's maglev).
import type { EndpointSnap } from '../../api/snapshot.js';

/** 32-bit FNV-1a with a final avalanche (murmur3's fmix32), so nearby strings spread over the whole range. */
export function hash32(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const keyOf = (e: EndpointSnap) => `${e.address}:${e.port}`;

export class Ring {
  private readonly points: Uint32Array;
  private readonly owners: EndpointSnap[];

  /**
   * `per` points for each endpoint. A fixed number per endpoint (not a total shared out) is what keeps the
   * ring stable: when an endpoint joins, the others' points stay exactly where they were, so the only keys
   * that move are the ones the newcomer's points take.
   */
  constructor(endpoints: readonly EndpointSnap[], per: number) {
    const all: [number, EndpointSnap][] = [];
    for (const e of endpoints) for (let i = 0; i < per; i++) all.push([hash32(`${keyOf(e)}_${i}`), e]);
    all.sort((a, b) => a[0] - b[0] || (keyOf(a[1]) < keyOf(b[1]) ? -1 : 1));
    this.points = Uint32Array.from(all.map((p) => p[0]));
    this.owners = all.map((p) => p[1]);
  }

  /** The endpoint owning the first point at or after `h` (wrapping). */
  get(h: number): EndpointSnap | undefined {
    const pts = this.points;
    if (pts.length === 0) return undefined;
    let lo = 0;
    let hi = pts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pts[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    return this.owners[lo === pts.length ? 0 : lo];
  }
}

export class Maglev {
  private readonly table: Int32Array;
  private readonly endpoints: EndpointSnap[];

  /** `size` must be prime (65537 by default, as Envoy's). */
  constructor(endpoints: readonly EndpointSnap[], size: number) {
    // Sorted by key so the table depends on the set of endpoints, not their order in the snapshot.
    const eps = [...endpoints].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1));
    this.endpoints = eps;
    const n = eps.length;
    this.table = new Int32Array(size).fill(-1);
    if (n === 0) return;
    const offset = eps.map((e) => hash32(keyOf(e), 0x9747b28c) % size);
    const skip = eps.map((e) => (hash32(keyOf(e), 0x5bd1e995) % (size - 1)) + 1);
    const next = new Array<number>(n).fill(0);
    let filled = 0;
    for (;;) {
      for (let i = 0; i < n; i++) {
        let c = (offset[i]! + next[i]! * skip[i]!) % size;
        while (this.table[c] !== -1) {
          next[i]!++;
          c = (offset[i]! + next[i]! * skip[i]!) % size;
        }
        this.table[c] = i;
        next[i]!++;
        if (++filled === size) return;
      }
    }
  }

  get(h: number): EndpointSnap | undefined {
    if (this.endpoints.length === 0) return undefined;
    return this.endpoints[this.table[h % this.table.length]!];
  }
}
