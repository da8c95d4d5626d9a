// The file store (local mode): the whole store in one directory, readable by its owner only.
//   objects.json        {"format": 1, "revision": N, "objects": [StoredObject, ...]}, sorted by key
//   state-<name>.json   one state document each, the JSON value itself
// Every file is replaced atomically (temp file in the same directory, fsync, rename, fsync the directory),
// so a crash leaves either the old or the new file, never half of one. One process writes a directory.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { keyOf } from '../../api/types.js';
import type { AnyResource } from '../../api/types.js';
import { checkStateName, LocalStore, type Loaded, type Persistence } from './core.js';
import { StoreCorruptError } from './errors.js';
import type { Store, StoredObject } from './store.js';

export const OBJECTS_FILE = 'objects.json';
const FORMAT = 1;
const STATE_FILE = /^state-(.+)\.json$/;
// Temp files start with "." and end with ".tmp"; one left by a crash is removed on the next open.
const TEMP_FILE = /^\..+\.tmp$/;

export const stateFile = (name: string): string => `state-${name}.json`;

export async function openFileStore(dir: string): Promise<Store> {
  const abs = path.resolve(dir);
  await mkdir(abs, { recursive: true, mode: 0o700 });
  // The CA's keys will live here too: never leave the directory open to others.
  if (((await stat(abs)).mode & 0o077) !== 0) await chmod(abs, 0o700);
  const names = await readdir(abs);
  await Promise.all(names.filter((n) => TEMP_FILE.test(n)).map((n) => unlink(path.join(abs, n)).catch(() => {})));
  const loaded = await load(abs, names);
  return new LocalStore(filePersistence(abs), loaded);
}

function filePersistence(dir: string): Persistence {
  return {
    writeObjects: (revision, objects) =>
      writeAtomic(dir, OBJECTS_FILE, `${JSON.stringify({ format: FORMAT, revision, objects }, null, 1)}\n`),
    writeState: async (name, value) => {
      if (value !== undefined) return writeAtomic(dir, stateFile(name), `${JSON.stringify(value, null, 1)}\n`);
      await unlink(path.join(dir, stateFile(name))).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
      await syncDir(dir);
    },
    close: async () => {},
  };
}

async function writeAtomic(dir: string, name: string, data: string): Promise<void> {
  const tmp = path.join(dir, `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(data, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path.join(dir, name));
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  // The rename is durable only once the directory entry is.
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new StoreCorruptError(file, text.trim() === '' ? 'the file is empty' : `not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

async function load(dir: string, names: string[]): Promise<Loaded> {
  const states = new Map<string, unknown>();
  for (const n of names.sort()) {
    const m = STATE_FILE.exec(n);
    if (m === null) continue;
    const file = path.join(dir, n);
    try {
      checkStateName(m[1]);
    } catch (err) {
      throw new StoreCorruptError(file, (err as Error).message);
    }
    const v = await readJson(file);
    if (v !== undefined) states.set(m[1], v);
  }

  const file = path.join(dir, OBJECTS_FILE);
  const doc = await readJson(file);
  if (doc === undefined) return { revision: 0, objects: [], states };
  const bad = (detail: string): never => {
    throw new StoreCorruptError(file, detail);
  };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) bad('expected an object');
  const d = doc as { format?: unknown; revision?: unknown; objects?: unknown };
  if (d.format !== FORMAT) bad(`unknown format ${JSON.stringify(d.format)} (this version reads format ${FORMAT})`);
  const revision = d.revision;
  if (typeof revision !== 'number' || !Number.isSafeInteger(revision) || revision < 0) return bad('"revision" must be a non-negative integer');
  if (!Array.isArray(d.objects)) return bad('"objects" must be an array');
  const seen = new Set<string>();
  const objects = d.objects.map((o: unknown, i: number): StoredObject => {
    const s = o as Partial<StoredObject> | null;
    const r = s?.resource as Partial<AnyResource> | undefined;
    if (typeof s !== 'object' || s === null || typeof s.key !== 'string' || typeof s.source !== 'string') {
      return bad(`objects[${i}]: needs "key", "source", "revision" and "resource"`);
    }
    if (typeof s.revision !== 'number' || !Number.isSafeInteger(s.revision) || s.revision < 1 || s.revision > revision) {
      return bad(`objects[${i}] (${s.key}): "revision" must be an integer from 1 to the store revision ${revision}`);
    }
    if (typeof r !== 'object' || r === null || typeof r.kind !== 'string' || typeof r.metadata?.name !== 'string') {
      return bad(`objects[${i}] (${s.key}): "resource" needs a kind and metadata.name`);
    }
    const key = keyOf(r as AnyResource);
    if (key !== s.key) bad(`objects[${i}]: key ${JSON.stringify(s.key)} does not match its resource (${key})`);
    if (seen.has(key)) bad(`objects[${i}]: key ${key} appears twice`);
    seen.add(key);
    return { key, resource: r as AnyResource, source: s.source, revision: s.revision };
  });
  return { revision, objects, states };
}
