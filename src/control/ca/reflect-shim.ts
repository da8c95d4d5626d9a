// @peculiar/x509 registers its algorithms through tsyringe, which refuses to load unless a Reflect metadata
// API exists. It only ever stores and reads metadata by key, so this small WeakMap-backed version is enough;
// a real polyfill (reflect-metadata) takes precedence if one is loaded first.
// Import this module before '@peculiar/x509' (src/control/ca/x509.ts does).

type Key = unknown;
const store = new WeakMap<object, Map<Key, Map<string | symbol | undefined, unknown>>>();

function own(target: object, prop: string | symbol | undefined, create: boolean): Map<Key, unknown> | undefined {
  let byProp = store.get(target);
  if (!byProp) {
    if (!create) return undefined;
    byProp = new Map();
    store.set(target, byProp);
  }
  let byKey = byProp.get(prop) as Map<Key, unknown> | undefined;
  if (!byKey && create) {
    byKey = new Map();
    byProp.set(prop, byKey as Map<string | symbol | undefined, unknown>);
  }
  return byKey;
}

function getOwnMetadata(key: Key, target: object, prop?: string | symbol): unknown {
  return own(target, prop, false)?.get(key);
}

function hasOwnMetadata(key: Key, target: object, prop?: string | symbol): boolean {
  return own(target, prop, false)?.has(key) ?? false;
}

function getMetadata(key: Key, target: object, prop?: string | symbol): unknown {
  for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
    if (hasOwnMetadata(key, t, prop)) return getOwnMetadata(key, t, prop);
  }
  return undefined;
}

function hasMetadata(key: Key, target: object, prop?: string | symbol): boolean {
  for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
    if (hasOwnMetadata(key, t, prop)) return true;
  }
  return false;
}

function defineMetadata(key: Key, value: unknown, target: object, prop?: string | symbol): void {
  own(target, prop, true)!.set(key, value);
}

function metadata(key: Key, value: unknown) {
  return (target: object, prop?: string | symbol): void => defineMetadata(key, value, target, prop);
}

const R = Reflect as unknown as Record<string, unknown>;
if (typeof R.getMetadata !== 'function') {
  Object.assign(R, { getMetadata, getOwnMetadata, hasMetadata, hasOwnMetadata, defineMetadata, metadata });
}
