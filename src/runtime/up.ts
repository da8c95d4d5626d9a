// Local mode: runs the control plane, an ingress gateway proxy per Gateway, and every Workload replica as
// an app process beside its own sidecar proxy, all on one machine. Stops in order: gateways stop
// accepting and finish in-flight requests, apps stop, then sidecars, then the control plane.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import net from 'node:net';
import type { Gateway, Workload, Service } from '../api/types.js';
import type { Loaded } from '../api/load.js';
import { loadOrCreateSecrets, mintProxyToken } from '../control/secrets.js';
import { call } from '../control/client.js';
import type { ControlTarget } from '../control/discovery.js';
import type { ProxyRef, RegisteredEndpoint } from '../control/translate/index.js';
import { gatewayProxyName, meshOf } from '../control/translate/index.js';
import type { ProxyIpc } from '../proxy/main.js';
import { Logs } from './logs.js';
import { proxyExecArgv } from '../proxy/flags.js';
import { reservePort, type PortReservation } from './ports.js';
import { portProtocol } from '../api/protocol.js';

const MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const RUNTIME_ID = 'local';

export interface UpOptions {
  files: string[];
  objects: Loaded[];
  stateDir: string;
  logs?: Logs;
  /** Wait before restarting a control plane that died (it keeps its ports). */
  controlRestartDelayMs?: number;
  /** Bind address for control plane and proxies' local listeners. */
  host?: string;
}

export interface GatewayUrl {
  name: string;
  listener: string;
  url: string;
}

interface Proc {
  name: string;
  child?: ChildProcess;
  exited?: Promise<void>;
  restarts: number;
}

interface Replica {
  ref: ProxyRef;
  workload: Workload;
  appPort: number;
  /** Holds appPort (when the runtime chose it) until the app is first started: src/runtime/ports.ts says why. */
  appPortHold?: PortReservation;
  proxy: Proc;
  app: Proc;
  ports?: Extract<ProxyIpc, { type: 'ready' }>['ports'];
  ready: boolean;
  probeTimer?: NodeJS.Timeout;
}

export class LocalMesh {
  private readonly logs: Logs;
  private readonly host: string;
  private control: Proc = { name: 'control', restarts: 0 };
  private controlPorts = { api: 0, xds: 0 };
  target: ControlTarget | undefined;
  private xdsUrl = '';
  /** The mesh CA's roots and trust domain, so a new proxy can verify the control plane before it has a certificate. */
  private bundle: string[] = [];
  private trustDomain = '';
  private readonly replicas: Replica[] = [];
  private readonly gateways: { ref: ProxyRef; proc: Proc; listeners: GatewayUrl[]; ports?: Replica['ports'] }[] = [];
  private stopping = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private reportTimer: NodeJS.Timeout | undefined;
  private readonly secrets;

  constructor(private readonly o: UpOptions) {
    this.logs = o.logs ?? new Logs();
    this.host = o.host ?? '127.0.0.1';
    mkdirSync(o.stateDir, { recursive: true, mode: 0o700 });
    this.secrets = loadOrCreateSecrets(o.stateDir);
  }

  get stateDir(): string {
    return this.o.stateDir;
  }

  private log(msg: string): void {
    this.logs.line('weft', msg);
  }

  async start(): Promise<GatewayUrl[]> {
    const objects = this.o.objects.map((l) => l.resource);
    const mesh = meshOf(objects);
    await this.startControl();
    // A fresh start replaces whatever an earlier run of this mesh left registered.
    await this.report().catch(() => {});
    this.heartbeat = setInterval(() => void this.report().catch(() => {}), 2000);
    this.heartbeat.unref();

    const gws = objects.filter((o): o is Gateway => o.kind === 'Gateway');
    const gwReady = gws.map((g) => this.startGateway(g));

    const workloads = objects.filter((o): o is Workload => o.kind === 'Workload');
    const starts: Promise<void>[] = [];
    for (const w of workloads) {
      for (let i = 0; i < w.spec.replicas; i++) starts.push(this.startReplica(w, i, objects.filter((o): o is Service => o.kind === 'Service'), mesh.defaultNamespace, fileDirOf(this.o.objects, w)));
    }
    await Promise.all(starts);
    const urls = (await Promise.all(gwReady)).flat();
    await this.settle(30_000);
    this.writeRuntimeFile();
    return urls;
  }

