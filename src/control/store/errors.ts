// The store's own errors, with stable codes.

/** The store's files could not be read as a store: names the file and what is wrong. Nothing is overwritten. */
export class StoreCorruptError extends Error {
  override readonly name = 'StoreCorruptError';
  readonly code = 'store-corrupt';
  constructor(readonly file: string, detail: string, options?: { cause?: unknown }) {
    super(`store file ${file} is corrupt: ${detail} (the store was not opened and nothing was changed; restore the file or move it away to start empty)`, options);
  }
}

export class StoreClosedError extends Error {
  override readonly name = 'StoreClosedError';
  readonly code = 'store-closed';
  constructor() {
    super('store is closed');
  }
}
