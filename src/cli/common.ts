// Helpers shared by CLI commands: option parsing that fails with a clear message, output, control lookup.
import { InvalidArgumentError, type Command } from 'commander';
import { findMesh, type ControlTarget } from '../control/discovery.js';
import { ControlError } from '../control/client.js';

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

/** Options every command that talks to the control plane takes. */
export interface ControlOpts {
  control?: string;
  mesh?: string;
}

export function withControl(cmd: Command): Command {
  return cmd
    .option('--control <url>', 'control plane API URL (default: $WEFT_CONTROL, else the mesh of the current directory, else the only running mesh)')
    .option('--mesh <name>', 'the running mesh to talk to: its Mesh name or its state dir (see `weft help` / docs/cli.md)');
}

/** The control plane to talk to; says on stderr which mesh it is when several run. */
export function target(opts: ControlOpts): ControlTarget {
  if (opts.control !== undefined && opts.mesh !== undefined) throw new UsageError('--control and --mesh both given: use one');
  const c = findMesh({ control: opts.control, mesh: opts.mesh });
  if (c.note) process.stderr.write(`weft: ${c.note}\n`);
  return c.target;
}

/** A mistake in how the command was called (exit code 2), as opposed to a failure doing it (1). */
export class UsageError extends Error {}

/** The one line a failed command prints after "weft: ", with the control plane's suggestion when it sent one. */
export function errorMessage(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (e instanceof ControlError) {
    const s = (e.body as { suggestion?: unknown } | undefined)?.suggestion;
    if (typeof s === 'string' && s !== '' && !msg.includes(s)) return /^\S+$/.test(s) ? `${msg} (did you mean "${s}"?)` : `${msg} (${s})`;
  }
  return msg;
}

export function fail(msg: string, code = 1): never {
  process.stderr.write(`weft: ${msg}\n`);
  process.exit(code);
}

/** Writes a command's rendered output. */
export function out(text: string): void {
  if (text !== '') process.stdout.write(text);
}

/** Aligned columns (kept here for commands that import it from common). */
export { table } from './render/table.js';
