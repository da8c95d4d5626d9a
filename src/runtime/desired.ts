// What the runtime compares to decide whether a running replica still matches its Workload: pure
// functions over plain objects, so the rules are tested without starting anything.
import type { Workload } from '../api/types.js';

/** The fields whose change replaces replicas (replicas itself only scales). */
export const REPLACING_FIELDS = ['command', 'args', 'env', 'cwd', 'port', 'readinessProbe', 'serviceAccount', 'labels'] as const;
export type ReplacingField = (typeof REPLACING_FIELDS)[number];

function field(w: Workload, f: ReplacingField): unknown {
  return f === 'labels' ? w.metadata.labels ?? {} : (w.spec as unknown as Record<string, unknown>)[f];
}

/** JSON with object keys sorted, so two equal specs compare equal whatever order they were written in. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** A replica's template: what it was started from, minus the replica count. */
export function templateOf(w: Workload): string {
  return canonical(Object.fromEntries(REPLACING_FIELDS.map((f) => [f, field(w, f)])));
}

/** Which of the replacing fields differ between what runs and what is wanted. */
export function specChanges(running: Workload, wanted: Workload): ReplacingField[] {
  return REPLACING_FIELDS.filter((f) => canonical(field(running, f)) !== canonical(field(wanted, f)));
}

/** The lowest replica index of `workload` that no running replica uses (names are `<workload>-<index>`). */
export function nextIndex(workload: string, taken: Iterable<string>): number {
  const used = new Set<number>();
  const prefix = `${workload}-`;
  for (const n of taken) {
    if (!n.startsWith(prefix)) continue;
    const rest = n.slice(prefix.length);
    if (/^\d+$/.test(rest)) used.add(Number(rest));
  }
  let i = 0;
  while (used.has(i)) i++;
  return i;
}

export interface ReplicaView {
  name: string;
  index: number;
  outdated: boolean;
  ready: boolean;
}

/** Which replicas go when scaling down: outdated ones first, then those not ready, then the highest index. */
export function scaleDownVictims(rs: ReplicaView[], want: number): ReplicaView[] {
  const n = rs.length - want;
  if (n <= 0) return [];
  return [...rs].sort((a, b) => Number(b.outdated) - Number(a.outdated) || Number(a.ready) - Number(b.ready) || b.index - a.index).slice(0, n);
}
