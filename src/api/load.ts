// The config front door: multi-document YAML in, typed and defaulted objects out, or errors that name
// file:line:column and the field. Nothing is half-accepted: callers apply objects only when there is no
// error at all (see loadAndValidate).

import { readFile } from 'node:fs/promises';
import { LineCounter, parseAllDocuments, Parser, type Document } from 'yaml';
import { checkObject } from './checks.js';
import { ConfigError, ConfigErrors, formatPath, sortErrors, type PathSeg } from './errors.js';
import { API_ALIASES, KINDS } from './schemas.js';
import { validateSet } from './set.js';
import { DocLocator, type Issue } from './source.js';
import { closest } from './suggest.js';
import type { AnyResource, SourceRef } from './types.js';
import { schemaIssues, type KindName } from './validate.js';

export { ConfigError, ConfigErrors, formatPath } from './errors.js';
export type { ConfigErrorCode, PathSeg } from './errors.js';
export { validateSet } from './set.js';
export { API_ALIASES, KINDS, ROOT_NAMESPACE } from './schemas.js';

export interface Loaded {
  resource: AnyResource;
  /** Where the document starts (its first node). */
  source: SourceRef;
  /**
   * Where a field of this object is in its file, for errors found later (cross-object checks).
   * Falls back to the nearest enclosing node when the field was defaulted. Absent on objects that
   * did not come from YAML text.
   */
  locate?: (path: readonly PathSeg[], key?: boolean) => SourceRef;
}

export interface ParseOptions {
  /**
   * Namespace for objects that name none, when the text holds no Mesh (a Mesh in the text wins).
   * Default "default". The control plane passes its stored Mesh's spec.defaults.namespace here.
   */
  defaultNamespace?: string;
}

const SUPPORTED = KINDS.map((k) => `${k.apiVersion} ${k.kind}`).join(', ');

/** Parses and validates every document of one YAML text; `file` is only used in messages. */
export function parseDocuments(text: string, file: string, options: ParseOptions = {}): { objects: Loaded[]; errors: ConfigError[] } {
  const parsed = parseText(text, file);
  applyNamespaceDefaults(parsed.objects, options.defaultNamespace);
  return { objects: parsed.objects.map((p) => p.loaded), errors: parsed.errors };
}

/** Reads and parses files (display path = the path as given). A Mesh in any file sets the default namespace for all. */
export async function loadFiles(paths: string[], options: ParseOptions = {}): Promise<{ objects: Loaded[]; errors: ConfigError[] }> {
  const objects: Parsed[] = [];
  const errors: ConfigError[] = [];
  for (const file of paths) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory, not a file' : err.message;
      errors.push(new ConfigError({ file, line: 1, column: 1, path: '', code: 'io', message: `cannot read: ${why}` }));
      continue;
    }
    const r = parseText(text, file);
    objects.push(...r.objects);
    errors.push(...r.errors);
  }
  applyNamespaceDefaults(objects, options.defaultNamespace);
  return { objects: objects.map((p) => p.loaded), errors };
}

/** Loads files and checks them as one set; throws ConfigErrors listing everything wrong, or returns every object. */
export async function loadAndValidate(paths: string[], options: ParseOptions = {}): Promise<Loaded[]> {
  const { objects, errors } = await loadFiles(paths, options);
  const all = allErrors(objects, errors);
  if (all.length > 0) throw new ConfigErrors(all);
  return objects;
}

/**
 * Every problem of one input in one pass: the per-object errors, and the cross-object checks (validateSet)
 * over the objects that passed their own checks. An object with errors of its own is left out of the
 * cross-object checks, so one mistake is not reported twice. `context`: objects already stored.
 */
export function allErrors(objects: Loaded[], perObject: ConfigError[], context: readonly AnyResource[] = []): ConfigError[] {
  const set = validateSet(objects, context);
  return perObject.length === 0 ? set : sortErrors([...perObject, ...set]);
}

// --- internals ---------------------------------------------------------------------------------------

interface Parsed {
  loaded: Loaded;
  /** Whether metadata.namespace was absent, so the set's default applies. */
  needsNamespace: boolean;
}

function applyNamespaceDefaults(objects: Parsed[], fallback: string | undefined): void {
  const mesh = objects.find((p) => p.loaded.resource.kind === 'Mesh')?.loaded.resource;
  const ns = (mesh?.kind === 'Mesh' ? mesh.spec.defaults.namespace : undefined) ?? fallback ?? 'default';
  for (const p of objects) if (p.needsNamespace) p.loaded.resource.metadata.namespace = ns;
}

function parseText(text: string, file: string): { objects: Parsed[]; errors: ConfigError[] } {
  const lines = new LineCounter();
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const docs = parseAllDocuments(body, { lineCounter: lines, prettyErrors: false, merge: true });
  const objects: Parsed[] = [];
  const errors: ConfigError[] = [];
  let unclosed: number[] | undefined;
  for (const doc of Array.isArray(docs) ? docs : []) {
    if (doc.errors.length > 0) {
      // An unclosed { or [ makes the parser complain where it gives up (a line or more later), often
      // several times over. The one mistake is the opening bracket: report that, once.
      unclosed ??= unclosedFlowCollections(body);
      const [from, , to] = doc.range;
      // The innermost one: in `{a: [1, 2}` the `}` closes the map, and the `[` is the mistake.
      const open = unclosed.filter((o) => o >= from && o < Math.max(to, from + 1)).at(-1);
      if (open !== undefined) {
        const p = lines.linePos(open);
        const ch = body[open];
        errors.push(new ConfigError({
          file, line: p.line, column: p.col, path: '', code: 'yaml',
          message: `invalid YAML: this "${ch}" is never closed`,
          hint: `close it with "${ch === '{' ? '}' : ']'}" on the same line, or write the ${ch === '{' ? 'mapping' : 'list'} as indented block lines instead`,
        }));
        continue;
      }
    }
    const r = parseDocument(doc, lines, file);
    if ('issues' in r) errors.push(...r.issues);
    else objects.push(r);
  }
  return { objects, errors: sortErrors(errors) };
}

