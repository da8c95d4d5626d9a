// The terminal's progress file: $WEFT_HOME/learn/progress.json (default ~/.weft). Written atomically: a temp
// file beside it is written and fsynced, then renamed over it, then the directory is fsynced, so a crash at
// any point leaves either the old file or the new one. A file that cannot be read is moved aside with a
// message, never silently replaced.
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { weftHome } from '../control/discovery.js';
import { emptyProgress, mergeProgress, parseProgress, ProgressError, serializeProgress, type Progress } from './progress.js';
import { alive } from '../util/process.js';

export function progressPath(): string {
  return path.join(weftHome(), 'learn', 'progress.json');
}

export interface Loaded {
  progress: Progress;
  /** Set when the file was unusable: what was wrong and where it was moved. */
  notice?: string;
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}


/** Removes temp files left by writers that died mid-write (their pid is gone); a live writer's are kept. */
function sweepTemps(file: string): void {
  const dir = path.dirname(file), base = path.basename(file);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = n.startsWith(`${base}.tmp-`) ? /^(\d+)-/.exec(n.slice(base.length + 5)) : null;
    if (m && !alive(Number(m[1]))) {
      try {
        unlinkSync(path.join(dir, n));
      } catch {
        /* another process swept it first */
      }
    }
  }
}

function moveAside(file: string, why: string): string {
  const to = `${file}.corrupt-${stamp()}`;
  renameSync(file, to);
  return `weft learn: the progress file ${file} could not be read (${why}); it was kept as ${to} and a new one was started. Fix it and bring it back with \`weft learn import ${to}\`.`;
}

export function loadProgress(file: string): Loaded {
  sweepTemps(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { progress: emptyProgress() };
    throw new Error(`cannot read the progress file ${file}: ${(e as Error).message}`);
  }
  try {
    return { progress: parseProgress(text) };
  } catch (e) {
    if (!(e instanceof ProgressError)) throw e;
    return { progress: emptyProgress(), notice: moveAside(file, e.message) };
  }
}

function writeAtomically(file: string, text: string): void {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing to clean */
    }
    throw e;
  }
  const d = openSync(dir, 'r');
  try {
    fsyncSync(d);
  } finally {
    closeSync(d);
  }
}

export interface SaveOptions {
  /** Fold in reviews another process saved to the file meanwhile (default). Off for a deliberate reset. */
  merge?: boolean;
}

/** Saves progress and returns what was written (with any reviews merged in from the file). */
export function saveProgress(file: string, p: Progress, o: SaveOptions = {}): Loaded {
  let out = p;
  let notice: string | undefined;
  if (o.merge !== false) {
    const disk = loadProgress(file);
    notice = disk.notice;
    out = mergeProgress(p, disk.progress);
  }
  writeAtomically(file, serializeProgress(out));
  return { progress: out, notice };
}

/** Keeps a copy of the current file before a reset; returns its path, or null when there was no file. */
export function backupProgress(file: string): string | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const to = `${file}.bak-${stamp()}`;
  writeAtomically(to, text);
  return to;
}
