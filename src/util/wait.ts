// The one polling helper for tests (unit tests beside the code and integration tests under test/, which get
// it through test/helpers/mesh.ts): wait for a condition, always with a deadline, and say what was awaited.

/**
 * Calls `fn` until it returns something other than undefined or false, and resolves with that value.
 * A throw counts as "not yet" (its message is kept for the timeout error). Rejects after `timeoutMs`
 * naming `what`. Polls every `everyMs` (0: on the next turn of the event loop, for in-process conditions).
 */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => (everyMs > 0 ? setTimeout(r, everyMs) : setImmediate(r)));
  }
}
