// The control plane's store: every config object with where it came from, plus small named state documents
// (the endpoint registry, the CA's material, rollouts, used tokens). One interface, several backends (a file
// store, an in-memory one and etcd), all held to the same behaviour by contract.ts.
import type { AnyResource } from '../../api/types.js';

export interface StoredObject {
  /** keyOf(resource) from src/api/types.ts. */
  key: string;
  /** Frozen: the store hands out its own copy, never one a caller can change under it. */
  resource: AnyResource;
  /** Who owns it: "file:/abs/mesh.yaml" for a watched file, "api" for `weft apply`. */
  source: string;
  /** The store revision of this object's last change. */
  revision: number;
}

export interface StoreChange {
  /** The store revision after the change (unchanged when nothing changed). */
  revision: number;
  /** Keys created or changed (content or source), in the order given. */
  upserted: string[];
  /** Keys removed. */
  deleted: string[];
}

export type CasResult = { ok: true } | { ok: false; current: unknown };

export interface Store {
  /** Increases by one on every change that changed an object; 0 for an empty new store. */
  readonly revision: number;
  list(): StoredObject[];
  get(key: string): StoredObject | undefined;
  /**
   * Make the objects owned by `source` exactly `objects` (sync of a watched file): upsert those (they take
   * `source`, even from another owner), delete keys owned by `source` that are not present. One atomic change.
   */
  replaceSource(source: string, objects: AnyResource[]): Promise<StoreChange>;
  /** Upsert (`weft apply`): objects take `source` (default "api"). One atomic change. */
  apply(objects: AnyResource[], source?: string): Promise<StoreChange>;
  /** Delete by key (`weft delete`), whatever their source. Unknown keys are ignored: they are not in `deleted`. */
  delete(keys: string[]): Promise<StoreChange>;
  /**
   * Called once per change that changed something, after it is durable and visible to list()/get().
   * Returns an unsubscribe function.
   */
  watch(cb: (change: StoreChange) => void): () => void;
  /** Small named JSON documents of control-plane state that must survive restarts. Frozen. */
  getState<T>(name: string): T | undefined;
  /** Replaces the document; `undefined` removes it. Names: letters, digits, ".", "_", "-". */
  putState(name: string, value: unknown): Promise<void>;
  /**
   * Compare-and-set of a state document, atomic among every process sharing the store: replaces it with `value`
   * (`undefined` removes it) only while it still equals `expected` (`undefined`: absent). Otherwise nothing changes
   * and the answer carries what is stored now.
   */
  casState(name: string, expected: unknown, value: unknown): Promise<CasResult>;
  /** Called with a state's name after it changed, here or (for a shared store such as etcd) in another process. */
  watchStates(cb: (name: string) => void): () => void;
  /** Waits for pending changes; later calls reject. */
  close(): Promise<void>;
}

export { StoreCorruptError, StoreClosedError } from './errors.js';
export { openFileStore } from './file.js';
export { createMemoryStore } from './memory.js';
