// Helpers shared by CLI commands: option parsing that fails with a clear message, output, control lookup.
import { InvalidArgumentError, type Command } from 'commander';
import { findControl, type ControlTarget } from '../control/discovery.js';

export function intArg(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}, got "${v}"`);
    return n;
  };
}

export function outputArg(v: string): 'json' | 'table' {
  if (v !== 'json' && v !== 'table') throw new InvalidArgumentError(`output must be "json" or "table", got "${v}"`);
  return v;
}

export function withControl(cmd: Command): Command {
  return cmd.option('--control <url>', 'control plane API URL (default: $WEFT_CONTROL, else the running local mesh)');
}

export function target(opts: { control?: string }): ControlTarget {
  return findControl(opts.control);
}

export function fail(msg: string, code = 1): never {
  process.stderr.write(`weft: ${msg}\n`);
  process.exit(code);
}

export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n') + '\n';
}
