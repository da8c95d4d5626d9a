// The etcd store: the same Store as the file store, kept in etcd so several control planes can share it.
// Keys under a prefix (default "/weft/"), each value JSON:
//   <prefix>revision          the store revision (the contract's: 0 for a new store, +1 per change)
//   <prefix>objects/<key>     a StoredObject {key, resource, source, revision}
//   <prefix>state/<name>      one state document
// Every process holds the whole store in memory (list() and get() are synchronous) and follows etcd with a
// watch from the revision it read. A change is one etcd transaction that puts the new store revision and
// the changed objects only if the revision key is still the one this process last saw; if another process
// got there first, this one reloads and plans again. So changes are atomic and totally ordered across
// processes, and every process sees each change once, with the same store revision.
import { Etcd3, type IKeyValue, type IEvent, type Watcher } from 'etcd3';
import type { AnyResource } from '../../api/types.js';
import { keyOf } from '../../api/types.js';
import { ANY, checkSource, checkState, checkStateName, deepFreeze, jsonEqual, notifyWatchers, planChange, sortByKey } from './core.js';
import { StoreClosedError } from './errors.js';
import type { CasResult, Store, StoreChange, StoredObject } from './store.js';

export const DEFAULT_ETCD_PREFIX = '/weft/';
/** How long opening waits for etcd before saying it cannot reach it. */
const CONNECT_TIMEOUT_MS = 5000;
/** A change that keeps losing the race to other control planes gives up after this many tries. */
const MAX_ATTEMPTS = 20;

export interface EtcdStoreOptions {
  /** "http://host:port" (or "host:port") of one or more members of one cluster. */
  endpoints: string[];
  /** Key prefix, ending in "/". Default "/weft/". */
  prefix?: string;
  /** What to call the store in errors (say the --store value); default the endpoints. */
  describe?: string;
  connectTimeoutMs?: number;
}

/** etcd could not be reached or read: says where, and what to check. */
export class EtcdStoreError extends Error {
  override readonly name = 'EtcdStoreError';
  readonly code = 'store-etcd';
}

