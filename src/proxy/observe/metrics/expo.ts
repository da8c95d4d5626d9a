// Prometheus text exposition format 0.0.4: the few rules we need to write it correctly.
// https://prometheus.io/docs/instrumenting/exposition_formats/

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const NEEDS_ESCAPE = /[\\"\n]/;

export function isMetricName(s: string): boolean {
  return METRIC_NAME.test(s);
}

/** Names starting with "__" are reserved for Prometheus itself. */
export function isLabelName(s: string): boolean {
  return LABEL_NAME.test(s) && !s.startsWith('__');
}

/** Label values escape backslash, double quote and newline. */
export function escapeLabelValue(v: string): string {
  if (!NEEDS_ESCAPE.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and newline only. */
export function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(n: number): string {
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  if (Number.isNaN(n)) return 'NaN';
  return String(n);
}

/** `a="x",b="y"` (no braces), names in the order given; callers sort them for a stable identity. */
export function labelString(names: readonly string[], values: readonly string[]): string {
  let s = '';
  for (let i = 0; i < names.length; i++) {
    if (i > 0) s += ',';
    s += `${names[i]}="${escapeLabelValue(values[i]!)}"`;
  }
  return s;
}

/** `name{labels} value` or `name value` when there are no labels. */
export function sample(name: string, labels: string, value: number): string {
  return labels === '' ? `${name} ${formatValue(value)}\n` : `${name}{${labels}} ${formatValue(value)}\n`;
}

export function header(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
}
