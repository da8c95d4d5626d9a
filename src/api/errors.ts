// Config errors: every one names a file, a line:column and a field path, so a user can jump straight to
// the offending YAML node. The string form is what the CLI prints and what tests compare.

/** One step of a field path: a mapping key or a sequence index. */
export type PathSeg = string | number;

/**
 * Stable codes, for tools and tests (the message wording may improve; the code does not change):
 * yaml, io, not-a-mapping, unknown-kind, unknown-field, unsupported-field, required, type, enum,
 * range, length, items, pattern, invalid, duplicate, conflict, regex, reference.
 */
export type ConfigErrorCode =
  | 'yaml' | 'io' | 'not-a-mapping' | 'unknown-kind' | 'unknown-field' | 'unsupported-field' | 'required'
  | 'type' | 'enum' | 'range' | 'length' | 'items' | 'pattern' | 'invalid' | 'duplicate' | 'conflict'
  | 'regex' | 'reference' | 'protocol';

export interface ConfigErrorInit {
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
  hint?: string;
  code: ConfigErrorCode;
}

export class ConfigError {
  /** As the caller gave it (a display path), not resolved. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Field path such as `spec.rules[0].backendRefs[1].weight`; empty when the error is about the document itself. */
  path: string;
  message: string;
  hint?: string;
  code: ConfigErrorCode;

  constructor(init: ConfigErrorInit) {
    this.file = init.file;
    this.line = init.line;
    this.column = init.column;
    this.path = init.path;
    this.message = init.message;
    if (init.hint !== undefined) this.hint = init.hint;
    this.code = init.code;
  }

  /** `mesh.yaml:14:7 spec.rules[0].backendRefs[1].weight: must be >= 0 (hint: ...)` */
  toString(): string {
    const where = `${this.file}:${this.line}:${this.column}`;
    const what = this.path === '' ? this.message : `${this.path}: ${this.message}`;
    return `${where} ${what}${this.hint === undefined ? '' : ` (hint: ${this.hint})`}`;
  }
}

/** Thrown when any part of the input is wrong: the whole input is rejected, nothing of it applies. */
export class ConfigErrors extends Error {
  errors: ConfigError[];
  constructor(errors: ConfigError[]) {
    super(errors.map(String).join('\n'));
    this.name = 'ConfigErrors';
    this.errors = errors;
  }
}

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `['spec', 'rules', 0, 'backendRefs', 1, 'weight']` -> `spec.rules[0].backendRefs[1].weight`. */
export function formatPath(path: readonly PathSeg[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    // Label keys like app.kubernetes.io/name would be ambiguous with dots.
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Orders errors the way a reader walks the input: by file (first seen), then line, then column. */
export function sortErrors(errors: ConfigError[]): ConfigError[] {
  const fileOrder = new Map<string, number>();
  for (const e of errors) if (!fileOrder.has(e.file)) fileOrder.set(e.file, fileOrder.size);
  return errors
    .map((e, i) => ({ e, i }))
    .sort((a, b) => fileOrder.get(a.e.file)! - fileOrder.get(b.e.file)! || a.e.line - b.e.line || a.e.column - b.e.column || a.i - b.i)
    .map((x) => x.e);
}
