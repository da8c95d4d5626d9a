// `weft stat`: golden signals per service or workload, with a service's backends indented under it.
import type { StatRow } from '../../api/control-api.js';
import { json, table, type Output } from './table.js';

const ms = (v: number | null) => (v === null ? '-' : v < 10 ? `${v.toFixed(2)}ms` : `${Math.round(v)}ms`);

function cells(r: StatRow, indent: string): string[] {
  return [indent + r.name, r.namespace, r.successRate === null ? '-' : `${(r.successRate * 100).toFixed(2)}%`, r.rps.toFixed(1), ms(r.p50), ms(r.p95), ms(r.p99), String(Math.round(r.requests))];
}

export function renderStat(rows: StatRow[], o: { by: 'service' | 'workload'; window: string; output: Output }): string {
  if (o.output === 'json') return json(rows);
  if (rows.length === 0) return `no traffic in the last ${o.window}\n`;
  const out = [[o.by.toUpperCase(), 'NAMESPACE', 'SUCCESS', 'RPS', 'P50', 'P95', 'P99', 'REQUESTS']];
  for (const r of rows) {
    out.push(cells(r, ''));
    // A service whose requests all went to itself (no split) has nothing to break down.
    const b = r.backends ?? [];
    const self = b.length === 1 && b[0].name === r.name && b[0].namespace === r.namespace;
    if (!self) for (const x of b) out.push(cells(x, '  '));
  }
  return table(out);
}
