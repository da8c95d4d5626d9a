// `weft validate`: every error with file:line:column and field path, or how many objects are valid.
import { json, plural, type Output } from './table.js';

export interface ValidateView { files: string[]; objects: number; errors: string[] }

/** stdout and stderr: errors go to stderr in the table form so a pipe of stdout stays clean. */
export function renderValidate(v: ValidateView, output: Output): { stdout: string; stderr: string } {
  if (output === 'json') return { stdout: json({ valid: v.errors.length === 0, files: v.files, objects: v.objects, errors: v.errors }), stderr: '' };
  if (v.errors.length > 0) {
    return { stdout: '', stderr: v.errors.map((e) => `${e}\n`).join('') + `${plural(v.errors.length, 'error')}; nothing is valid until all are fixed\n` };
  }
  return { stdout: `${v.files.join(', ')}: ${plural(v.objects, 'object')} valid\n`, stderr: '' };
}
