// The store's behaviour, shared by every backend that can hold the whole store in memory and persist it
// with one write per change (memory, file). A change is planned on a copy, made durable, and only then
// made visible, so a failed write leaves the store exactly as it was.
import type { AnyResource } from '../../api/types.js';
import { keyOf } from '../../api/types.js';
import type { CasResult, Store, StoreChange, StoredObject } from './store.js';
import { StoreClosedError } from './errors.js';

/** Where a LocalStore keeps its data. Each call is awaited before the change becomes visible. */
export interface Persistence {
  writeObjects(revision: number, objects: readonly StoredObject[]): Promise<void>;
  /** `undefined` removes the document. */
  writeState(name: string, value: unknown): Promise<void>;
  close(): Promise<void>;
}

export interface Loaded {
  revision: number;
  objects: StoredObject[];
  states: Map<string, unknown>;
}

const STATE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** casState's `expected` that matches whatever is stored: an unconditional put. */
export const ANY: unique symbol = Symbol('any state');

/** Checks a state's name and returns its value normalised through JSON and frozen (undefined: remove). */
export function checkState(name: string, value: unknown): unknown {
  checkStateName(name);
  // Cloned now, so a caller changing its object after the call cannot change what is stored.
  return value === undefined ? undefined : deepFreeze(toJson(value, `state ${name}`));
}

export function checkStateName(name: string): void {
  if (typeof name !== 'string' || !STATE_NAME.test(name)) {
    throw new TypeError(`invalid state name ${JSON.stringify(name)}: use letters, digits, ".", "_" and "-" (at most 100)`);
  }
}

export class LocalStore implements Store {
  #objects = new Map<string, StoredObject>();
  #sorted: readonly StoredObject[] = [];
  #states: Map<string, unknown>;
  #revision: number;
  #tail: Promise<void> = Promise.resolve();
  #watchers = new Set<(change: StoreChange) => void>();
  #stateWatchers = new Set<(name: string) => void>();
  #closed = false;

  constructor(private readonly persistence: Persistence, loaded?: Loaded) {
    this.#revision = loaded?.revision ?? 0;
    this.#states = new Map([...(loaded?.states ?? [])].map(([k, v]) => [k, deepFreeze(v)]));
    for (const o of loaded?.objects ?? []) this.#objects.set(o.key, deepFreeze(o));
    this.#sorted = sortByKey(this.#objects);
  }

  get revision(): number {
    return this.#revision;
  }

  list(): StoredObject[] {
    return this.#sorted.slice();
  }

  get(key: string): StoredObject | undefined {
    return this.#objects.get(key);
  }

