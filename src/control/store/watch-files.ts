// Tells when config files given to `weft up -f` change. Editors often save by writing a new file and
// renaming it over the old one, which silently ends a watch on the old file's inode; so we watch each
// parent directory and filter by name. Events are noisy (several per save, and some for saves that change
// nothing), so each file is debounced and reported only when its content hash differs from the last seen.
import { createHash } from 'node:crypto';
import { watch, readFileSync, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export interface WatchFilesOptions {
  /** Quiet time after the last event before a file is read. Default 100 ms. */
  debounceMs?: number;
}

export interface FileWatcher {
  close(): void;
}

interface Watched {
  /** The path as the caller gave it; onChange gets this back. */
  given: string;
  abs: string;
  /** sha256 of the content last seen; undefined while the file has never existed. */
  hash?: string;
  timer?: NodeJS.Timeout;
}

interface WatchedDir {
  dir: string;
  files: Map<string, Watched[]>;
  watcher?: FSWatcher;
  retry?: NodeJS.Timeout;
}

const RETRY_MS = 1000;

const hashOf = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * Calls onChange(path) after a watched file's content changes. A file that disappears is not reported
 * (an empty config is not the same as a missing one; a save in progress can look like a delete); when it
 * comes back with different content it is. Throws if a parent directory cannot be watched at the start.
 */
export function watchFiles(paths: string[], onChange: (path: string) => void, opts: WatchFilesOptions = {}): FileWatcher {
  const debounceMs = opts.debounceMs ?? 100;
  const dirs = new Map<string, WatchedDir>();
  let closed = false;
  // Checks run one at a time, in the order their debounce ended: reports come in event order.
  let tail: Promise<void> = Promise.resolve();

  for (const given of paths) {
    const abs = path.resolve(given);
    const dir = path.dirname(abs);
    const d = dirs.get(dir) ?? { dir, files: new Map<string, Watched[]>() };
    dirs.set(dir, d);
    const base = path.basename(abs);
    const list = d.files.get(base) ?? [];
    d.files.set(base, list);
    if (list.some((w) => w.abs === abs)) continue;
    let hash: string | undefined;
    try {
      hash = hashOf(readFileSync(abs));
    } catch {
      // Missing or unreadable now: the first content we manage to read counts as a change.
    }
    list.push({ given, abs, hash });
  }

  const check = async (w: Watched): Promise<void> => {
    if (closed) return;
    let content: Buffer;
    try {
      content = await readFile(w.abs);
    } catch {
      return; // gone or mid-replace; a later event (the file coming back) checks again
    }
    const hash = hashOf(content);
    if (closed || hash === w.hash) return;
    w.hash = hash;
    try {
      onChange(w.given);
    } catch (err) {
      process.emitWarning(`watchFiles callback for ${w.given} threw: ${(err as Error)?.stack ?? String(err)}`, { code: 'WEFT_WATCH_FILES' });
    }
  };

  const schedule = (w: Watched) => {
    if (closed) return;
    clearTimeout(w.timer);
    w.timer = setTimeout(() => {
      w.timer = undefined;
      tail = tail.then(() => check(w));
    }, debounceMs);
  };

  const all = (d: WatchedDir) => [...d.files.values()].flat();

  const arm = (d: WatchedDir): void => {
    const watcher = watch(d.dir, { persistent: true }, (_event, filename) => {
      // Some platforms give no name: then any watched file in the directory may have changed.
      const name = filename === null ? undefined : String(filename);
      for (const w of name === undefined ? all(d) : d.files.get(name) ?? []) schedule(w);
    });
    watcher.on('error', () => {
      // The directory went away or the watch broke: re-arm until it works, then re-check everything,
      // since changes made meanwhile produced no event.
      watcher.close();
      if (d.watcher === watcher) d.watcher = undefined;
      const retry = () => {
        d.retry = undefined;
        if (closed) return;
        try {
          arm(d);
          for (const w of all(d)) schedule(w);
        } catch {
          d.retry = setTimeout(retry, RETRY_MS);
        }
      };
      if (!closed) d.retry = setTimeout(retry, RETRY_MS);
    });
    d.watcher = watcher;
  };

  const close = () => {
    closed = true;
    for (const d of dirs.values()) {
      d.watcher?.close();
      clearTimeout(d.retry);
      for (const w of all(d)) clearTimeout(w.timer);
    }
  };

  for (const d of dirs.values()) {
    try {
      arm(d);
    } catch (err) {
      close();
      throw new Error(`cannot watch ${d.dir} for changes to ${[...d.files.keys()].join(', ')}: ${(err as Error).message}`, { cause: err });
    }
  }
  return { close };
}
