// Local mode: runs the control plane, an ingress gateway proxy per Gateway, and every Workload replica as
// an app process beside its own sidecar proxy, all on one machine. The Workloads that run follow the
// control plane's objects (files it watches, `weft apply`, `weft rollout restart`): scaling and rolling
// replacement live in reconcile(). Stops in order: gateways stop accepting and finish in-flight requests,
// apps stop, then sidecars, then the control plane.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Gateway, Workload, Service, AnyResource } from '../api/types.js';
import type { Loaded } from '../api/load.js';
import type { ControlStatus, ProcessReport, Rollouts } from '../api/control-api.js';
import { loadOrCreateSecrets, mintProxyToken } from '../control/secrets.js';
import { LOCAL_HOST } from '../control/hosts.js';
import { call } from '../control/client.js';
import { removeRunFile, type ControlTarget } from '../control/discovery.js';
import type { ProxyRef, RegisteredEndpoint } from '../control/translate/index.js';
import { gatewayProxyName, meshOf } from '../control/translate/index.js';
import type { ProxyIpc, RuntimeIpc } from '../api/proxy-ipc.js';
import { Logs, controlLineShown, proxyLineShown } from './logs.js';
import { proxyExecArgv } from '../proxy/flags.js';
import { reservePort } from './ports.js';
import { backoff, describeExit, drainInbound, guardIpc, isRunning, safeSend, stopGroup, stopProxy, type Proc } from './procs.js';
import { appEnvironment, startProbe, type Replica } from './replica.js';
import { killAll, stopInOrder } from './shutdown.js';
import { nextIndex, scaleDownVictims, specChanges, templateOf } from './desired.js';

const MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));

export interface UpOptions {
  files: string[];
  objects: Loaded[];
  stateDir: string;
  logs?: Logs;
  /** Stream every line of every process to the terminal (the files get them either way). */
  verbose?: boolean;
  /** Wait before restarting a control plane that died (it keeps its ports). */
  controlRestartDelayMs?: number;
  /** Bind address for control plane and proxies' local listeners. */
  host?: string;
  /** How long start() waits for every app to be ready and every proxy SYNCED before saying what is not. Default 30 s. */
  readyTimeoutMs?: number;
  /** How often the runtime compares the control plane's Workloads with what runs. Default 500 ms. */
  reconcileEveryMs?: number;
  /** How long a replacement replica has to become ready before a rollout pauses. Default 60 s. */
  progressDeadlineMs?: number;
  /** Control-plane replicas (an HA control plane on an etcd store, WEFT_STORE). Default 1. */
  controlReplicas?: number;
  /**
   * This host's address on the network other hosts reach it by (`weft up --address`, `weft join --address`):
   * the control plane and every sidecar's inbound (mTLS) listener bind to it, and endpoints are registered at
   * it. Default: `host` (one machine).
   */
  advertise?: string;
  /** A joined host (`weft join`): no control plane of its own; it runs the Workloads assigned to it. */
  join?: JoinedHost;
}

/** What `POST /v1/join` gave a host (src/control/hosts.ts): its identity, and where the control plane is. */
export interface JoinedHost {
  name: string;
  /** The control plane's API for joined hosts (mTLS), or several replicas' separated by commas. */
  api: string;
  /** The host's key and its certificate from the mesh CA (leaf first). */
  key: string;
  certificate: string[];
  xds: string;
  trustDomain: string;
  bundle: string[];
}

export interface GatewayUrl {
  name: string;
  listener: string;
  url: string;
}

/** A mesh that cannot start as configured (a Gateway port in use): `weft up` stops what it started and exits non-zero. */
export class MeshStartError extends Error {}


interface Desired {
  key: string;
  w: Workload;
  template: string;
  restartAt: string | undefined;
  baseDir: string;
}

interface WorkloadState {
  rolling: boolean;
  /** A rollout whose replacement never became ready: not retried until the template changes. */
  stuck?: string;
}

type WorkloadRow = Workload & { source?: string };

