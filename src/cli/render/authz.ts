// `weft authz explain`: the trace of which policy decides a request, and the result.
import { json, type Output } from './table.js';
import type { ExplainView } from '../../api/control-api.js';

export type { ExplainView };

export function renderExplain(r: ExplainView, output: Output): string {
  if (output === 'json') return json(r);
  return (r.lines.length > 0 ? r.lines.join('\n') + '\n' : '') + `result: ${r.allowed ? 'ALLOWED' : `DENIED (${r.status})`}\n`;
}
