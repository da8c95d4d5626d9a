// Text helpers every renderer shares: aligned columns and JSON as the CLI prints it.

export type Output = 'table' | 'json';

/** Columns padded to the widest cell; the last column is not padded (no trailing spaces). */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n') + '\n';
}

export function json(v: unknown): string {
  return JSON.stringify(v, null, 2) + '\n';
}

/** "1 object", "2 objects". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