export class LocalMesh {
  private readonly logs: Logs;
  private readonly host: string;
  /** The address other hosts reach this one at (control plane, sidecars' inbound listeners, endpoints). */
  private readonly advertise: string;
  /** The name this runtime reports under: "local", or a joined host's name. */
  private readonly runtimeId: string;
  /**
   * The control plane: one process, or several replicas sharing an etcd store (an HA control plane,
   * `controlReplicas`). Each keeps its ports across restarts, so the addresses proxies know stay valid.
   */
  /** A joined host with several control-plane APIs: the one in use (the next after a failed report). */
  private joinApi = 0;
  private readonly controls: { proc: Proc; ports: { api: number; xds: number; hostApi?: number }; api?: string; xds?: string }[] = [];
  private get control(): Proc {
    return this.controls[0]!.proc;
  }
  /** The control API this runtime calls: the first replica that runs (another one while it is down). */
  get target(): ControlTarget | undefined {
    const j = this.o.join;
    if (j !== undefined) {
      const apis = j.api.split(',');
      return { url: apis[this.joinApi % apis.length]!, token: '', tls: { key: j.key, cert: j.certificate.join(''), ca: j.bundle, serverId: `spiffe://${j.trustDomain}/ns/weft-system/sa/weft-control` } };
    }
    const c = this.controls.find((r) => r.api !== undefined && isRunning(r.proc)) ?? this.controls.find((r) => r.api !== undefined);
    return c === undefined ? undefined : { url: c.api!, token: this.secrets.adminToken };
  }
  /** Every replica's config-push address, for proxies to fail over between. */
  private get xdsUrl(): string {
    if (this.o.join !== undefined) return this.o.join.xds;
    return this.controls.filter((c) => c.xds !== undefined).map((c) => c.xds!).join(',');
  }
  /** The mesh CA's roots and trust domain, so a new proxy can verify the control plane before it has a certificate. */
  private bundle: string[] = [];
  private trustDomain = '';
  private readonly replicas: Replica[] = [];
  private readonly gateways: { ref: ProxyRef; proc: Proc; listeners: GatewayUrl[]; ports?: Replica['ports'] }[] = [];
  private stopping = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private reportTimer: NodeJS.Timeout | undefined;
  private reporting: Promise<void> = Promise.resolve();
  private loop: NodeJS.Timeout | undefined;
  private ticking = false;
  private readonly busy = new Map<string, Promise<void>>();
  private readonly wstate = new Map<string, WorkloadState>();
  private readonly secrets;
  private readonly logDir: string;
  private defaultNs = 'default';
  private isReady = false;
  private markReady!: () => void;
  /** Resolves when every app is ready and every proxy SYNCED for the first time. */
  readonly ready: Promise<void> = new Promise((resolve) => { this.markReady = resolve; });

  constructor(private readonly o: UpOptions) {
    this.logs = o.logs ?? new Logs(process.stdout, process.stdout.isTTY === true && !process.env.NO_COLOR, { verbose: o.verbose });
    this.host = o.host ?? '127.0.0.1';
    this.advertise = o.advertise ?? this.host;
    this.runtimeId = o.join?.name ?? LOCAL_HOST;
    mkdirSync(o.stateDir, { recursive: true, mode: 0o700 });
    this.logDir = path.join(o.stateDir, 'logs');
    this.secrets = loadOrCreateSecrets(o.stateDir);
    const n = Math.max(1, Math.min(7, Math.floor(o.controlReplicas ?? 1)));
    for (let i = 0; i < n; i++) this.controls.push({ proc: { name: i === 0 ? 'control' : `control-${i}`, restarts: 0 }, ports: { api: 0, xds: 0 } });
  }

  get stateDir(): string {
    return this.o.stateDir;
  }

  private log(msg: string): void {
    this.logs.line('weft', msg);
  }

  async start(): Promise<GatewayUrl[]> {
    const objects = this.o.objects.map((l) => l.resource);
    this.defaultNs = meshOf(objects).defaultNamespace;
    const readyTimeout = this.o.readyTimeoutMs ?? 30_000;
    const deadline = Date.now() + readyTimeout;
    if (this.controls.length > 1 && !(process.env.WEFT_STORE ?? '').startsWith('etcd://')) {
      throw new MeshStartError(`${this.controls.length} control-plane replicas share one store, which must be etcd: set WEFT_STORE=etcd://host:2379[,...] and WEFT_STORE_KEY_FILE (docs/fleet.md)`);
    }
    if (this.o.join !== undefined) {
      // A joined host: the control plane is elsewhere.
      this.bundle = this.o.join.bundle;
      this.trustDomain = this.o.join.trustDomain;
    } else await Promise.all(this.controls.map((_, i) => this.startControl(i)));
    // A fresh start replaces whatever an earlier run of this mesh left registered.
    await this.report().catch(() => {});
    this.heartbeat = setInterval(() => void this.report().catch(() => {
      // A joined host whose control-plane replica is gone tries the next one.
      this.joinApi++;
    }), 2000);
    this.heartbeat.unref();

    // Gateways run on the control plane's host.
    const gws = this.o.join !== undefined ? [] : objects.filter((o): o is Gateway => o.kind === 'Gateway');
    const gwReady = Promise.all(gws.map((g) => this.startGateway(g))).then((l) => l.flat());

    // Workloads start from the control plane's view (the files it loaded, and anything applied earlier).
    await this.reconcile().catch((e) => this.log(`cannot read Workloads from the control plane: ${(e as Error).message}`));
    this.loop = setInterval(() => void this.reconcile().catch(() => {}), this.o.reconcileEveryMs ?? 500);
    this.loop.unref();

    let timer: NodeJS.Timeout | undefined;
    let watching = true;
    const bindFailure = this.watchBindFailures(() => watching);
    // Observed by the race below; a failure seen after the race settled must not be an unhandled rejection.
    bindFailure.catch(() => {});
    try {
      await Promise.race([gwReady, bindFailure, new Promise<void>((r) => { timer = setTimeout(r, readyTimeout); })]);
    } finally {
      watching = false;
      clearTimeout(timer);
    }
    await this.settle(deadline, readyTimeout);
    this.writeRuntimeFile();
    return this.gateways.flatMap((g) => g.listeners);
  }

