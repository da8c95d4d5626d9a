// A small parser for the Prometheus text exposition format 0.0.4, enough for the families the control plane
// aggregates: `name{label="value",...} value [timestamp]`, comments and blank lines skipped.
// Label values unescape \\, \" and \n in one pass (so `C:\\new` stays a backslash and an "n"); the value is
// a Go-style float (NaN, +Inf, -Inf included); an optional integer timestamp (ms) after it is read, not
// mistaken for the value.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** The sample's own timestamp (ms since the epoch), when the exposition gave one. */
  timestamp?: number;
}

const isBlank = (c: string) => c === ' ' || c === '\t';

export function parsePrometheus(text: string, keep: (name: string) => boolean): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    let i = 0;
    while (i < line.length && isBlank(line[i])) i++;
    if (i === line.length || line[i] === '#') continue;
    const nameStart = i;
    while (i < line.length && line[i] !== '{' && !isBlank(line[i])) i++;
    const name = line.slice(nameStart, i);
    if (!keep(name)) continue;
    while (i < line.length && isBlank(line[i])) i++;
    const labels: Record<string, string> = {};
    if (line[i] === '{') {
      const end = parseLabels(line, i + 1, labels);
      if (end < 0) continue; // malformed: skip the line rather than guess
      i = end;
    }
    const rest = line.slice(i).trim().split(/[ \t]+/);
    if (rest.length < 1 || rest.length > 2 || rest[0] === '') continue;
    const value = parseValue(rest[0]);
    if (value === undefined) continue;
    const sample: Sample = { name, labels, value };
    if (rest.length === 2) {
      const ts = Number(rest[1]);
      if (!Number.isInteger(ts)) continue;
      sample.timestamp = ts;
    }
    out.push(sample);
  }
  return out;
}

/** Reads `label="value",...}` from `from`; returns the index after the closing brace, or -1. */
function parseLabels(line: string, from: number, labels: Record<string, string>): number {
  let i = from;
  for (;;) {
    while (i < line.length && (isBlank(line[i]) || line[i] === ',')) i++;
    if (line[i] === '}') return i + 1;
    const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i, i + 256));
    if (m === null) return -1;
    const label = m[0];
    i += label.length;
    while (i < line.length && isBlank(line[i])) i++;
    if (line[i] !== '=') return -1;
    i++;
    while (i < line.length && isBlank(line[i])) i++;
    if (line[i] !== '"') return -1;
    i++;
    let value = '';
    for (;;) {
      if (i >= line.length) return -1;
      const c = line[i];
      if (c === '"') break;
      if (c === '\\' && i + 1 < line.length) {
        const e = line[i + 1];
        value += e === 'n' ? '\n' : e === '\\' ? '\\' : e === '"' ? '"' : `\\${e}`;
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    labels[label] = value;
    i++;
  }
}

function parseValue(s: string): number | undefined {
  switch (s) {
    case 'NaN': return NaN;
    case '+Inf': case 'Inf': return Infinity;
    case '-Inf': return -Infinity;
  }
  const v = Number(s);
  return Number.isNaN(v) ? undefined : v;
}
