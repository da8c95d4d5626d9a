// A control plane alone (`weft control -f mesh.yaml`), for integration tests of the config API, sources and
// checks that need no workloads running: a real process with real sockets, started in a temporary directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { call, ControlError } from '../../src/control/client.js';
import { CLI, runCli, waitFor, type CliResult } from './mesh.js';

export class TestControl {
  readonly dir: string;
  readonly home: string;
  readonly file: string;
  proc!: ChildProcess;
  output = '';
  url = '';
  token = '';

  constructor(yaml: string) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'weft-control-test-'));
    this.home = path.join(this.dir, 'home');
    this.file = path.join(this.dir, 'mesh.yaml');
    writeFileSync(this.file, yaml);
  }

  async start(): Promise<void> {
    this.proc = spawn(process.execPath, [CLI, 'control', '--state', path.join(this.dir, 'state'), '-f', this.file], {
      cwd: this.dir, env: { ...process.env, WEFT_HOME: this.home, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout!.on('data', (d) => (this.output += d));
    this.proc.stderr!.on('data', (d) => (this.output += d));
    const exited = new Promise<never>((_, reject) => this.proc.once('exit', (c) => reject(new Error(`weft control exited with ${c}:\n${this.output}`))));
    const m = await Promise.race([exited, waitFor('the control plane to listen', () => / api=(http:\/\/\S+) /.exec(this.output) ?? undefined, 30_000)]);
    this.url = m[1];
    const dir = path.join(this.home, 'meshes');
    const rf = readdirSync(dir).filter((n) => n.endsWith('.json')).map((n) => JSON.parse(readFileSync(path.join(dir, n), 'utf8')) as { url: string; token: string });
    this.token = rf.find((r) => r.url === this.url)!.token;
  }

  /** The API answer, or for a non-2xx answer {status, body}. */
  async api<T = unknown>(method: 'GET' | 'POST' | 'PUT', p: string, body?: unknown): Promise<{ status: number; body: T }> {
    try {
      return { status: 200, body: await call<T>({ url: this.url, token: this.token }, method, p, body) };
    } catch (e) {
      if (e instanceof ControlError && e.status !== 0) return { status: e.status, body: e.body as T };
      throw e;
    }
  }

  cli(args: string[]): Promise<CliResult> {
    return runCli(args, { WEFT_HOME: this.home, WEFT_CONTROL: this.url }, this.dir);
  }

  /** Rewrites the watched file and waits for the control plane to say it reloaded it (or rejected it). */
  async save(yaml: string): Promise<string> {
    const before = this.output.length;
    writeFileSync(this.file, yaml);
    return waitFor(`the control plane to reload ${this.file}`, () => {
      const tail = this.output.slice(before);
      return tail.includes(`reloaded ${this.file}`) || tail.includes(`rejected change to ${this.file}`) ? tail : undefined;
    }, 20_000);
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const done = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.kill('SIGTERM');
    await done;
  }
}
