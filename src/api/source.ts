// Maps a field path back to the YAML node it came from, so every error can name line:column.

import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { ConfigErrorCode, PathSeg } from './errors.js';

export interface Position {
  line: number;
  column: number;
}

/** A problem found in one object, before it is given a file position. */
export interface Issue {
  /** The field the message is about (shown in the error). */
  path: PathSeg[];
  message: string;
  code: ConfigErrorCode;
  hint?: string;
  /** Where to point when that is not `path` itself (e.g. the parent mapping of a missing field). */
  at?: PathSeg[];
  /** Point at the key of the last segment rather than its value (unknown and forbidden fields). */
  key?: boolean;
}

export class DocLocator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Where the document's content starts (after any `---` and comments). */
  start(): Position {
    const c = this.doc.contents as Node | null;
    return this.pos(c?.range?.[0] ?? this.doc.range?.[0] ?? 0);
  }

  /**
   * The position of the node at `path`, or of the deepest node that exists on the way there
   * (a defaulted field has no node of its own: its parent stands in).
   */
  position(path: readonly PathSeg[], key = false): Position {
    let node: unknown = this.doc.contents;
    let keyNode: Node | undefined;
    let found = 0;
    for (const seg of path) {
      if (isAlias(node)) node = node.resolve(this.doc);
      let next: unknown;
      let nextKey: Node | undefined;
      let ok = false;
      if (isMap(node)) {
        for (const pair of node.items) {
          const k = pair.key;
          const kv = isScalar(k) ? k.value : k;
          if (kv !== null && kv !== undefined && String(kv) === String(seg)) {
            next = pair.value;
            nextKey = isScalar(k) ? k : undefined;
            ok = true;
            break;
          }
        }
      } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
        next = node.items[seg];
        nextKey = undefined;
        ok = true;
      }
      if (!ok) break;
      found++;
      keyNode = nextKey;
      node = next;
    }
    const complete = found === path.length;
    if (complete && key && keyNode?.range) return this.pos(keyNode.range[0]);
    const n = node as Node | null | undefined;
    // `field:` with nothing after it: the empty value has no useful position, its key does.
    const empty = n === null || n === undefined || !n.range || (isScalar(n) && n.range[0] === n.range[1]);
    if (empty && keyNode?.range) return this.pos(keyNode.range[0]);
    if (n?.range) return this.pos(n.range[0]);
    return this.start();
  }

  private pos(offset: number): Position {
    const p = this.lines.linePos(offset);
    return { line: p.line, column: p.col };
  }
}
