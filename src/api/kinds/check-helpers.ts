// Helpers the kinds' cross-field rules share.
import type { PathSeg } from '../errors.js';
import type { Issue } from '../source.js';

/** Reports every entry after the first whose key equals an earlier one. */
export function unique<T>(items: readonly T[], keyOf: (t: T) => string | undefined, report: (i: number, first: number) => void): void {
  const seen = new Map<string, number>();
  items.forEach((t, i) => {
    const k = keyOf(t);
    if (k === undefined) return;
    const first = seen.get(k);
    if (first === undefined) seen.set(k, i);
    else report(i, first);
  });
}

export function notAnIP(path: PathSeg[]): Issue {
  return { path, code: 'invalid', message: 'must be a DNS name, not an IP address', hint: 'leave the hostname out to match any host' };
}
