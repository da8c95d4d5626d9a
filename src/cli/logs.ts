// `weft logs NAME`: what a workload's replicas, a proxy or the control plane wrote, from the files `weft up`
// keeps under <stateDir>/logs (each line starts with the time it was read). Several files are merged in
// time order, each line prefixed with where it came from; -f follows, including files created later.
import { existsSync, readdirSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { call } from '../control/client.js';
import type { ControlStatus } from '../api/control-api.js';
import { closest } from '../api/suggest.js';
import { fail, target, withControl } from './common.js';

export interface LogSource {
  /** Shown before each line: "web-0" (app), "web-0/proxy", "gateway-edge", "control". */
  label: string;
  file: string;
}

export interface LogLine { time: string; label: string; text: string }

const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) /;

/** Splits a file's text into lines with their time (a line without one inherits the previous line's). */
export function parseLines(text: string, label: string): LogLine[] {
  const out: LogLine[] = [];
  let last = '';
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    const m = STAMP.exec(raw);
    if (m) last = m[1];
    out.push({ time: last, label, text: m ? raw.slice(m[0].length) : raw });
  }
  return out;
}

/** Lines of several files in time order (stable: one file's lines keep their order), from `since` on. */
export function mergeLines(lines: LogLine[][], since?: string): LogLine[] {
  return lines.flat().map((l, i) => ({ l, i })).filter(({ l }) => since === undefined || l.time >= since)
    .sort((a, b) => (a.l.time < b.l.time ? -1 : a.l.time > b.l.time ? 1 : a.i - b.i)).map(({ l }) => l);
}

export function renderLines(lines: LogLine[], o: { prefix: boolean; timestamps: boolean }): string {
  const width = Math.max(0, ...lines.map((l) => l.label.length));
  return lines.map((l) => `${o.prefix ? `${l.label.padEnd(width)} | ` : ''}${o.timestamps && l.time ? `${l.time} ` : ''}${l.text}\n`).join('');
}

/** "5m", "30s", "2h" ago, or an RFC 3339 time, as an ISO string comparable with the files' stamps. */
export function sinceArg(v: string, now = Date.now()): string {
  const m = /^(\d+)(s|m|h)$/.exec(v);
  if (m) return new Date(now - Number(m[1]) * (m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 3_600_000)).toISOString();
  const t = Date.parse(v);
  if (!/^\d{4}-\d\d-\d\dT/.test(v) || Number.isNaN(t)) throw new InvalidArgumentError(`--since must be a duration like 30s, 5m, 2h or an RFC 3339 time like 2026-01-02T15:04:05Z, got "${v}"`);
  return new Date(t).toISOString();
}

/** Every name `weft logs` accepts in this state dir: workloads, replicas, proxies, "control". */
export function logNames(logDir: string): { workloads: Map<string, string[]>; dirs: string[] } {
  let dirs: string[] = [];
  try {
    dirs = readdirSync(logDir).filter((n) => statSync(path.join(logDir, n)).isDirectory()).sort();
  } catch {
    /* no logs yet */
  }
  const workloads = new Map<string, string[]>();
  for (const d of dirs) {
    const m = /^(.+)-\d+$/.exec(d);
    if (m && existsSync(path.join(logDir, d, 'app.log'))) workloads.set(m[1], [...(workloads.get(m[1]) ?? []), d]);
  }
  return { workloads, dirs };
}

/** The files for `name`, or an error naming what exists (with a "did you mean"). */
export function sourcesFor(logDir: string, name: string, only?: 'app' | 'proxy'): LogSource[] | string {
  const { workloads, dirs } = logNames(logDir);
  const of = (d: string): LogSource[] => {
    const out: LogSource[] = [];
    const isReplica = existsSync(path.join(logDir, d, 'app.log'));
    if (only !== 'proxy' && isReplica) out.push({ label: d, file: path.join(logDir, d, 'app.log') });
    if (only !== 'app') out.push({ label: isReplica ? `${d}/proxy` : d, file: path.join(logDir, d, 'proxy.log') });
    return out;
  };
  if (name === 'control') return [{ label: 'control', file: path.join(logDir, 'control.log') }];
  const bare = name.replace(/\/proxy$/, '');
  if (dirs.includes(bare)) return of(bare).filter((s) => !name.endsWith('/proxy') || s.file.endsWith('proxy.log'));
  const reps = workloads.get(name);
  if (reps) return reps.flatMap(of);
  const known = [...workloads.keys(), ...dirs, 'control'];
  const guess = closest(name, known);
  return `no workload, replica or proxy named "${name}" in ${logDir}${guess ? `; did you mean "${guess}"?` : ''}\nnames: ${[...new Set(known)].join(', ')}`;
}

