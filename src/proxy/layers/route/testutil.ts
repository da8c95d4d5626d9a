// Builders for RouteEntry values in this folder's tests.
import type { BackendSnap, RouteEntry } from '../../../api/snapshot.js';
import type { HTTPRouteFilter, HTTPRouteMatch } from '../../../api/types.js';

export interface EntryOpts {
  route?: string;
  rule?: number;
  match?: number;
  created?: string;
  filters?: HTTPRouteFilter[];
  backends?: BackendSnap[];
}

export function entry(m: Partial<HTTPRouteMatch>, o: EntryOpts = {}): RouteEntry {
  return {
    route: o.route ?? 'default/r',
    rule: o.rule ?? 0,
    order: { created: o.created ?? '2024-01-01T00:00:00Z', match: o.match ?? 0 },
    match: { path: m.path ?? { type: 'PathPrefix', value: '/' }, headers: m.headers, queryParams: m.queryParams, method: m.method },
    filters: o.filters ?? [],
    backends: o.backends ?? [backend('svc.default:80')],
  };
}

export function backend(cluster: string | null, weight = 1, filters: HTTPRouteFilter[] = []): BackendSnap {
  return { cluster, ref: cluster ?? 'missing', weight, filters };
}

export const prefix = (value: string) => ({ type: 'PathPrefix' as const, value });
export const exact = (value: string) => ({ type: 'Exact' as const, value });
export const regex = (value: string) => ({ type: 'RegularExpression' as const, value });

/** Which entry won, as "<route>#<rule>.<match>". */
export function id(e: RouteEntry | undefined): string | undefined {
  return e === undefined ? undefined : `${e.route}#${e.rule}.${e.order.match}`;
}