  /** Waits until every app is ready and every proxy runs the config that includes that (bounded). */
  private async settle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.replicas.some((r) => !r.ready)) {
      if (Date.now() > deadline) {
        this.log(`not ready after ${timeoutMs / 1000} s: ${this.replicas.filter((r) => !r.ready).map((r) => r.ref.name).join(', ')} (see their logs)`);
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.report().catch(() => {});
    type St = { proxies: { state: string }[] };
    while (Date.now() < deadline) {
      const st = await call<St>(this.target!, 'GET', '/v1/status').catch(() => undefined);
      if (st && st.proxies.every((p) => p.state === 'SYNCED')) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    this.log('not every proxy is SYNCED yet: see `weft status`');
  }

  // ---- control plane ----

  private async startControl(): Promise<void> {
    const args = ['control', '--state', this.o.stateDir, '--host', this.host, '--api-port', String(this.controlPorts.api), '--xds-port', String(this.controlPorts.xds)];
    for (const f of this.o.files) args.push('-f', f);
    const child = fork(MAIN, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    this.control.child = child;
    this.logs.pipe('control', child.stdout);
    this.logs.pipe('control', child.stderr);
    const listening = new Promise<void>((resolve, reject) => {
      child.on('message', (m) => {
        const msg = m as { type?: string; api: string; xds: string; apiPort: number; xdsPort: number; bundle: string[]; trustDomain: string };
        if (msg?.type === 'listening') {
          this.bundle = msg.bundle;
          this.trustDomain = msg.trustDomain;
          this.controlPorts = { api: msg.apiPort, xds: msg.xdsPort };
          this.target = { url: msg.api, token: this.secrets.adminToken };
          this.xdsUrl = msg.xds;
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`control plane exited with code ${code} before it was ready`)));
    });
    this.control.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      const delay = this.o.controlRestartDelayMs ?? 1000;
      this.log(`control plane exited (${signal ?? code}); proxies keep serving their last config; restarting in ${delay} ms`);
      setTimeout(() => {
        if (this.stopping) return;
        this.control.restarts++;
        this.startControl().then(() => this.report()).catch((e) => this.log(`control plane restart failed: ${(e as Error).message}`));
      }, delay).unref();
    });
    await listening;
  }

  // ---- registry ----

  private endpoints(): RegisteredEndpoint[] {
    const out: RegisteredEndpoint[] = [];
    for (const r of this.replicas) {
      if (r.ports?.inbound === undefined) continue;
      out.push({
        proxy: r.ref.name, workload: r.ref.workload, namespace: r.ref.namespace, serviceAccount: r.workload.spec.serviceAccount,
        address: this.host, port: r.ports.inbound, ready: r.ready && !this.stopping, labels: r.workload.metadata.labels ?? {}, appPort: r.appPort,
      });
    }
    return out;
  }

  private async report(): Promise<void> {
    if (this.target === undefined) return;
    await call(this.target, 'PUT', `/v1/registry/${RUNTIME_ID}`, { endpoints: this.endpoints(), proxies: this.replicas.map((r) => r.ref) }, 3000);
  }

  private reportSoon(): void {
    if (this.reportTimer !== undefined) return;
    this.reportTimer = setTimeout(() => {
      this.reportTimer = undefined;
      void this.report().catch(() => {});
    }, 5);
  }

  // ---- proxies ----

  private forkProxy(proc: Proc, ref: ProxyRef, extra: string[], onIpc: (m: ProxyIpc) => void): ChildProcess {
    const args = ['proxy', '--name', ref.name, '--kind', ref.kind, '--workload', ref.workload, '--namespace', ref.namespace, '--control', this.xdsUrl, '--host', this.host, ...extra];
    const child = fork(MAIN, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: proxyExecArgv() });
    proc.child = child;
    proc.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    this.logs.pipe(proc.name, child.stdout);
    this.logs.pipe(proc.name, child.stderr);
    // The bootstrap credential travels over the IPC channel only: never argv, env or a file.
    child.send({ type: 'bootstrap', token: mintProxyToken(this.secrets.proxyKey, ref), bundle: this.bundle, trustDomain: this.trustDomain });
    child.on('message', (m) => {
      // Each config-stream connection spends one credential: mint a fresh one on request.
      if ((m as { type?: string })?.type === 'token-request') {
        if (child.connected) child.send({ type: 'token', token: mintProxyToken(this.secrets.proxyKey, ref) });
        return;
      }
      onIpc(m as ProxyIpc);
    });
    return child;
  }

  private startGateway(g: Gateway): Promise<GatewayUrl[]> {
    const ref: ProxyRef = { name: gatewayProxyName(g), kind: 'gateway', workload: g.metadata.name, namespace: g.metadata.namespace ?? 'default', serviceAccount: gatewayProxyName(g) };
    const entry: LocalMesh['gateways'][number] = { ref, proc: { name: ref.name, restarts: 0 }, listeners: [] };
    this.gateways.push(entry);
    this.logs.register(ref.name);
    return new Promise((resolve) => {
      const run = () => {
        const child = this.forkProxy(entry.proc, ref, [], (m) => {
          if (m.type === 'ready' || m.type === 'ports') {
            entry.ports = m.ports;
            entry.listeners = m.ports.listeners.map((l) => ({ name: g.metadata.name, listener: l.name, url: `http://${l.address === '0.0.0.0' ? '127.0.0.1' : l.address}:${l.port}/` }));
            if (m.type === 'ready') resolve(entry.listeners);
          }
        });
        child.once('exit', (code, signal) => {
          if (this.stopping) return resolve(entry.listeners);
          entry.proc.restarts++;
          this.log(`${ref.name} exited (${signal ?? code}); restarting`);
          setTimeout(run, backoff(entry.proc.restarts)).unref();
        });
      };
      run();
    });
  }

  private async startReplica(w: Workload, i: number, services: Service[], defaultNs: string, baseDir: string): Promise<void> {
    const ns = w.metadata.namespace ?? defaultNs;
    const name = `${w.metadata.name}-${i}`;
    const hold = w.spec.port !== 0 ? undefined : await reservePort(this.host);
    const appPort = hold?.port ?? w.spec.port;
    const r: Replica = {
      ref: { name, kind: 'sidecar', workload: w.metadata.name, namespace: ns, serviceAccount: w.spec.serviceAccount }, workload: w, appPort, appPortHold: hold,
      proxy: { name: `${name}/proxy`, restarts: 0 }, app: { name, restarts: 0 }, ready: false,
    };
    this.replicas.push(r);
    this.logs.register(r.proxy.name);
    const proxyReady = new Promise<void>((resolve) => {
      const run = (ports?: Replica['ports']) => {
        const extra = ['--app-port', String(appPort)];
        // A restarted sidecar takes back its ports so the app's HTTP_PROXY and peers' endpoints stay valid.
        if (ports) extra.push('--outbound-port', String(ports.outbound ?? 0), '--inbound-port', String(ports.inbound ?? 0), '--admin-port', String(ports.admin));
        const child = this.forkProxy(r.proxy, r.ref, extra, (m) => {
          r.ports = m.ports;
          this.reportSoon();
          if (m.type === 'ready') resolve();
        });
        child.once('exit', (code, signal) => {
          if (this.stopping) return;
          r.proxy.restarts++;
          this.log(`${r.proxy.name} exited (${signal ?? code}); restarting`);
          setTimeout(() => run(r.ports), backoff(r.proxy.restarts)).unref();
        });
      };
      run();
    });
    await proxyReady;
    this.startApp(r, services, baseDir);
  }

  private appEnv(r: Replica, services: Service[]): NodeJS.ProcessEnv {
    const p = r.ports!;
    const proxyUrl = `http://${this.host}:${p.outbound}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...r.workload.spec.env,
      PORT: String(r.appPort),
      HTTP_PROXY: proxyUrl, http_proxy: proxyUrl,
      NO_PROXY: 'localhost,127.0.0.1,::1', no_proxy: 'localhost,127.0.0.1,::1',
      WEFT_WORKLOAD: r.ref.workload, WEFT_REPLICA: r.ref.name, WEFT_NAMESPACE: r.ref.namespace,
    };
    // One local port per Service port for clients that ignore HTTP_PROXY (Node's fetch does): <SERVICE>_URL.
    for (const s of services) {
      if ((s.metadata.namespace ?? 'default') !== r.ref.namespace) continue;
      const base = envName(s.metadata.name);
      s.spec.ports.forEach((sp, idx) => {
        const port = p.upstreams[`${s.metadata.name}.${r.ref.namespace}:${sp.port}`];
        if (port === undefined) return;
        // An opaque TCP port (appProtocol tcp, or a server-first port such as 6379) is a byte tunnel.
        const url = `${portProtocol(sp) === 'tcp' ? 'tcp' : 'http'}://${this.host}:${port}`;
        if (idx === 0) env[`${base}_URL`] = url;
        if (sp.name) env[`${base}_${envName(sp.name)}_URL`] = url;
      });
    }
    return env;
  }

  private startApp(r: Replica, services: Service[], baseDir: string): void {
    // The app binds its port itself: let go of it right before (closing the socket frees it at once).
    r.appPortHold?.release();
    r.appPortHold = undefined;
    if (this.stopping) return;
    const spec = r.workload.spec;
    const cwd = spec.cwd ? path.resolve(baseDir, spec.cwd) : baseDir;
    // Its own process group, so stopping reaches anything the app started too.
    const child = spawn(spec.command, spec.args, { cwd, env: this.appEnv(r, services), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    r.app.child = child;
    r.app.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    this.logs.pipe(r.app.name, child.stdout);
    this.logs.pipe(r.app.name, child.stderr);
    child.once('error', (e) => this.logs.line(r.app.name, `cannot start ${spec.command}: ${e.message}`));
    this.probe(r);
    child.once('exit', (code, signal) => {
      clearTimeout(r.probeTimer);
      if (r.ready) {
        r.ready = false;
        this.reportSoon();
      }
      if (this.stopping) return;
      r.app.restarts++;
      const delay = backoff(r.app.restarts);
      this.logs.line(r.app.name, `exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`);
      setTimeout(() => this.startApp(r, services, baseDir), delay).unref();
    });
  }

  private probe(r: Replica): void {
    const rp = r.workload.spec.readinessProbe;
    const period = (rp?.periodSeconds ?? 1) * 1000;
    let fast = 0;
    const tick = () => {
      if (this.stopping) return;
      const done = (ok: boolean) => {
        if (ok !== r.ready) {
          r.ready = ok;
          this.logs.line(r.proxy.name, ok ? 'app is ready' : 'app is not ready');
          this.reportSoon();
        }
        // Probe quickly until the first success so a fresh replica joins fast, then at the period.
        const next = !r.ready && fast++ < 100 ? 50 : period;
        r.probeTimer = setTimeout(tick, next);
        r.probeTimer.unref();
      };
      if (rp) {
        const req = http.get({ host: '127.0.0.1', port: r.appPort, path: rp.httpGet.path, timeout: 1000, agent: false }, (res) => {
          res.resume();
          done((res.statusCode ?? 500) < 400);
        });
        req.on('error', () => done(false));
        req.on('timeout', () => req.destroy());
      } else {
        const s = net.connect(r.appPort, '127.0.0.1');
        s.once('connect', () => { s.destroy(); done(true); });
        s.once('error', () => done(false));
      }
    };
    tick();
  }

  /** What runs where, for people and for tests that check nothing is left behind. */
  private writeRuntimeFile(): void {
    const procs = [
      { name: 'control', pid: this.control.child?.pid },
      ...this.gateways.map((g) => ({ name: g.proc.name, pid: g.proc.child?.pid, listeners: g.listeners, ports: g.ports })),
      ...this.replicas.flatMap((r) => [{ name: r.proxy.name, pid: r.proxy.child?.pid, ports: r.ports }, { name: r.app.name, pid: r.app.child?.pid, appPort: r.appPort }]),
    ];
    writeFileSync(path.join(this.o.stateDir, 'runtime.json'), JSON.stringify({ pid: process.pid, control: this.target?.url, processes: procs }, null, 2), { mode: 0o600 });
  }

  // ---- stop ----

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.reportTimer);
    for (const r of this.replicas) {
      clearTimeout(r.probeTimer);
      r.appPortHold?.release();
      r.appPortHold = undefined;
    }
    this.log('stopping: gateways drain first');
    await Promise.all(this.gateways.map((g) => stopProxy(g.proc)));
    // Take every endpoint out of rotation before apps go away.
    await this.report().catch(() => {});
    this.log('stopping apps');
    await Promise.all(this.replicas.map((r) => stopGroup(r.app, 10_000)));
    this.log('stopping sidecars');
    await Promise.all(this.replicas.map((r) => stopProxy(r.proxy)));
    this.log('stopping control plane');
    await stopGroup(this.control, 10_000, false);
    this.log('stopped');
  }
}