function readFrom(file: string, offset: number): { text: string; size: number; ino: number } | undefined {
  let st;
  try {
    st = statSync(file);
  } catch {
    return undefined;
  }
  if (st.size <= offset) return { text: '', size: st.size, ino: st.ino };
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(st.size - offset);
    const n = readSync(fd, buf, 0, buf.length, offset);
    return { text: buf.subarray(0, n).toString('utf8'), size: offset + n, ino: st.ino };
  } finally {
    closeSync(fd);
  }
}

async function stateDirOf(o: { state?: string; control?: string }): Promise<string> {
  if (o.state) return path.resolve(o.state);
  try {
    const st = await call<ControlStatus>(target(o), 'GET', '/v1/status', undefined, 3000);
    if (st.control.stateDir) return st.control.stateDir;
  } catch (e) {
    if (o.control) fail(`${(e as Error).message}; or pass --state DIR`);
  }
  if (existsSync('.weft')) return path.resolve('.weft');
  fail(`no running mesh found and no .weft in ${process.cwd()}: pass --state DIR (the mesh's state directory)`);
}

export function registerLogs(program: Command): void {
  withControl(program.command('logs'))
    .description("a workload's (all replicas), a replica's, a proxy's or the control plane's output, from the files `weft up` keeps")
    .argument('<name>', 'workload (e.g. web), replica (web-0), proxy (web-0/proxy, gateway-edge) or "control"')
    .option('-f, --follow', 'keep printing new lines (including replicas started later)')
    .option('--app', "only the apps' output")
    .option('--proxy', "only the proxies' output (access log and messages)")
    .option('--since <when>', 'only lines from this long ago (30s, 5m, 2h) or since an RFC 3339 time', (v) => sinceArg(v))
    .option('--timestamps', 'show the time each line was read')
    .option('--state <dir>', 'state directory (default: the running mesh\'s, else ./.weft)')
    .action(async (name: string, o: { follow?: boolean; app?: boolean; proxy?: boolean; since?: string; timestamps?: boolean; state?: string; control?: string }) => {
      if (o.app && o.proxy) fail('--app and --proxy exclude each other; give neither for both');
      const logDir = path.join(await stateDirOf(o), 'logs');
      const only = o.app ? 'app' : o.proxy ? 'proxy' : undefined;
      const found = sourcesFor(logDir, name, only);
      if (typeof found === 'string') fail(found);
      const prefix = found.length > 1 || name !== found[0]?.label;
      const pos = new Map<string, { size: number; ino: number }>();
      const lines: LogLine[][] = [];
      for (const s of found) {
        const old = readFrom(`${s.file}.1`, 0);
        const cur = readFrom(s.file, 0);
        if (cur) pos.set(s.file, { size: cur.size, ino: cur.ino });
        lines.push(parseLines(`${old?.text ?? ''}${cur?.text ?? ''}`, s.label));
      }
      const render = (ls: LogLine[]) => { if (ls.length > 0) process.stdout.write(renderLines(ls, { prefix, timestamps: o.timestamps === true })); };
      render(mergeLines(lines, o.since));
      if (!o.follow) return;
      process.stdout.on('error', () => process.exit(0));
      const partial = new Map<string, string>();
      const poll = () => {
        // A workload's replicas come and go: look for new files on every round.
        const now = sourcesFor(logDir, name, only);
        const sources = typeof now === 'string' ? found : now;
        const batch: LogLine[][] = [];
        for (const s of sources) {
          const p = pos.get(s.file);
          let got = readFrom(s.file, p?.size ?? 0);
          if (got === undefined) continue;
          // Rotated (a new file under the name) or truncated: read the new file from its start.
          if (p !== undefined && (got.ino !== p.ino || got.size < p.size)) got = readFrom(s.file, 0);
          if (got === undefined) continue;
          pos.set(s.file, { size: got.size, ino: got.ino });
          const text = (partial.get(s.file) ?? '') + got.text;
          const cut = text.lastIndexOf('\n');
          partial.set(s.file, text.slice(cut + 1));
          if (cut >= 0) batch.push(parseLines(text.slice(0, cut + 1), s.label));
        }
        render(mergeLines(batch, o.since));
      };
      setInterval(poll, 250);
    });
}