  /** Rejects with a MeshStartError when a gateway's config is NACKed because a listener cannot bind. */
  private async watchBindFailures(active: () => boolean): Promise<never> {
    const gwNames = new Set(this.gateways.map((g) => g.ref.name));
    while (active()) {
      const st = await call<ControlStatus>(this.target!, 'GET', '/v1/status', undefined, 3000).catch(() => undefined);
      for (const p of st?.proxies ?? []) {
        if (!gwNames.has(p.name) || p.state !== 'NACKED' || !p.error) continue;
        const m = /listener (\S+): cannot listen on (.+):(\d+): (\S+)/.exec(p.error);
        if (m === null) continue;
        const why = m[4] === 'EADDRINUSE' ? 'is already in use by another process' : m[4] === 'EACCES' ? 'needs privileges this user does not have' : `cannot be bound (${m[4]})`;
        throw new MeshStartError(`Gateway ${p.workload} listener ${m[1]}: port ${m[3]} on ${m[2]} ${why}; change the listener's port or stop what uses it`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return new Promise<never>(() => {});
  }

  /** Waits (bounded) until the mesh is ready; when it is not, says what is not and keeps watching. */
  private async settle(deadline: number, timeoutMs: number): Promise<void> {
    for (;;) {
      const problems = await this.notReady();
      if (problems.length === 0) return this.announceReady();
      if (Date.now() > deadline) {
        this.log(`not ready after ${Math.round(timeoutMs / 1000)} s:`);
        for (const p of problems) this.log(`  ${p}`);
        const watch = async () => {
          while (!this.stopping && (await this.notReady()).length > 0) await new Promise((r) => setTimeout(r, 500));
          if (!this.stopping) this.announceReady();
        };
        void watch();
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private announceReady(): void {
    if (this.isReady) return;
    this.isReady = true;
    this.markReady();
  }

  get readyNow(): boolean {
    return this.isReady;
  }

  /** What keeps the mesh from being ready, one line each: apps not ready (and why), proxies not SYNCED. */
  private async notReady(): Promise<string[]> {
    const out: string[] = [];
    for (const r of this.replicas) {
      // A one-shot workload does not gate readiness: it may never listen, and it ends by design.
      if (r.removing || r.ready || (isJob(r.workload) && r.app.error === undefined)) continue;
      const a = r.app;
      const probe = r.workload.spec.readinessProbe;
      let why: string;
      if (a.error) why = `${a.error}${a.restarts > 0 ? ` (tried ${a.restarts + 1} times)` : ''}`;
      else if (!isRunning(r.proxy) && r.proxy.lastExit) why = `its sidecar exited (${r.proxy.lastExit}), restarted ${r.proxy.restarts} times`;
      else if (a.child === undefined) why = 'waiting for its sidecar';
      else if (!isRunning(a) && a.lastExit) why = `app exited with ${a.lastExit}, restarted ${a.restarts} times`;
      else if (a.lastExit && a.restarts > 0) why = `app restarted ${a.restarts} times (last exit: ${a.lastExit}) and is not answering its probe yet`;
      else why = probe ? `app not answering its readiness probe (GET ${probe.httpGet.path} on port ${r.appPort})` : `app not accepting connections on port ${r.appPort}`;
      out.push(`${r.ref.name}: ${why}; see \`weft logs ${r.ref.name}\``);
    }
    const st = await call<ControlStatus>(this.target!, 'GET', '/v1/status', undefined, 3000).catch(() => undefined);
    if (st === undefined) return [...out, 'control plane: not answering'];
    const mine = this.proxyNames();
    for (const p of st.proxies) {
      if (!mine.has(p.name) || p.state === 'SYNCED' || p.state === 'DONE') continue;
      out.push(`${p.name}: proxy ${p.state}${p.error ? ` (${p.error})` : ''}; see \`weft logs ${p.name}\``);
    }
    for (const n of mine) if (!st.proxies.some((p) => p.name === n)) out.push(`${n}: proxy not connected to the control plane yet`);
    return out;
  }

  private proxyNames(): Set<string> {
    return new Set([...this.replicas.map((r) => r.ref.name), ...this.gateways.map((g) => g.ref.name)]);
  }

  /** Until every proxy of this runtime runs the newest config (bounded: a NACKing proxy must not hold a rollout forever). */
  private async waitSynced(timeoutMs = 15_000, need?: string): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !this.stopping) {
      const st = await call<ControlStatus>(this.target!, 'GET', '/v1/status', undefined, 3000).catch(() => undefined);
      if (st) {
        const mine = this.proxyNames();
        const rows = st.proxies.filter((p) => mine.has(p.name));
        if (rows.every((p) => p.state === 'SYNCED' || p.state === 'DONE') && (need === undefined || rows.some((p) => p.name === need))) return true;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  }

  // ---- control plane ----

  private async startControl(i: number): Promise<void> {
    const c = this.controls[i]!;
    const name = c.proc.name;
    const args = ['control', '--state', this.o.stateDir, '--host', this.advertise, '--api-port', String(c.ports.api), '--xds-port', String(c.ports.xds), '--host-api-port', String(c.ports.hostApi ?? 0)];
    // Only the first replica writes the run file the CLI finds the mesh by.
    if (i > 0) args.push('--no-run-file');
    for (const f of this.o.files) args.push('-f', f);
    const child = fork(MAIN, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    guardIpc(child);
    c.proc.child = child;
    const file = this.logs.file(path.join(this.logDir, `${name}.log`));
    this.logs.pipe(name, child.stdout, { file, show: controlLineShown });
    this.logs.pipe(name, child.stderr, { file });
    const listening = new Promise<void>((resolve, reject) => {
      child.on('message', (m) => {
        const msg = m as { type?: string; api: string; xds: string; apiPort: number; xdsPort: number; hostApiPort?: number; bundle: string[]; trustDomain: string };
        if (msg?.type === 'listening') {
          this.bundle = msg.bundle;
          this.trustDomain = msg.trustDomain;
          c.ports = { api: msg.apiPort, xds: msg.xdsPort, ...(msg.hostApiPort !== undefined ? { hostApi: msg.hostApiPort } : {}) };
          c.api = msg.api;
          c.xds = msg.xds;
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`control plane exited with code ${code} before it was ready (see ${path.join(this.logDir, `${name}.log`)})`)));
    });
    c.proc.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('exit', (code, sig) => {
      if (this.stopping) return;
      const delay = this.o.controlRestartDelayMs ?? 1000;
      const others = this.controls.filter((r) => r !== c && isRunning(r.proc)).length;
      this.log(`${name === 'control' ? 'control plane' : `control plane replica ${name}`} exited (${sig ?? code}); ${others > 0 ? `proxies move to the other replica${others > 1 ? 's' : ''}` : 'proxies keep serving their last config'}; restarting in ${delay} ms`);
      setTimeout(() => {
        if (this.stopping) return;
        c.proc.restarts++;
        this.startControl(i).then(() => {
          this.writeRuntimeFile();
          return this.report();
        }).catch((e) => this.log(`control plane restart failed: ${(e as Error).message}`));
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
        address: this.advertise, port: r.ports.inbound, ready: r.ready && !r.removing && !this.stopping, labels: r.workload.metadata.labels ?? {}, appPort: r.appPort,
      });
    }
    return out;
  }

  private processes(): ProcessReport[] {
    const row = (proxy: string, role: 'app' | 'proxy', p: Proc, ready?: boolean): ProcessReport => ({
      proxy, role, pid: isRunning(p) ? p.child!.pid! : null, running: isRunning(p), ...(ready !== undefined ? { ready } : {}), restarts: p.restarts,
      ...(p.lastExit ? { lastExit: p.lastExit } : {}), ...(p.error ? { error: p.error } : {}),
    });
    return [
      ...this.replicas.flatMap((r) => [{ ...row(r.ref.name, 'app', r.app, r.ready), ...(r.completed !== undefined ? { completed: true } : {}) }, row(r.ref.name, 'proxy', r.proxy)]),
      ...this.gateways.map((g) => row(g.ref.name, 'proxy', g.proc)),
    ];
  }

  /**
   * Sends the registry what runs now. Reports go one at a time, each built when its turn comes: two in
   * flight at once could arrive out of order, and an older one (a replica still ready) would undo a newer
   * one (that replica out of rotation) just before the runtime stops it.
   */
  private report(): Promise<void> {
    const run = this.reporting.then(async () => {
      if (this.target === undefined) return;
      await call(this.target, 'PUT', `/v1/registry/${encodeURIComponent(this.runtimeId)}`, { endpoints: this.endpoints(), proxies: this.replicas.map((r) => r.ref), processes: this.processes() }, 3000);
    });
    this.reporting = run.catch(() => {});
    return run;
  }

  private reportSoon(): void {
    if (this.reportTimer !== undefined) return;
    this.reportTimer = setTimeout(() => {
      this.reportTimer = undefined;
      void this.report().catch(() => {});
    }, 5);
  }

  // ---- reconcile: the control plane's Workloads vs what runs ----

  private async reconcile(): Promise<void> {
    if (this.ticking || this.stopping || this.target === undefined) return;
    this.ticking = true;
    try {
      const [objects, rollouts] = await Promise.all([
        call<(AnyResource & { source?: string })[]>(this.target, 'GET', '/v1/objects', undefined, 3000),
        call<Rollouts>(this.target, 'GET', '/v1/rollouts', undefined, 3000).catch((): Rollouts => ({ restarts: {} })),
      ]);
      if (this.stopping) return;
      const services = objects.filter((o): o is Service => o.kind === 'Service');
      const desired = new Map<string, Desired>();
      for (const w of objects.filter((o): o is WorkloadRow => o.kind === 'Workload')) {
        // A Workload assigned to a joined host (`spec.host`) runs there; the others run where the control plane does.
        if (w.spec.host !== this.o.join?.name) continue;
        const key = `${w.metadata.namespace ?? this.defaultNs}/${w.metadata.name}`;
        desired.set(key, { key, w, template: templateOf(w), restartAt: rollouts.restarts?.[key], baseDir: this.baseDirOf(w) });
      }
      for (const key of new Set(this.replicas.map((r) => r.key))) {
        if (desired.has(key) || this.busy.has(key)) continue;
        const gone = this.replicas.filter((r) => r.key === key && !r.removing);
        if (gone.length === 0) continue;
        this.log(`${nameOf(key)}: deleted; stopping ${gone.map((r) => r.ref.name).join(', ')}`);
        this.run(key, async () => {
          await this.removeReplicas(gone);
          this.wstate.delete(key);
        });
      }
      for (const d of desired.values()) {
        if (this.busy.has(d.key)) continue;
        const step = this.plan(d, services);
        if (step) this.run(d.key, step);
      }
    } finally {
      this.ticking = false;
    }
  }

  /** One change at a time per workload; the next pass sees the result and plans the next step. */
  private run(key: string, step: () => Promise<void>): void {
    const p = step().catch((e) => this.log(`${nameOf(key)}: ${(e as Error).message}`)).finally(() => {
      this.busy.delete(key);
      this.writeRuntimeFile();
    });
    this.busy.set(key, p);
  }

  private plan(d: Desired, services: Service[]): (() => Promise<void>) | undefined {
    const name = d.w.metadata.name;
    const st = this.wstate.get(d.key) ?? { rolling: false };
    this.wstate.set(d.key, st);
    const group = this.replicas.filter((r) => r.key === d.key && !r.removing);
    const outdated = (r: Replica) => r.template !== d.template || r.restartAt !== d.restartAt;
    const want = d.w.spec.replicas;
    const stamp = `${d.template}@${d.restartAt ?? ''}`;
    if (isJob(d.w)) {
      // One-shot replicas are not rolled with a surge (they may never be ready): a changed template or a
      // rollout restart stops the old ones, and the next pass starts new ones.
      const stale = group.filter(outdated);
      if (stale.length > 0) {
        this.log(`${name}: replacing ${stale.map((r) => r.ref.name).join(', ')} (${specChanges(stale[0]!.workload, d.w).join(', ') || 'rollout restart'})`);
        return () => this.removeReplicas(stale);
      }
    }
    if (group.length > want) {
      const victims = scaleDownVictims(group.map((r) => ({ name: r.ref.name, index: r.index, outdated: outdated(r), ready: r.ready })), want);
      this.log(`${name}: scaling ${group.length} -> ${want}`);
      const rs = group.filter((r) => victims.some((v) => v.name === r.ref.name));
      return () => this.removeReplicas(rs);
    }
    if (group.length < want) {
      const initial = group.length === 0 && !this.isReady && this.loop === undefined;
      if (!initial) this.log(`${name}: scaling ${group.length} -> ${want}`);
      const fresh: Replica[] = [];
      for (let i = group.length; i < want; i++) fresh.push(this.startReplica(d, services));
      if (initial) return undefined;
      if (isJob(d.w)) return async () => {};
      return async () => {
        const ok = await Promise.all(fresh.map((r) => this.waitServing(r)));
        if (ok.every(Boolean)) this.log(`${name}: scaled to ${want}`);
        else this.log(`${name}: ${fresh.filter((_, i) => !ok[i]).map((r) => r.ref.name).join(', ')} not ready yet; see \`weft logs ${name}\``);
      };
    }
    const old = group.filter(outdated).sort((a, b) => a.index - b.index)[0];
    if (old === undefined) {
      if (st.rolling) this.log(`${name}: rollout complete`);
      st.rolling = false;
      st.stuck = undefined;
      return undefined;
    }
    if (st.stuck === stamp) return undefined;
    const changes = specChanges(old.workload, d.w);
    const why = changes.length > 0 ? `spec changed: ${changes.join(', ')}` : 'rollout restart';
    st.rolling = true;
    if (d.w.spec.port !== 0 && old.appPort === d.w.spec.port) {
      // A fixed app port cannot be held by two replicas at once: no surge, the old one goes first.
      this.log(`${name}: replacing ${old.ref.name} (${why}; fixed port ${d.w.spec.port}, so it stops first)`);
      return async () => {
        await this.removeReplicas([old]);
        if (this.stopping) return;
        const fresh = this.startReplica(d, services);
        if (!(await this.waitServing(fresh, this.o.progressDeadlineMs ?? 60_000)) && !this.stopping) {
          st.stuck = stamp;
          this.log(`${name}: ${fresh.ref.name} did not become ready; rollout paused (see \`weft logs ${fresh.ref.name}\`; a new edit retries)`);
        }
      };
    }
    const fresh = this.startReplica(d, services);
    this.log(`${name}: replacing ${old.ref.name} with ${fresh.ref.name} (${why})`);
    return async () => {
      if (await this.waitServing(fresh, this.o.progressDeadlineMs ?? 60_000)) {
        await this.removeReplicas([old]);
        return;
      }
      if (this.stopping) return;
      st.stuck = stamp;
      this.log(`${name}: ${fresh.ref.name} did not become ready; rollout paused, ${old.ref.name} keeps serving (see \`weft logs ${fresh.ref.name}\`; a new edit retries)`);
      await this.removeReplicas([fresh]);
    };
  }

  /** Until `r`'s app is ready and every proxy runs a config that includes it. */
  private async waitServing(r: Replica, timeoutMs = 60_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!r.ready) {
      if (this.stopping || Date.now() > deadline) return false;
      await new Promise((res) => setTimeout(res, 50));
    }
    await this.report().catch(() => {});
    return this.waitSynced(Math.max(1000, deadline - Date.now()), r.ref.name);
  }

  /**
   * Out of rotation first (every proxy SYNCED on a config without them), then the sidecar finishes its
   * inbound requests, then the app stops (its outbound calls still served), then the sidecar.
   */
  private async removeReplicas(rs: Replica[]): Promise<void> {
    if (rs.length === 0) return;
    for (const r of rs) {
      r.removing = true;
      clearTimeout(r.probeTimer);
    }
    await this.report().catch(() => {});
    await this.waitSynced();
    await Promise.all(rs.map((r) => drainInbound(r.proxy)));
    await Promise.all(rs.map((r) => stopGroup(r.app, 10_000)));
    await Promise.all(rs.map((r) => stopProxy(r.proxy)));
    for (const r of rs) {
      r.appPortHold?.release();
      r.appPortHold = undefined;
      const i = this.replicas.indexOf(r);
      if (i !== -1) this.replicas.splice(i, 1);
      this.logs.line(r.ref.name, 'stopped', r.appLog);
    }
    await this.report().catch(() => {});
  }

  private baseDirOf(w: WorkloadRow): string {
    if (w.source?.startsWith('file:')) return path.dirname(w.source.slice('file:'.length));
    const l = this.o.objects.find((o) => o.resource.kind === 'Workload' && o.resource.metadata.name === w.metadata.name);
    return l ? path.dirname(path.resolve(l.source.file)) : this.o.files[0] ? path.dirname(this.o.files[0]) : process.cwd();
  }

  // ---- proxies ----

  /** `leaving`: true once the runtime is stopping this proxy (its "stream lost" on the way out is no problem). */
  private forkProxy(proc: Proc, ref: ProxyRef, extra: string[], onIpc: (m: Extract<ProxyIpc, { type: 'ready' | 'ports' }>) => void, leaving: () => boolean = () => this.stopping): ChildProcess {
    const args = ['proxy', '--name', ref.name, '--kind', ref.kind, '--workload', ref.workload, '--namespace', ref.namespace, '--control', this.xdsUrl, '--host', this.host, ...extra];
    if (ref.kind === 'sidecar' && this.advertise !== this.host) args.push('--inbound-host', this.advertise);
    const child = fork(MAIN, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: proxyExecArgv() });
    guardIpc(child);
    proc.child = child;
    proc.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const file = this.logs.file(path.join(this.logDir, ref.name, 'proxy.log'));
    this.logs.pipe(proc.name, child.stdout, { file, show: (l) => !leaving() && proxyLineShown(l) });
    this.logs.pipe(proc.name, child.stderr, { file });
    // The bootstrap credential travels over the IPC channel only: never argv, env or a file.
    const failed = (e: unknown) => {
      this.log(`${ref.name}: no bootstrap credential from the control plane (${(e as Error).message}); restarting it`);
      child.kill('SIGTERM');
    };
    void this.proxyToken(ref).then((token) => safeSend(child, { type: 'bootstrap', token, bundle: this.bundle, trustDomain: this.trustDomain } satisfies RuntimeIpc), failed);
    child.on('message', (raw) => {
      const m = raw as ProxyIpc;
      // Each config-stream connection spends one credential: mint a fresh one on request.
      if (m?.type === 'token-request') {
        void this.proxyToken(ref).then((token) => safeSend(child, { type: 'token', token } satisfies RuntimeIpc), failed);
        return;
      }
      // inbound-drained is awaited by drainInbound (procs.ts).
      if (m?.type === 'ready' || m?.type === 'ports') onIpc(m);
    });
    return child;
  }

  /** A bootstrap credential for `ref`: minted here, or (a joined host) asked of the control plane for its own proxies. */
  private async proxyToken(ref: ProxyRef): Promise<string> {
    if (this.o.join === undefined) return mintProxyToken(this.secrets.proxyKey, ref);
    const r = await call<{ token: string }>(this.target!, 'POST', `/v1/hosts/${encodeURIComponent(this.o.join.name)}/proxy-tokens`, ref, 5000);
    return r.token;
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
            entry.listeners = m.ports.listeners.map((l) => ({ name: g.metadata.name, listener: l.name, url: `${l.tls === true ? 'https' : 'http'}://${l.address === '0.0.0.0' ? '127.0.0.1' : l.address}:${l.port}/` }));
            if (m.type === 'ready') resolve(entry.listeners);
          }
        });
        child.once('exit', (code, sig) => {
          entry.proc.lastExit = describeExit(code, sig);
          if (this.stopping) return resolve(entry.listeners);
          entry.proc.restarts++;
          this.reportSoon();
          this.log(`${ref.name} exited (${entry.proc.lastExit}); restarting`);
          setTimeout(run, backoff(entry.proc.restarts)).unref();
        });
      };
      run();
    });
  }

