// `weft edges`: who calls whom, by verified identity, and whether over mTLS.
import type { EdgeRow } from '../../api/control-api.js';
import { json, table, type Output } from './table.js';

export function renderEdges(rows: EdgeRow[], o: { window: string; output: Output }): string {
  if (o.output === 'json') return json(rows);
  if (rows.length === 0) return `no traffic in the last ${o.window}\n`;
  const out = [['SOURCE', 'DESTINATION', 'MTLS', 'REQUESTS']];
  for (const r of rows) out.push([r.source === 'unknown' ? '(plaintext, unverified)' : r.source, `${r.destination}.${r.destinationNamespace}`, r.tls ? 'yes' : 'NO', String(Math.round(r.requests))]);
  return table(out);
}