  replaceSource(source: string, objects: AnyResource[]): Promise<StoreChange> {
    return this.#serial(() => this.#change(checkSource(source), objects, (incoming) =>
      [...this.#objects.values()].filter((o) => o.source === source && !incoming.has(o.key)).map((o) => o.key)));
  }

  apply(objects: AnyResource[], source = 'api'): Promise<StoreChange> {
    return this.#serial(() => this.#change(checkSource(source), objects, () => []));
  }

  delete(keys: string[]): Promise<StoreChange> {
    return this.#serial(() => this.#change('', [], () => [...new Set(keys)].filter((k) => this.#objects.has(k))));
  }

  watch(cb: (change: StoreChange) => void): () => void {
    // A wrapper, so subscribing the same function twice gives two independent subscriptions.
    const w = (c: StoreChange) => cb(c);
    this.#watchers.add(w);
    return () => void this.#watchers.delete(w);
  }

  getState<T>(name: string): T | undefined {
    return this.#states.get(name) as T | undefined;
  }

  putState(name: string, value: unknown): Promise<void> {
    return this.casState(name, ANY, value).then(() => undefined);
  }

  casState(name: string, expected: unknown, value: unknown): Promise<CasResult> {
    let v: unknown;
    try {
      v = checkState(name, value);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#serial(async (): Promise<CasResult> => {
      const cur = this.#states.get(name);
      if (expected !== ANY && !jsonEqual(cur, expected)) return { ok: false, current: cur };
      if (jsonEqual(cur, v)) return { ok: true };
      await this.persistence.writeState(name, v);
      if (v === undefined) this.#states.delete(name);
      else this.#states.set(name, v);
      notifyWatchers(this.#stateWatchers, name);
      return { ok: true };
    });
  }

  watchStates(cb: (name: string) => void): () => void {
    const w = (n: string) => cb(n);
    this.#stateWatchers.add(w);
    return () => void this.#stateWatchers.delete(w);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#tail;
    this.#watchers.clear();
    this.#stateWatchers.clear();
    await this.persistence.close();
  }

  /** Runs changes one at a time, in call order; a failed change does not stop the ones after it. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new StoreClosedError());
    const run = this.#tail.then(fn);
    this.#tail = run.then(() => undefined, () => undefined);
    return run;
  }

  async #change(source: string, upserts: AnyResource[], deletions: (incoming: Map<string, AnyResource>) => string[]): Promise<StoreChange> {
    const plan = planChange(this.#objects, this.#revision, source, upserts, deletions);
    if (plan === undefined) return { revision: this.#revision, upserted: [], deleted: [] };
    const sorted = sortByKey(plan.next);
    await this.persistence.writeObjects(plan.change.revision, sorted);
    this.#objects = plan.next;
    this.#sorted = sorted;
    this.#revision = plan.change.revision;
    notifyWatchers(this.#watchers, plan.change);
    return plan.change;
  }
}

export interface ChangePlan {
  /** Every object after the change. */
  next: Map<string, StoredObject>;
  /** Frozen; its revision is the current one plus one. */
  change: StoreChange;
}

/**
 * Plans one change on a copy of `current`: the objects it upserts (skipping identical ones) and deletes.
 * Undefined when nothing would change. Throws (changing nothing) on bad input. Every backend plans the same way.
 */
export function planChange(
  current: ReadonlyMap<string, StoredObject>, revision: number, source: string, upserts: AnyResource[],
  deletions: (incoming: Map<string, AnyResource>) => string[],
): ChangePlan | undefined {
  // Normalised through JSON so every backend stores and compares the same values (no undefined, no Dates).
  const incoming = new Map<string, AnyResource>();
  upserts.forEach((r, i) => {
    const c = toJson(r, `object ${i}`) as AnyResource;
    checkResource(c, i);
    incoming.delete(keyOf(c)); // the last of duplicates wins, in its own position
    incoming.set(keyOf(c), c);
  });
  const rev = revision + 1;
  const now = new Date().toISOString();
  const next = new Map(current);
  const upserted: string[] = [];
  for (const [key, r] of incoming) {
    const cur = next.get(key);
    if (cur !== undefined && cur.source === source && sameResource(cur.resource, r)) continue;
    // The first write's timestamp is kept for the object's whole life (Gateway API precedence uses it).
    const creationTimestamp = cur?.resource.metadata.creationTimestamp ?? now;
    const resource = { ...r, metadata: { ...r.metadata, creationTimestamp } } as AnyResource;
    next.set(key, deepFreeze({ key, resource, source, revision: rev }));
    upserted.push(key);
  }
  const deleted = deletions(incoming);
  for (const k of deleted) next.delete(k);
  if (upserted.length === 0 && deleted.length === 0) return undefined;
  return { next, change: deepFreeze({ revision: rev, upserted, deleted }) };
}

/** Calls every watcher; one that throws is reported as a warning and neither fails the change nor starves the others. */
export function notifyWatchers<T>(watchers: ReadonlySet<(v: T) => void>, value: T): void {
  for (const w of [...watchers]) {
    try {
      w(value);
    } catch (err) {
      // The change is already durable: a watcher's bug must neither fail the caller nor starve other watchers.
      process.emitWarning(`store watcher threw: ${(err as Error)?.stack ?? String(err)}`, { code: 'WEFT_STORE_WATCHER' });
    }
  }
}

export function checkSource(source: string): string {
  if (typeof source !== 'string' || source === '') throw new TypeError('store source must be a non-empty string');
  return source;
}

function checkResource(r: AnyResource, i: number): void {
  const m = (r as { metadata?: { name?: unknown } } | null)?.metadata;
  if (typeof r?.kind !== 'string' || typeof m?.name !== 'string' || m.name === '') {
    throw new TypeError(`object ${i}: a resource needs a kind and metadata.name`);
  }
}

export function sortByKey(m: Map<string, StoredObject>): readonly StoredObject[] {
  return Object.freeze([...m.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
}

function withoutTimestamp(r: AnyResource): unknown {
  const { creationTimestamp: _ts, ...metadata } = r.metadata;
  return { ...r, metadata };
}

function sameResource(a: AnyResource, b: AnyResource): boolean {
  return jsonEqual(withoutTimestamp(a), withoutTimestamp(b));
}

export function toJson(v: unknown, what: string): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(v);
  } catch (err) {
    throw new TypeError(`${what} is not JSON-serialisable: ${(err as Error).message}`, { cause: err });
  }
  if (text === undefined) throw new TypeError(`${what} is not JSON-serialisable`);
  return JSON.parse(text);
}

/** Deep equality of JSON values; object key order does not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao);
  if (ak.length !== Object.keys(bo).length) return false;
  return ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && jsonEqual(ao[k], bo[k]));
}

export function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
