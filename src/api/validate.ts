// Schema validation of one object with ajv, and the translation of ajv's errors into issues a user can
// act on: the field path, "is required" at the parent, "unknown field (did you mean ...)", expected types.

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { PathSeg } from './errors.js';
import { type KINDS, SCHEMAS, type Schema } from './schemas.js';
import type { Issue } from './source.js';
import { closest } from './suggest.js';

export type KindName = (typeof KINDS)[number]['kind'];

const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: true, allowUnionTypes: true });
ajv.addKeyword({ keyword: 'patternMessage', schemaType: 'string' });
ajv.addKeyword({ keyword: 'x-unsupported', schemaType: 'object' });

const validators = new Map<KindName, ValidateFunction>();
function validatorFor(kind: KindName): ValidateFunction {
  let v = validators.get(kind);
  if (v === undefined) validators.set(kind, (v = ajv.compile(SCHEMAS[kind])));
  return v;
}

/** Validates `data` (mutating it: defaults are filled in) against the schema of `kind`. */
export function schemaIssues(kind: KindName, data: unknown): Issue[] {
  const validate = validatorFor(kind);
  if (validate(data)) return [];
  const errors = validate.errors ?? [];
  const issues: Issue[] = [];
  for (const e of errors) {
    const issue = translate(e, errors, data, kind);
    if (issue !== undefined) issues.push(issue);
  }
  return issues;
}

function translate(e: ErrorObject, all: ErrorObject[], data: unknown, kind: KindName): Issue | undefined {
  // Errors from inside propertyNames are reported once, by the propertyNames error that names the key.
  if (e.schemaPath.includes('/propertyNames/')) return undefined;
  const path = pointerToPath(e.instancePath, data);
  const parent = e.parentSchema as Schema | undefined;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const unsupported = (parent?.['x-unsupported'] as Record<string, string> | undefined)?.[key];
      if (unsupported !== undefined) return { path: [...path, key], key: true, code: 'unsupported-field', message: unsupported };
      return { path: [...path, key], key: true, code: 'unknown-field', message: 'unknown field', hint: unknownFieldHint(kind, path, key, parent) };
    }
    case 'required':
      return { path: [...path, String(p.missingProperty)], at: path, code: 'required', message: 'is required' };
    case 'propertyNames': {
      const key = String(p.propertyName);
      const inner = all.find((x) => x !== e && x.instancePath === e.instancePath && x.schemaPath.startsWith(`${e.schemaPath}/`));
      const why = inner === undefined ? 'is not a valid key' : describeConstraint(inner, key);
      return { path: [...path, key], key: true, code: inner?.keyword === 'pattern' ? 'pattern' : 'invalid', message: `invalid key: ${why}` };
    }
    case 'type': {
      const value = valueAt(data, path);
      return { path, code: 'type', message: `must be ${typeWords(p.type)} (got ${describeValue(value)})`, hint: typeHint(p.type, value) };
    }
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]) ?? [];
      const value = valueAt(data, path);
      const unsupported = typeof value === 'string' ? (parent?.['x-unsupported'] as Record<string, string> | undefined)?.[value] : undefined;
      if (unsupported !== undefined) {
        return { path, code: 'enum', message: unsupported, hint: `supported: ${allowed.map(String).join(', ')}` };
      }
      const s = typeof value === 'string' ? suggestValue(value, allowed.map(String)) : undefined;
      return {
        path, code: 'enum',
        message: `must be one of ${allowed.map(String).join(', ')} (got ${describeValue(value)})`,
        ...(s !== undefined ? { hint: `did you mean ${s}?` } : {}),
      };
    }
    case 'const':
      return { path, code: 'enum', message: `must be ${JSON.stringify(p.allowedValue)}` };
    default:
      return { path, code: codeOf(e.keyword), message: describeConstraint(e, valueAt(data, path)) };
  }
}

/** A close spelling, or an allowed value that contains the word ("Prefix" -> "PathPrefix"). */
function suggestValue(value: string, allowed: string[]): string | undefined {
  const near = closest(value, allowed);
  if (near !== undefined) return near;
  const v = value.toLowerCase();
  return v.length >= 3 ? allowed.find((a) => a.toLowerCase().includes(v)) : undefined;
}