  /** Starts a replica of `d` at the lowest free index: its sidecar now, its app once the sidecar is ready. */
  private startReplica(d: Desired, services: Service[]): Replica {
    const w = d.w;
    const ns = w.metadata.namespace ?? this.defaultNs;
    const index = nextIndex(w.metadata.name, this.replicas.filter((r) => r.key === d.key).map((r) => r.ref.name));
    const name = `${w.metadata.name}-${index}`;
    const r: Replica = {
      ref: { name, kind: 'sidecar', workload: w.metadata.name, namespace: ns, serviceAccount: w.spec.serviceAccount }, key: d.key, index, workload: w,
      template: d.template, restartAt: d.restartAt, baseDir: d.baseDir, services, appPort: w.spec.port,
      proxy: { name: `${name}/proxy`, restarts: 0 }, app: { name, restarts: 0, group: true }, ready: false, removing: false,
      appLog: this.logs.file(path.join(this.logDir, name, 'app.log')),
    };
    this.replicas.push(r);
    this.logs.register(r.proxy.name);
    void this.runReplica(r).catch((e) => {
      r.app.error = (e as Error).message;
      this.logs.line(r.app.name, `cannot start: ${r.app.error}`, r.appLog);
    });
    return r;
  }

  private async runReplica(r: Replica): Promise<void> {
    if (r.appPort === 0) {
      r.appPortHold = await reservePort(this.host);
      r.appPort = r.appPortHold.port;
    }
    if (this.stopping || r.removing) {
      r.appPortHold?.release();
      return;
    }
    const appPort = r.appPort;
    await new Promise<void>((resolve) => {
      const run = (ports?: Replica['ports']) => {
        const extra = ['--app-port', String(appPort)];
        if (r.workload.spec.capture !== undefined) extra.push('--capture-port', String(r.workload.spec.capture.outboundPort));
        // A restarted sidecar takes back its ports so the app's HTTP_PROXY and peers' endpoints stay valid.
        if (ports) extra.push('--outbound-port', String(ports.outbound ?? 0), '--inbound-port', String(ports.inbound ?? 0), '--admin-port', String(ports.admin));
        const child = this.forkProxy(r.proxy, r.ref, extra, (m) => {
          r.ports = m.ports;
          this.reportSoon();
          if (m.type === 'ready') resolve();
        }, () => this.stopping || r.removing || r.completed !== undefined);
        child.once('exit', (code, sig) => {
          r.proxy.lastExit = describeExit(code, sig);
          if (this.stopping || r.removing || r.completed !== undefined) return resolve();
          r.proxy.restarts++;
          this.reportSoon();
          this.log(`${r.proxy.name} exited (${r.proxy.lastExit}); restarting`);
          setTimeout(() => run(r.ports), backoff(r.proxy.restarts)).unref();
        });
      };
      run();
    });
    this.startApp(r);
  }


