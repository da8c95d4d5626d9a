// The in-memory store: the same behaviour as the file store, nothing survives the process. For tests and
// for tools that need a throwaway mesh state.
import { LocalStore, type Persistence } from './core.js';
import type { Store } from './store.js';

const nothing: Persistence = {
  writeObjects: async () => {},
  writeState: async () => {},
  close: async () => {},
};

export function createMemoryStore(): Store {
  return new LocalStore(nothing);
}