export async function openEtcdStore(o: EtcdStoreOptions): Promise<Store> {
  const prefix = o.prefix ?? DEFAULT_ETCD_PREFIX;
  if (!prefix.startsWith('/') || !prefix.endsWith('/')) throw new TypeError(`etcd store prefix must start and end with "/", got ${JSON.stringify(prefix)}`);
  if (o.endpoints.length === 0) throw new TypeError('etcd store needs at least one endpoint');
  const hosts = o.endpoints.map((e) => (/^[a-z]+:\/\//.test(e) ? e : `http://${e}`));
  const timeout = o.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  const client = new Etcd3({ hosts, dialTimeout: timeout });
  const store = new EtcdStore(client, prefix, o.describe ?? hosts.join(','));
  try {
    await store.open(timeout);
  } catch (err) {
    client.close();
    throw err;
  }
  return store;
}

class EtcdStore implements Store {
  #objects = new Map<string, StoredObject>();
  #sorted: readonly StoredObject[] = [];
  #states = new Map<string, unknown>();
  /** etcd mod revision of each state's last put or delete that this process has applied. */
  #stateMod = new Map<string, number>();
  #revision = 0;
  /** etcd mod revision of the revision key as last seen (0: absent); the condition of every change. */
  #revisionMod = 0;
  #tail: Promise<unknown> = Promise.resolve();
  #watchers = new Set<(change: StoreChange) => void>();
  #stateWatchers = new Set<(name: string) => void>();
  #watcher: Watcher | undefined;
  #closed = false;
  readonly #revisionKey: string;
  readonly #objectsPrefix: string;
  readonly #statePrefix: string;

  constructor(private readonly client: Etcd3, private readonly prefix: string, private readonly where: string) {
    this.#revisionKey = `${prefix}revision`;
    this.#objectsPrefix = `${prefix}objects/`;
    this.#statePrefix = `${prefix}state/`;
  }

  async open(timeoutMs: number): Promise<void> {
    let from: number;
    try {
      from = await this.#reload(timeoutMs);
    } catch (err) {
      if (err instanceof EtcdStoreError) throw err;
      throw new EtcdStoreError(
        `cannot reach the etcd store at ${this.where} within ${timeoutMs / 1000} s: ${(err as Error).message}. ` +
        'Check that etcd is running and listening there (etcdctl --endpoints=<host:port> endpoint health), and that --store / WEFT_STORE names its client URLs',
        { cause: err },
      );
    }
    await this.#follow(from);
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
    const w = (c: StoreChange) => cb(c);
    this.#watchers.add(w);
    return () => void this.#watchers.delete(w);
  }

  watchStates(cb: (name: string) => void): () => void {
    const w = (n: string) => cb(n);
    this.#stateWatchers.add(w);
    return () => void this.#stateWatchers.delete(w);
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
      const key = this.#statePrefix + name;
      const write = v === undefined ? this.client.delete().key(key) : this.client.put(key).value(JSON.stringify(v));
      if (expected === ANY) {
        const res = await write.exec();
        this.#applyState(name, v, Number(res.header.revision));
        return { ok: true };
      }
      // Written only if etcd still has the version this process last saw (mod revision 0: absent).
      const seen = this.#states.has(name) ? (this.#stateMod.get(name) ?? 0) : 0;
      const res = await this.client.if(key, 'Mod', '==', seen).then(write).else(this.client.get(key)).commit();
      if (res.succeeded) {
        this.#applyState(name, v, Number(res.header.revision));
        return { ok: true };
      }
      // Another process changed it first: take what is there now, and answer with it.
      const kv = res.responses[0]?.response_range?.kvs?.[0];
      this.#applyState(name, kv === undefined ? undefined : this.#parse(kv), kv === undefined ? Number(res.header.revision) : Number(kv.mod_revision));
      return { ok: false, current: this.#states.get(name) };
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#tail.catch(() => undefined);
    this.#watchers.clear();
    this.#stateWatchers.clear();
    const w = this.#watcher;
    this.#watcher = undefined;
    await w?.cancel().catch(() => undefined);
    this.client.close();
  }

  /** Runs changes (and applying what the watch saw) one at a time, in call order. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new StoreClosedError());
    return this.#enqueue(fn);
  }

  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn);
    this.#tail = run.then(() => undefined, () => undefined);
    return run;
  }

  async #change(source: string, upserts: AnyResource[], deletions: (incoming: Map<string, AnyResource>) => string[]): Promise<StoreChange> {
    for (let attempt = 1; ; attempt++) {
      const plan = planChange(this.#objects, this.#revision, source, upserts, deletions);
      if (plan === undefined) return { revision: this.#revision, upserted: [], deleted: [] };
      const { next, change } = plan;
      const ops = [
        this.client.put(this.#revisionKey).value(JSON.stringify(change.revision)),
        ...change.upserted.map((k) => this.client.put(this.#objectsPrefix + k).value(JSON.stringify(next.get(k)))),
        ...change.deleted.map((k) => this.client.delete().key(this.#objectsPrefix + k)),
      ];
      const res = await this.client.if(this.#revisionKey, 'Mod', '==', this.#revisionMod).then(...ops).commit();
      if (res.succeeded) {
        this.#objects = next;
        this.#sorted = sortByKey(next);
        this.#revision = change.revision;
        this.#revisionMod = Number(res.header.revision);
        notifyWatchers(this.#watchers, change);
        return change;
      }
      // Another control plane changed the store since we last saw it: catch up, then plan again on top.
      await this.#reload();
      if (attempt >= MAX_ATTEMPTS) throw new EtcdStoreError(`etcd store at ${this.where}: the change lost ${attempt} times in a row to other control planes writing; try again`);
    }
  }

  /** Reads the whole store and makes it current, announcing any difference. Returns the etcd revision read at. */
  async #reload(timeoutMs?: number): Promise<number> {
    let q = this.client.getAll().prefix(this.prefix);
    if (timeoutMs !== undefined) q = q.options({ deadline: Date.now() + timeoutMs });
    const res = await q.exec();
    let revision = 0;
    let revisionMod = 0;
    const objects = new Map<string, StoredObject>();
    const states = new Map<string, { value: unknown; mod: number }>();
    for (const kv of res.kvs) {
      const key = kv.key.toString();
      if (key === this.#revisionKey) {
        revision = this.#parseRevision(kv);
        revisionMod = Number(kv.mod_revision);
      } else if (key.startsWith(this.#objectsPrefix)) {
        const o = this.#parseObject(kv);
        objects.set(o.key, o);
      } else if (key.startsWith(this.#statePrefix)) {
        states.set(this.#stateName(kv), { value: this.#parse(kv), mod: Number(kv.mod_revision) });
      }
    }
    const upserted = [...objects.values()].filter((o) => !jsonEqual(this.#objects.get(o.key), o)).map((o) => o.key);
    const deleted = [...this.#objects.keys()].filter((k) => !objects.has(k));
    const changed = revision !== this.#revision || upserted.length > 0 || deleted.length > 0;
    this.#objects = new Map([...objects].map(([k, o]) => [k, deepFreeze(o)]));
    this.#sorted = sortByKey(this.#objects);
    this.#revision = revision;
    this.#revisionMod = revisionMod;
    for (const name of [...this.#states.keys()]) if (!states.has(name)) this.#applyState(name, undefined, Number(res.header.revision));
    for (const [name, s] of states) this.#applyState(name, s.value, s.mod);
    if (changed && (upserted.length > 0 || deleted.length > 0)) {
      notifyWatchers(this.#watchers, deepFreeze({ revision, upserted: upserted.sort(), deleted: deleted.sort() }));
    }
    return Number(res.header.revision);
  }

  /** Follows the store from etcd revision `from` (exclusive); on a lost watch, reloads and follows again. */
  async #follow(from: number): Promise<void> {
    const watcher = await this.client.watch().prefix(this.prefix).startRevision(String(from + 1)).create();
    if (this.#closed) {
      await watcher.cancel().catch(() => undefined);
      return;
    }
    this.#watcher = watcher;
    // Applied in the change queue, so a change of this process in flight is never also taken for another's.
    watcher.on('data', (res) => {
      const events = res.events ?? [];
      if (events.length > 0) void this.#enqueue(async () => this.#applyEvents(events)).catch((err: unknown) => this.#warn(err));
    });
    // The client reconnects a dropped watch by itself, from where it was; an error means etcd cancelled it
    // (say the revision to resume from was compacted away): read everything again and watch from there.
    watcher.on('error', (err) => {
      if (this.#closed || this.#watcher !== watcher) return;
      this.#watcher = undefined;
      void watcher.cancel().catch(() => undefined);
      this.#warn(new Error(`etcd watch on ${this.where} ended (${err.message}); reloading the store`));
      const again = (): Promise<void> => this.#enqueue(() => this.#reload())
        .then((rev) => (this.#closed ? undefined : this.#follow(rev)))
        .catch((e: unknown) => {
          this.#warn(e);
          if (!this.#closed) setTimeout(() => void again(), 1000).unref();
        });
      void again();
    });
  }

  #applyEvents(events: IEvent[]): void {
    if (this.#closed) return;
    // One etcd revision is one transaction: group the events by it.
    const groups = new Map<string, IEvent[]>();
    for (const e of events) {
      const rev = e.kv.mod_revision;
      let g = groups.get(rev);
      if (g === undefined) groups.set(rev, (g = []));
      g.push(e);
    }
    for (const [rev, group] of groups) {
      const mod = Number(rev);
      const revEvent = group.find((e) => e.kv.key.toString() === this.#revisionKey);
      if (revEvent !== undefined && revEvent.type === 'Put') {
        const revision = this.#parseRevision(revEvent.kv);
        // At or below ours: this process made it, or has read it already.
        if (revision > this.#revision) {
          const next = new Map(this.#objects);
          const upserted: string[] = [];
          const deleted: string[] = [];
          for (const e of group) {
            const key = e.kv.key.toString();
            if (!key.startsWith(this.#objectsPrefix)) continue;
            const objKey = key.slice(this.#objectsPrefix.length);
            if (e.type === 'Put') {
              next.set(objKey, deepFreeze(this.#parseObject(e.kv)));
              upserted.push(objKey);
            } else if (next.delete(objKey)) {
              deleted.push(objKey);
            }
          }
          this.#objects = next;
          this.#sorted = sortByKey(next);
          this.#revision = revision;
          this.#revisionMod = mod;
          notifyWatchers(this.#watchers, deepFreeze({ revision, upserted, deleted }));
        }
      }
      for (const e of group) {
        const key = e.kv.key.toString();
        if (!key.startsWith(this.#statePrefix)) continue;
        this.#applyState(this.#stateName(e.kv), e.type === 'Put' ? this.#parse(e.kv) : undefined, mod);
      }
    }
  }

  /** Takes a state's value as of etcd revision `mod`, unless something newer is already applied. */
  #applyState(name: string, value: unknown, mod: number): void {
    if (mod < (this.#stateMod.get(name) ?? 0)) return;
    this.#stateMod.set(name, mod);
    const cur = this.#states.get(name);
    if (jsonEqual(cur, value)) return;
    if (value === undefined) this.#states.delete(name);
    else this.#states.set(name, deepFreeze(value));
    notifyWatchers(this.#stateWatchers, name);
  }

  #parse(kv: IKeyValue): unknown {
    try {
      return JSON.parse(kv.value.toString());
    } catch (err) {
      throw this.#corrupt(kv, `not valid JSON: ${(err as Error).message}`);
    }
  }

  #parseRevision(kv: IKeyValue): number {
    const v = this.#parse(kv);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw this.#corrupt(kv, 'the store revision must be a non-negative integer');
    return v;
  }

  #parseObject(kv: IKeyValue): StoredObject {
    const s = this.#parse(kv) as Partial<StoredObject> | null;
    const key = kv.key.toString().slice(this.#objectsPrefix.length);
    const r = s?.resource as Partial<AnyResource> | undefined;
    if (typeof s !== 'object' || s === null || typeof s.source !== 'string' || typeof s.revision !== 'number' || typeof r?.kind !== 'string' || typeof r.metadata?.name !== 'string') {
      throw this.#corrupt(kv, 'expected {"key", "resource", "source", "revision"}');
    }
    if (keyOf(r as AnyResource) !== key || s.key !== key) throw this.#corrupt(kv, `the object is ${keyOf(r as AnyResource)}, not ${key}`);
    return { key, resource: r as AnyResource, source: s.source, revision: s.revision };
  }

  #stateName(kv: IKeyValue): string {
    const name = kv.key.toString().slice(this.#statePrefix.length);
    try {
      checkStateName(name);
    } catch (err) {
      throw this.#corrupt(kv, (err as Error).message);
    }
    return name;
  }

  #corrupt(kv: IKeyValue, detail: string): EtcdStoreError {
    return new EtcdStoreError(`etcd store at ${this.where}: key ${kv.key.toString()} is corrupt: ${detail} (nothing was changed; fix or delete the key with etcdctl)`);
  }

  #warn(err: unknown): void {
    process.emitWarning(`etcd store: ${(err as Error)?.message ?? String(err)}`, { code: 'WEFT_STORE_ETCD' });
  }
}
