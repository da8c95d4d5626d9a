// `weft get [kind]`: the stored objects and where each came from (a file and line, or the API).
import path from 'node:path';
import type { ObjectRow } from '../../api/control-api.js';
import { json, table, type Output } from './table.js';

/**
 * "file:/abs/mesh.yaml:12" -> "mesh.yaml:12" relative to `cwd` (the absolute path when that is shorter,
 * e.g. far outside the cwd); "api" stays "api"; anything else as sent.
 */
export function sourceLabel(source: string, cwd: string): string {
  const m = /^file:(.*?)(?::(\d+))?$/.exec(source);
  if (!m) return source;
  const rel = path.isAbsolute(m[1]) ? [path.relative(cwd, m[1]) || path.basename(m[1]), m[1]].sort((a, b) => a.length - b.length)[0] : m[1];
  return m[2] ? `${rel}:${m[2]}` : rel;
}

export function renderObjects(rows: ObjectRow[], o: { kind?: string; cwd: string; output: Output }): string {
  if (o.output === 'json') return json(rows);
  if (rows.length === 0) return o.kind ? `no ${o.kind} objects\n` : 'no objects\n';
  const sorted = [...rows].sort((a, b) => a.kind.localeCompare(b.kind) || (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') || a.metadata.name.localeCompare(b.metadata.name));
  // Secrets: their type and keys, which is all the control API sends of them.
  if (o.kind === 'Secret') {
    const rowsOut = [['NAMESPACE', 'NAME', 'TYPE', 'KEYS', 'SOURCE']];
    for (const r of sorted) rowsOut.push([r.metadata.namespace ?? '-', r.metadata.name, r.type ?? '-', (r.keys ?? []).join(',') || '-', sourceLabel(r.source, o.cwd)]);
    return table(rowsOut);
  }
  const out = [['KIND', 'NAMESPACE', 'NAME', 'SOURCE']];
  for (const r of sorted) out.push([r.kind, r.metadata.namespace ?? '-', r.metadata.name, sourceLabel(r.source, o.cwd)]);
  return table(out);
}