function parseDocument(doc: Document, lines: LineCounter, file: string): Parsed | { issues: ConfigError[] } {
  const loc = new DocLocator(doc, lines);
  const at = (offset: number) => {
    const p = lines.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const yamlProblems = [...doc.errors, ...doc.warnings];
  if (yamlProblems.length > 0) {
    return {
      issues: yamlProblems.map((e) => new ConfigError({
        file, ...at(e.pos[0]), path: '', code: 'yaml', message: `invalid YAML: ${e.message}`,
        ...(e.code === 'TAG_RESOLVE_FAILED' ? { hint: 'weft config uses plain YAML: no custom tags' } : {}),
      })),
    };
  }
  const toError = (issue: Issue) => {
    const p = loc.position(issue.at ?? issue.path, issue.key === true && issue.at === undefined);
    return new ConfigError({
      file, ...p, path: formatPath(issue.path), message: issue.message, code: issue.code,
      ...(issue.hint !== undefined ? { hint: issue.hint } : {}),
    });
  };

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    return { issues: [new ConfigError({ file, ...loc.start(), path: '', code: 'yaml', message: `invalid YAML: ${(e as Error).message}` })] };
  }
  if (data === null || data === undefined) return { issues: [] }; // an empty document, e.g. a trailing `---`
  if (typeof data !== 'object' || Array.isArray(data)) {
    return {
      issues: [toError({
        path: [], code: 'not-a-mapping',
        message: `each document must be a mapping with apiVersion, kind, metadata and spec (got ${Array.isArray(data) ? 'a list' : `a ${typeof data}`})`,
        ...(Array.isArray(data) ? { hint: 'separate objects with "---" lines instead of listing them' } : {}),
      })],
    };
  }

  const kindIssues = identify(data as Record<string, unknown>);
  if ('issues' in kindIssues) return { issues: kindIssues.issues.map(toError) };
  const kind = kindIssues.kind;

  const issues = schemaIssues(kind, data);
  const resource = data as AnyResource;
  // Cross-field rules assume the shapes the schema guarantees.
  if (issues.length === 0) issues.push(...checkObject(resource));
  if (issues.length > 0) return { issues: sortErrors(issues.map(toError)) };

  const start = loc.start();
  const needsNamespace = KINDS.find((k) => k.kind === kind)!.namespaced && resource.metadata.namespace === undefined;
  return {
    loaded: {
      resource,
      source: { file, ...start },
      locate: (path, key) => ({ file, ...loc.position(path, key) }),
    },
    needsNamespace,
  };
}

/** Offsets of every `{` or `[` that starts a flow collection the text never closes, outer before inner. */
function unclosedFlowCollections(text: string): number[] {
  const out: number[] = [];
  const walk = (n: unknown): void => {
    if (typeof n !== 'object' || n === null) return;
    if (Array.isArray(n)) {
      for (const x of n) walk(x);
      return;
    }
    const t = n as { type?: string; start?: { offset?: number; type?: string }; end?: { type?: string }[] };
    // Closed only by its own kind of bracket: in `[1, 2}` the `}` does not close the `[`.
    const closer = t.start?.type === 'flow-map-start' ? 'flow-map-end' : 'flow-seq-end';
    if (t.type === 'flow-collection' && typeof t.start?.offset === 'number' && !(t.end ?? []).some((e) => e.type === closer)) {
      out.push(t.start.offset);
    }
    for (const v of Object.values(n)) if (typeof v === 'object') walk(v);
  };
  for (const token of new Parser().parse(text)) walk(token);
  return out;
}

/** Which kind a document is, from apiVersion and kind; unknown pairs list what is supported. */
function identify(obj: Record<string, unknown>): { kind: KindName } | { issues: Issue[] } {
  const issues: Issue[] = [];
  const { apiVersion, kind } = obj;
  for (const [field, v] of [['apiVersion', apiVersion], ['kind', kind]] as const) {
    if (v === undefined) issues.push({ path: [field], at: [], code: 'required', message: 'is required' });
    else if (typeof v !== 'string') issues.push({ path: [field], code: 'type', message: 'must be a string' });
  }
  if (issues.length > 0) {
    issues[issues.length - 1].hint = `supported: ${SUPPORTED}`;
    return { issues };
  }
  const k = kind as string;
  const v = apiVersion as string;
  const exact = KINDS.find((x) => x.kind === k && (x.apiVersion === v || (API_ALIASES[x.kind]?.includes(v) ?? false)));
  if (exact !== undefined) return { kind: exact.kind };
  const sameKind = KINDS.find((x) => x.kind === k);
  if (sameKind !== undefined) {
    const aliases = API_ALIASES[sameKind.kind];
    const also = aliases === undefined ? '' : ` (or ${aliases.join(', ')})`;
    return { issues: [{ path: ['apiVersion'], code: 'unknown-kind', message: `${k} is not served as ${v}`, hint: `use apiVersion: ${sameKind.apiVersion}${also}` }] };
  }
  const near = closest(k, KINDS.map((x) => x.kind));
  return {
    issues: [{
      path: ['kind'], code: 'unknown-kind', message: `unknown kind ${k} (apiVersion ${v})`,
      hint: near !== undefined ? `did you mean ${near}? supported: ${SUPPORTED}` : `supported: ${SUPPORTED}`,
    }],
  };
}
