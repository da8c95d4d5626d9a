import type { Command } from 'commander';
import { call } from '../control/client.js';
import type { ObjectRow } from '../api/control-api.js';
import { KINDS } from '../api/schemas.js';
import { closest } from '../api/suggest.js';
import { out, outputArg, target, UsageError, withControl, type ControlOpts } from './common.js';
import { renderObjects } from './render/get.js';

/** "httproutes", "HTTPRoute", "httproute" -> "HTTPRoute"; an unknown kind is a usage error with a suggestion. */
export function kindArg(v: string): string {
  const lower = v.toLowerCase();
  const k = KINDS.find((x) => x.kind.toLowerCase() === lower || `${x.kind.toLowerCase()}s` === lower || (lower.endsWith('ies') && x.kind.toLowerCase() === `${lower.slice(0, -3)}y`));
  if (k) return k.kind;
  const near = closest(v, KINDS.map((x) => x.kind));
  throw new UsageError(`unknown kind "${v}"${near ? ` (did you mean "${near}"?)` : ''}; kinds: ${KINDS.map((x) => x.kind).join(', ')}`);
}

export function registerGet(program: Command): void {
  withControl(program.command('get'))
    .argument('[kind]', `only objects of this kind (${KINDS.map((x) => x.kind).join(', ')}; any case, plural too)`)
    .description('the objects stored in the running mesh, and where each came from: a file and line, or `weft apply` (api)')
    .option('-o, --output <format>', 'table or json', outputArg, 'table')
    .action(async (kind: string | undefined, o: { output: 'json' | 'table' } & ControlOpts) => {
      const k = kind === undefined ? undefined : kindArg(kind);
      const rows = await call<ObjectRow[]>(target(o), 'GET', `/v1/objects${k ? `?kind=${encodeURIComponent(k)}` : ''}`);
      out(renderObjects(rows, { kind: k, cwd: process.cwd(), output: o.output }));
    });
}