function backoff(restarts: number): number {
  return Math.min(30_000, 250 * 2 ** Math.min(restarts, 7));
}

function envName(s: string): string {
  return s.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

function fileDirOf(objects: Loaded[], w: Workload): string {
  const l = objects.find((o) => o.resource === w);
  return l ? path.dirname(path.resolve(l.source.file)) : process.cwd();
}

function isRunning(p: Proc): boolean {
  return p.child !== undefined && p.child.exitCode === null && p.child.signalCode === null;
}

async function stopProxy(p: Proc): Promise<void> {
  if (!isRunning(p)) return;
  if (p.child!.connected) p.child!.send({ type: 'drain' });
  else p.child!.kill('SIGTERM');
  await waitOrKill(p, 15_000, false);
}

async function stopGroup(p: Proc, graceMs: number, group = true): Promise<void> {
  if (!isRunning(p)) return;
  const pid = p.child!.pid!;
  try {
    if (group) process.kill(-pid, 'SIGTERM');
    else p.child!.kill('SIGTERM');
  } catch {
    p.child!.kill('SIGTERM');
  }
  await waitOrKill(p, graceMs, group);
}

async function waitOrKill(p: Proc, graceMs: number, group: boolean): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    p.exited!.then(() => false),
    new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), graceMs); }),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    try {
      if (group) process.kill(-p.child!.pid!, 'SIGKILL');
      else p.child!.kill('SIGKILL');
    } catch {
      /* already gone */
    }
    await p.exited;
  }
}
