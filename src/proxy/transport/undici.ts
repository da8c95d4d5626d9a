// undici's connection pool, loaded from its own module rather than undici's entry point. The entry point
// also loads fetch, WebSocket, EventSource, the cache and mock layers, none of which a proxy uses; measured
// on Node 20, a process that loads the entry point and makes one request sits at ~71 MB RSS, one that loads
// only the pool at ~55 MB. Types still come from the package's declarations.
import type { Pool as PoolType } from 'undici';
// @ts-expect-error -- a deep import of a CommonJS module without its own declaration; typed just below.
import PoolImpl from 'undici/lib/dispatcher/pool.js';

export const Pool = PoolImpl as typeof PoolType;
export type Pool = PoolType;

// undici's header-name lookup: a trie over the bytes of well-known names that returns the lower-case name
// as one shared string, with no Buffer decoding or toLowerCase for the common case; other names are decoded.
// @ts-expect-error -- as above.
import undiciUtil from 'undici/lib/core/util.js';

export const headerNameToString = (undiciUtil as { headerNameToString: (name: Buffer | string) => string }).headerNameToString;
