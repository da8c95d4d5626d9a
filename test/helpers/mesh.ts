// Starts a real local mesh (`weft up`) in a temporary directory for integration tests, and the small
// tools tests need around it: waiting for a condition with a deadline, status, HTTP calls.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
// Gateway ports for test meshes: free, and outside the range proxies' port-0 binds come from (src/runtime/ports.ts).
import { freePort } from '../../src/runtime/ports.js';
export { freePort };
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
export const ECHO = path.join(ROOT, 'test', 'fixtures', 'echo.mjs');

// The one polling helper, shared with the unit tests beside the code.
export { waitFor } from '../../src/util/wait.js';
import { waitFor } from '../../src/util/wait.js';

export interface CliResult { code: number; stdout: string; stderr: string }

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT): Promise<CliResult> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export interface StatusJson {
  control: { version: string; url: string; pid: number; startedAt: string };
  proxies: { name: string; kind: string; workload: string; namespace: string; version: string | null; configVersion: string | null; state: string; error?: string; app?: { running: boolean; ready: boolean; restarts: number; lastExit?: string; completed?: boolean }; restarts?: number }[];
  gateways: { name: string; listener: string; url: string }[];
}

export class TestMesh {
  readonly dir: string;
  readonly home: string;
  readonly file: string;
  proc!: ChildProcess;
  output = '';
  controlUrl = '';

  constructor(yaml: string) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'weft-test-'));
    this.home = path.join(this.dir, 'home');
    this.file = path.join(this.dir, 'mesh.yaml');
    writeFileSync(this.file, yaml);
  }

  get env(): NodeJS.ProcessEnv {
    return { WEFT_HOME: this.home, ...(this.controlUrl ? { WEFT_CONTROL: this.controlUrl } : {}) };
  }

  /** `command` runs the CLI: this Node on the compiled CLI unless a test starts it another way (bin/weft). */
  async start(extraEnv: NodeJS.ProcessEnv = {}, command: string[] = [process.execPath, CLI], upArgs: string[] = []): Promise<void> {
    this.proc = spawn(command[0], [...command.slice(1), 'up', '-f', this.file, ...upArgs], {
      cwd: this.dir, env: { ...process.env, WEFT_HOME: this.home, NO_COLOR: '1', ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout!.on('data', (d) => (this.output += d));
    this.proc.stderr!.on('data', (d) => (this.output += d));
    const exited = new Promise<never>((_, reject) => this.proc.once('exit', (c) => reject(new Error(`weft up exited with ${c}:\n${this.output}`))));
    await Promise.race([exited, waitFor('weft up to report ready', () => this.output.includes('weft: ready'), 60_000)]);
    this.controlUrl = this.runtime().control;
  }

  runtime(): { pid: number; control: string; processes: { name: string; pid: number; ports?: { outbound?: number; inbound?: number; admin: number } }[] } {
    return JSON.parse(readFileSync(path.join(this.dir, '.weft', 'runtime.json'), 'utf8'));
  }

  async status(): Promise<StatusJson> {
    const r = await runCli(['status', '-o', 'json'], this.env, this.dir);
    if (r.code !== 0) throw new Error(`weft status failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as StatusJson;
  }

  async waitAllSynced(timeoutMs = 30_000, version?: (s: StatusJson) => boolean): Promise<StatusJson> {
    return waitFor('every proxy SYNCED', async () => {
      const s = await this.status();
      return s.proxies.length > 0 && s.proxies.every((p) => p.state === 'SYNCED' || p.state === 'DONE') && (version === undefined || version(s)) ? s : undefined;
    }, timeoutMs, 100);
  }

  cli(args: string[]): Promise<CliResult> {
    return runCli(args, this.env, this.dir);
  }

  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
    if (this.proc.exitCode !== null) return this.proc.exitCode;
    const done = new Promise<number | null>((resolve) => this.proc.once('exit', (c) => resolve(c)));
    this.proc.kill(signal);
    return done;
  }

  /** Processes still alive whose command line or working directory is inside this mesh's directory. */
  leftovers(): string[] {
    const out: string[] = [];
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
        let cwd = '';
        try { cwd = readlinkSync(`/proc/${pid}/cwd`); } catch { /* gone */ }
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (stat.split(') ')[1]?.startsWith('Z')) continue; // zombie: already exited
        if (cmd.includes(this.dir) || cwd.startsWith(this.dir)) out.push(`${pid} ${cmd}`);
      } catch { /* raced with exit */ }
    }
    return out;
  }

  /** Every line `weft up` wrote to its log files (<stateDir>/logs/**), for tests that look for an app's or proxy's line. */
  logText(): string {
    const out: string[] = [];
    const walk = (d: string) => {
      let names: string[] = [];
      try { names = readdirSync(d); } catch { return; }
      for (const n of names.sort()) {
        const p = path.join(d, n);
        if (n.endsWith('.log') || n.endsWith('.log.1')) out.push(readFileSync(p, 'utf8'));
        else walk(p);
      }
    };
    walk(path.join(this.dir, '.weft', 'logs'));
    return out.join('');
  }

  exists(p: string): boolean {
    return existsSync(path.join(this.dir, p));
  }
}

export interface HttpResult { status: number; headers: http.IncomingHttpHeaders; body: string; json?: any }

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/** One HTTP/1.1 request; `target` may be absolute-form when sent to a proxy's outbound port. */
export function httpCall(port: number, target: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: target, method: opts.method ?? 'GET', headers: opts.headers, agent, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        let json: unknown;
        try { json = JSON.parse(body); } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout on ${target}`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A mesh for a test file: a free gateway port, `yaml(port)` started and every proxy SYNCED. */
export async function startMesh(yaml: (gw: number) => string): Promise<{ mesh: TestMesh; gw: number }> {
  const gw = await freePort();
  const mesh = new TestMesh(yaml(gw));
  await mesh.start();
  await mesh.waitAllSynced();
  return { mesh, gw };
}

/** Until every one of `replicas` has answered a request for `path` through the gateway (x-served-by). */
export function waitServedBy(gw: number, path: string, replicas: string[], timeoutMs = 20_000): Promise<true> {
  return waitFor(`${replicas.join(', ')} behind ${path}`, async () => {
    const seen = new Set<string>();
    for (let i = 0; i < replicas.length * 4; i++) seen.add(String((await httpCall(gw, path)).headers['x-served-by']));
    return replicas.every((r) => seen.has(r)) ? true : undefined;
  }, timeoutMs, 100);
}
