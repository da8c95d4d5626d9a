// `weft check`: results by category, each PASS/WARN/FAIL, with the hint of what to do when not PASS.
import type { CheckResult } from '../../api/control-api.js';
import { json, plural, type Output } from './table.js';

export function renderCheck(results: CheckResult[], output: Output): string {
  if (output === 'json') return json(results);
  if (results.length === 0) return 'no checks ran\n';
  let out = '';
  let cat = '';
  for (const r of results) {
    if (r.category !== cat) out += `${(cat = r.category)}\n`;
    out += `  [${r.status}] ${r.check}: ${r.message}\n`;
    if (r.hint && r.status !== 'PASS') out += `         hint: ${r.hint}\n`;
  }
  const n = (s: string) => results.filter((r) => r.status === s).length;
  out += `\n${n('PASS')} passed, ${plural(n('WARN'), 'warning')}, ${n('FAIL')} failed\n`;
  return out;
}