function codeOf(keyword: string): Issue['code'] {
  switch (keyword) {
    case 'minimum': case 'maximum': case 'exclusiveMinimum': case 'exclusiveMaximum': return 'range';
    case 'minLength': case 'maxLength': case 'minProperties': case 'maxProperties': return 'length';
    case 'minItems': case 'maxItems': return 'items';
    case 'pattern': return 'pattern';
    default: return 'invalid';
  }
}

function describeConstraint(e: ErrorObject, value: unknown): string {
  const p = e.params as Record<string, unknown>;
  const parent = e.parentSchema as Schema | undefined;
  switch (e.keyword) {
    case 'minimum': return `must be >= ${String(p.limit)}`;
    case 'maximum': return `must be <= ${String(p.limit)}`;
    case 'minLength': return p.limit === 1 ? 'must not be empty' : `must be at least ${String(p.limit)} characters`;
    case 'maxLength': return `must be at most ${String(p.limit)} characters${typeof value === 'string' ? ` (got ${value.length})` : ''}`;
    case 'minItems': return `must have at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}`;
    case 'maxItems': return `must have at most ${String(p.limit)} items${Array.isArray(value) ? ` (got ${value.length})` : ''}`;
    case 'minProperties': return 'must not be empty';
    case 'pattern': return (parent?.patternMessage as string | undefined) ?? `must match ${String(p.pattern)}`;
    case 'type': return `must be ${typeWords(p.type)}`;
    default: return e.message ?? 'is invalid';
  }
}

function unknownFieldHint(kind: KindName, path: PathSeg[], key: string, parent: Schema | undefined): string {
  const known = Object.keys((parent?.properties as Record<string, unknown> | undefined) ?? {});
  const near = closest(key, known);
  if (near !== undefined) return `did you mean ${near}?`;
  if (path.length === 1 && path[0] === 'metadata' && key === 'namespace' && kind === 'Mesh') {
    return 'Mesh is cluster-scoped: it has no namespace';
  }
  if (path.length === 0) {
    // A spec field written at the top level is a common slip.
    const spec = (SCHEMAS[kind].properties as Record<string, Schema>).spec;
    const specFields = Object.keys((spec.properties as Record<string, unknown> | undefined) ?? {});
    if (specFields.includes(key)) return `${kind} fields go under spec: did you mean spec.${key}?`;
    const nearSpec = closest(key, specFields);
    if (nearSpec !== undefined) return `did you mean spec.${nearSpec}?`;
  }
  return known.length === 0 ? 'this mapping takes no fields' : `known fields: ${known.join(', ')}`;
}

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping', array: 'a list', string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false', null: 'null',
};

function typeWords(t: unknown): string {
  const list = Array.isArray(t) ? t : String(t).split(',');
  return list.map((x) => TYPE_WORDS[String(x)] ?? String(x)).join(' or ');
}

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === 'number') return `the number ${v}`;
  return String(v);
}

function typeHint(t: unknown, v: unknown): string | undefined {
  const want = Array.isArray(t) ? t.map(String) : String(t).split(',');
  if (want.includes('string') && (typeof v === 'number' || typeof v === 'boolean')) {
    return `quote it to make it a string: "${String(v)}"`;
  }
  if ((want.includes('integer') || want.includes('number')) && typeof v === 'string' && /^-?\d+$/.test(v.trim())) {
    return `remove the quotes: ${v.trim()}`;
  }
  return undefined;
}

/** JSON Pointer -> path segments; array positions become numbers (the data tells which is which). */
export function pointerToPath(pointer: string, data: unknown): PathSeg[] {
  if (pointer === '') return [];
  const out: PathSeg[] = [];
  let cur: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      const i = Number(seg);
      out.push(i);
      cur = cur[i];
    } else {
      out.push(seg);
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

export function valueAt(data: unknown, path: readonly PathSeg[]): unknown {
  let cur: unknown = data;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}
