// How CLI commands find a running local mesh: each control plane writes a run file under
// $WEFT_HOME/meshes (default ~/.weft), readable by its user only. chooseMesh decides which one a command
// talks to (flags, WEFT_CONTROL, the current directory), and refuses to guess among several.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
  /**
   * A joined host's mTLS to the control plane's host API: its key and certificate from the mesh CA, the
   * roots to trust, and the control plane's SPIFFE ID to expect. No bearer token then.
   */
  tls?: { key: string; cert: string; ca: string[]; serverId: string };
}

/** What the CLI was told about which mesh to use: flags, environment, where it runs. */
export interface MeshQuery {
  /** --control URL */
  control?: string;
  /** --mesh NAME: a Mesh name as run files record it, or a state dir (or the directory holding it). */
  mesh?: string;
  /** WEFT_CONTROL */
  envControl?: string;
  /** WEFT_TOKEN */
  envToken?: string;
  cwd: string;
}

export interface MeshChoice {
  target: ControlTarget;
  /** The run file of the chosen mesh, when one matches. */
  run?: RunFile;
  /** Set when several meshes run: which one was chosen, for stderr ("mesh shop (/p/.weft)"). */
  note?: string;
}

/** Thrown when the choice needs the user: no mesh, an unknown name, or several meshes and no way to pick. */
export class MeshChoiceError extends Error {}

function real(p: string): string {
  try {
    return realpathSync.native(p);
  } catch {
    return path.resolve(p);
  }
}

/** Whether `inner` is `outer` or below it. */
function within(outer: string, inner: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

function depth(p: string): number {
  return p.split(path.sep).filter(Boolean).length;
}

/** The running meshes as a table, for errors that ask the user to choose. */
export function describeMeshes(runs: RunFile[]): string {
  const rows = [['NAME', 'STATE DIR', 'URL'], ...[...runs].sort((a, b) => a.mesh.localeCompare(b.mesh) || a.stateDir.localeCompare(b.stateDir)).map((r) => [r.mesh, r.stateDir, r.url])];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => '  ' + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}

/**
 * Picks the control plane a CLI command talks to, in this order: --control URL; --mesh NAME|DIR;
 * WEFT_CONTROL; the mesh of the current directory (its project directory holds the cwd, the deepest
 * wins; else the closest state dir below the cwd); the only running mesh. With several running and
 * none of those deciding, it refuses to guess. Pure: `live` are the running meshes' run files,
 * `all` every run file including those whose control plane has exited.
 */
export function chooseMesh(q: MeshQuery, live: RunFile[], all: RunFile[] = live): MeshChoice {
  const several = live.length > 1;
  const chosen = (run: RunFile): MeshChoice => ({
    target: { url: run.url, token: run.token },
    run,
    ...(several ? { note: `mesh ${run.mesh} (${run.stateDir})` } : {}),
  });
  if (q.control !== undefined && q.mesh !== undefined) throw new MeshChoiceError('--control and --mesh both given: use one');
  const byUrl = (url: string): MeshChoice => {
    const u = url.replace(/\/+$/, '');
    // A control plane that is restarting keeps its URL: its run file may name a pid that just died.
    const rf = live.find((r) => r.url === u) ?? all.find((r) => r.url === u);
    const token = q.envToken ?? rf?.token;
    if (!token) throw new MeshChoiceError(`no credential for control plane ${u}: set WEFT_TOKEN, or run the command as the user who started it`);
    return { target: { url: u, token }, ...(rf ? { run: rf } : {}), ...(several && rf ? { note: `mesh ${rf.mesh} (${rf.stateDir})` } : {}) };
  };
  if (q.control !== undefined) return byUrl(q.control);
  if (q.mesh !== undefined) {
    const want = q.mesh;
    const dir = real(path.resolve(q.cwd, want));
    const match = (r: RunFile) => r.mesh === want || real(r.stateDir) === dir || real(path.dirname(r.stateDir)) === dir;
    const hits = live.filter(match);
    if (hits.length === 1) return chosen(hits[0]);
    if (hits.length > 1) {
      throw new MeshChoiceError(`${hits.length} running meshes match --mesh ${want}; pass the state dir instead (--mesh DIR):\n${describeMeshes(hits)}`);
    }
    const stale = all.filter(match);
    if (stale.length > 0) throw new MeshChoiceError(`mesh ${want} is not running (its control plane, pid ${stale[0].pid}, has exited): start it with \`weft up\` in ${path.dirname(stale[0].stateDir)}`);
    if (live.length === 0) throw new MeshChoiceError(`no mesh named ${want} is running, and no other mesh is either: start one with \`weft up -f mesh.yaml\``);
    throw new MeshChoiceError(`no running mesh matches --mesh ${want} (a Mesh name or a state dir); running:\n${describeMeshes(live)}`);
  }
  if (q.envControl) return byUrl(q.envControl);
  if (live.length === 0) throw new MeshChoiceError('no running mesh found: start one with `weft up -f mesh.yaml`, or pass --control URL');
  const cwd = real(q.cwd);
  // The mesh of this directory: its project directory (the state dir's parent) holds the cwd.
  const around = live.filter((r) => within(real(path.dirname(r.stateDir)), cwd));
  if (around.length > 0) {
    const best = Math.max(...around.map((r) => depth(real(path.dirname(r.stateDir)))));
    const top = around.filter((r) => depth(real(path.dirname(r.stateDir))) === best);
    if (top.length === 1) return chosen(top[0]);
    throw new MeshChoiceError(`${top.length} running meshes belong to this directory; choose one with --mesh NAME or --mesh DIR:\n${describeMeshes(top)}`);
  }
  // Else a mesh below the cwd, the closest one.
  const below = live.filter((r) => within(cwd, real(r.stateDir)));
  if (below.length > 0) {
    const best = Math.min(...below.map((r) => depth(real(r.stateDir))));
    const top = below.filter((r) => depth(real(r.stateDir)) === best);
    if (top.length === 1) return chosen(top[0]);
  }
  if (live.length === 1) return chosen(live[0]);
  throw new MeshChoiceError(`${live.length} meshes are running and none belongs to the current directory; choose one with --mesh NAME (or --mesh DIR, or --control URL):\n${describeMeshes(live)}`);
}

/** chooseMesh with this process's environment, working directory and run files. */
export function findMesh(opts: { control?: string; mesh?: string } = {}): MeshChoice {
  const all = listRunFiles(true);
  const live = all.filter((r) => alive(r.pid));
  return chooseMesh({ control: opts.control, mesh: opts.mesh, envControl: process.env.WEFT_CONTROL || undefined, envToken: process.env.WEFT_TOKEN || undefined, cwd: process.cwd() }, live, all);
}

/** The control plane to talk to (findMesh's target); `explicit` is a --control URL. Throws MeshChoiceError. */
export function findControl(explicit?: string): ControlTarget {
  return findMesh({ control: explicit }).target;
}