  private startApp(r: Replica): void {
    // The app binds its port itself: let go of it right before (closing the socket frees it at once).
    r.appPortHold?.release();
    r.appPortHold = undefined;
    if (this.stopping || r.removing || r.ports === undefined) return;
    const spec = r.workload.spec;
    const cwd = spec.cwd ? path.resolve(r.baseDir, spec.cwd) : r.baseDir;
    // Its own process group, so stopping reaches anything the app started too.
    const child = spawn(spec.command, spec.args, { cwd, env: appEnvironment(r, this.host, process.env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    r.app.child = child;
    let gone = false;
    let resolveExited!: () => void;
    r.app.exited = new Promise((resolve) => { resolveExited = resolve; });
    this.logs.pipe(r.app.name, child.stdout, { file: r.appLog, show: 'none' });
    this.logs.pipe(r.app.name, child.stderr, { file: r.appLog, show: 'none' });
    const onGone = (exit: string | undefined, error: string | undefined) => {
      if (gone) return;
      gone = true;
      resolveExited();
      clearTimeout(r.probeTimer);
      if (r.ready) r.ready = false;
      if (exit) r.app.lastExit = exit;
      const firstError = error !== undefined && error !== r.app.error;
      r.app.error = error;
      this.reportSoon();
      if (this.stopping || r.removing) return;
      const policy = r.workload.spec.restartPolicy ?? 'Always';
      if (error === undefined && (policy === 'Never' || (policy === 'OnFailure' && exit === 'code 0'))) {
        // A one-shot workload: done. Its sidecar goes with it (drained: the app's calls already ended).
        r.completed = exit ?? 'unknown';
        this.logs.line(r.app.name, exit === 'code 0' ? 'completed (code 0); stopping its sidecar' : `failed (${exit}); not restarted (restartPolicy ${policy}); stopping its sidecar`, r.appLog);
        void stopProxy(r.proxy).then(() => this.reportSoon());
        return;
      }
      r.app.restarts++;
      const delay = backoff(r.app.restarts);
      // A command that cannot start says so once, not on every retry.
      if (error === undefined) this.logs.line(r.app.name, `exited (${exit}); restarting in ${delay} ms`, r.appLog);
      else if (firstError) this.logs.line(r.app.name, `${error}; retrying with backoff (see \`weft logs ${r.app.name}\`)`, r.appLog);
      setTimeout(() => this.startApp(r), delay).unref();
    };
    child.once('error', (e: NodeJS.ErrnoException) => {
      if (child.pid === undefined) onGone(undefined, `cannot start ${spec.command}: ${e.code === 'ENOENT' ? 'command not found' : e.code === 'EACCES' ? 'permission denied' : e.message}${e.code === 'ENOENT' && spec.cwd ? ` (or no directory ${cwd})` : ''}`);
    });
    child.once('exit', (code, sig) => onGone(describeExit(code, sig), undefined));
    if (child.pid !== undefined) {
      r.app.error = undefined;
      this.probe(r);
    }
  }

  private probe(r: Replica): void {
    startProbe(r, () => this.stopping || r.removing, (ok) => {
      if (this.isReady || !ok) this.logs.line(r.ref.name, ok ? 'app is ready' : 'app is not ready', r.appLog);
      this.reportSoon();
    });
  }

  /** What runs where, for people and for tests that check nothing is left behind. */
  private writeRuntimeFile(): void {
    if (this.stopping) return;
    const procs = [
      ...this.controls.map((c) => ({ name: c.proc.name, pid: c.proc.child?.pid, api: c.api, xds: c.xds })),
      ...this.gateways.map((g) => ({ name: g.proc.name, pid: g.proc.child?.pid, listeners: g.listeners, ports: g.ports })),
      ...this.replicas.flatMap((r) => [{ name: r.proxy.name, pid: r.proxy.child?.pid, ports: r.ports }, { name: r.app.name, pid: r.app.child?.pid, appPort: r.appPort }]),
    ];
    try {
      writeFileSync(path.join(this.o.stateDir, 'runtime.json'), JSON.stringify({ pid: process.pid, control: this.target?.url, processes: procs }, null, 2), { mode: 0o600 });
    } catch {
      /* the state dir went away: nothing to record */
    }
  }

  // ---- stop ----

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.heartbeat);
    clearInterval(this.loop);
    clearTimeout(this.reportTimer);
    for (const r of this.replicas) {
      clearTimeout(r.probeTimer);
      r.appPortHold?.release();
      r.appPortHold = undefined;
    }
    await stopInOrder({
      gateways: this.gateways.map((g) => g.proc), replicas: this.replicas, controls: this.controls.map((c) => c.proc),
      outOfRotation: () => this.report().catch(() => {}), log: (m) => this.log(m),
    });
    this.logs.closeFiles();
    this.log('stopped');
  }

  /**
   * A forced stop (a second signal): SIGKILL every app's process group and every proxy and the control
   * plane, synchronously, and remove the control plane's run file it can no longer remove itself.
   */
  kill(): void {
    this.stopping = true;
    killAll({ gateways: this.gateways.map((g) => g.proc), replicas: this.replicas, controls: this.controls.map((c) => c.proc) });
    const controlPid = this.control.child?.pid;
    if (controlPid !== undefined) removeRunFile(path.resolve(this.o.stateDir), controlPid);
    this.logs.closeFiles();
  }
}

function nameOf(key: string): string {
  return key.slice(key.indexOf('/') + 1);
}

/** A Workload whose app is not always restarted: its replicas may end (one-shot jobs). */
function isJob(w: Workload): boolean {
  return (w.spec.restartPolicy ?? 'Always') !== 'Always';
}
