// How CLI commands find a running local mesh with no flags: each control plane writes a run file under
// $WEFT_HOME/meshes (default ~/.weft), readable by its user only. `--control URL` or WEFT_CONTROL picks one.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { alive } from '../util/process.js';

export interface RunFile {
  url: string;
  xds: string;
  token: string;
  pid: number;
  stateDir: string;
  mesh: string;
  startedAt: string;
}

export function weftHome(): string {
  return process.env.WEFT_HOME ?? path.join(os.homedir(), '.weft');
}

function runFilePath(stateDir: string): string {
  return path.join(weftHome(), 'meshes', `${createHash('sha256').update(path.resolve(stateDir)).digest('hex').slice(0, 16)}.json`);
}

export function writeRunFile(rf: RunFile): string {
  const file = runFilePath(rf.stateDir);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(rf, null, 2), { mode: 0o600 });
  renameSync(tmp, file);
  return file;
}

export function removeRunFile(stateDir: string, pid: number): void {
  const file = runFilePath(stateDir);
  try {
    const rf = JSON.parse(readFileSync(file, 'utf8')) as RunFile;
    if (rf.pid === pid) rmSync(file, { force: true });
  } catch {
    /* already gone */
  }
}


export function listRunFiles(includeStale = false): RunFile[] {
  const dir = path.join(weftHome(), 'meshes');
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: RunFile[] = [];
  for (const n of names) {
    try {
      const rf = JSON.parse(readFileSync(path.join(dir, n), 'utf8')) as RunFile;
      if (includeStale || alive(rf.pid)) out.push(rf);
    } catch {
      /* a half-written or foreign file: skip */
    }
  }
  return out;
}

export interface ControlTarget {
  url: string;
  token: string;
}

/** Picks the control plane a CLI command talks to; throws with a hint when there is none. */
export function findControl(explicit?: string): ControlTarget {
  const url = explicit ?? process.env.WEFT_CONTROL;
  if (url) {
    const u = url.replace(/\/+$/, '');
    // A control plane that is restarting keeps its URL: its run file may name a pid that just died.
    const rf = listRunFiles(true).find((r) => r.url === u);
    const token = process.env.WEFT_TOKEN ?? rf?.token;
    if (!token) throw new Error(`no credential for control plane ${u}: set WEFT_TOKEN, or run the command as the user who started it`);
    return { url: u, token };
  }
  const runs = listRunFiles();
  if (runs.length === 0) throw new Error('no running mesh found: start one with `weft up -f mesh.yaml`, or pass --control URL');
  const cwd = process.cwd();
  const near = runs.filter((r) => cwd.startsWith(path.dirname(r.stateDir)));
  const pick = (near.length > 0 ? near : runs).sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
  return { url: pick.url, token: pick.token };
}
