// `weft control`: the control plane. Watches config (files and the API), the endpoint registry, and
// pushes every proxy its own snapshot. Its state lives in the store; losing this process loses nothing.
import os from 'node:os';
import path from 'node:path';
import { keyOf } from '../api/types.js';
import type { Answer, ApiError, ApplyResult, ControlStatus, DeleteResult, ObjectRow, RolloutRestartRequest, RolloutRestartResult, Rollouts } from '../api/control-api.js';
import { closest } from '../api/suggest.js';
import { allErrors, loadFiles, parseDocuments, type ConfigError } from '../api/load.js';
import { errorAt } from '../api/set.js';
import { danglingReferences } from '../api/references.js';
import { secretWarnings, withoutSecretValues } from '../api/kinds/secret.js';
import { redactSnapshot } from '../api/snapshot.js';
import { openStore, parseStoreSpec } from './store/open.js';
import { loadStoreKey } from './ca/sealing.js';
import { watchFiles } from './store/watch-files.js';
import { Registry, type RuntimeReport } from './registry/index.js';
import { translate, gatewayProxies, meshOf, type MeshState, type ProxyRef } from './translate/index.js';
import { PushServer } from './push/server.js';
import { startApi, type ApiHandlers } from './api/server.js';
import { loadOrCreateSecrets, mintProxyToken, singleUseVerifier } from './secrets.js';
import { DEFAULT_JOIN_TOKEN_TTL_MS, HOST_ACCOUNT_PREFIX, HOST_CERT_TTL_SECONDS, HOST_NAMESPACE, Hosts, MAX_JOIN_TOKEN_TTL_MS, mayRunProxy } from './hosts.js';
import { readCsr } from './ca/csr.js';
import { parseGatewayDuration } from '../api/traffic.js';
import { writeRunFile, removeRunFile } from './discovery.js';
import { VERSION } from '../version.js';
import { CertificateAuthority } from './ca/index.js';
import { spiffeId } from './translate/index.js';
import { runChecks, RestartTracker } from './health.js';
import { parseGoDuration } from '../api/checks.js';
import { explainRequest, type ExplainQuery } from './explain.js';
import { MetricsAggregator } from './metrics/aggregator.js';
import { relayTap } from './metrics/tap.js';
import { TrafficNames, inTarget } from './metrics/targets.js';
import { generateKeyAndCsr } from '../identity/index.js';

/** A tap event's `service`: the Service the caller named (catalog for a request a route sent to catalog-v2). */
function calledAs(names: TrafficNames, ev: Record<string, unknown>): Record<string, unknown> {
  const dest = ev.destinationService;
  if (typeof dest !== 'string') return { service: null };
  const ns = typeof ev.destinationNamespace === 'string' ? ev.destinationNamespace : '';
  return { service: names.calledService(typeof ev.route === 'string' ? ev.route : undefined, dest, ns).name };
}

/** The control plane's own identity: proxies check its certificate carries exactly this. */
export const CONTROL_NAMESPACE = 'weft-system';
export const CONTROL_SERVICE_ACCOUNT = 'weft-control';

export interface ControlOptions {
  stateDir: string;
  files: string[];
  host: string;
  apiPort: number;
  xdsPort: number;
  /** --store (else $WEFT_STORE): etcd://host:2379[,...][/prefix/], or the file store in stateDir. */
  store?: string;
  /** --store-key-file (else $WEFT_STORE_KEY_FILE): seals the CA's private keys in the store. */
  storeKeyFile?: string;
  /** Write the run file the CLI finds the mesh by (default true; false for further replicas of an HA control plane). */
  runFile?: boolean;
  /** The port of the API for joined hosts (mTLS); 0: any free port. */
  hostApiPort?: number;
}

export type { ControlStatus };

/** The state document where the replicas of an HA control plane say which proxies each serves. */
const PROXY_STATUS = 'proxy-status';
/** A replica whose row is older than this (it publishes every second) is taken to serve no proxy. */
const SHARED_STATUS_TTL_MS = 5000;
interface SharedProxyRow { ref: ProxyRef; version: string; configVersion: string | null; nacked?: { version: string; error: string }; certError?: string }
type SharedStatus = Record<string, { at: number; proxies: SharedProxyRow[]; /** the replica's config-push address */ xds?: string; /** its API for joined hosts */ hostApi?: string }>;

export async function runControl(o: ControlOptions): Promise<void> {
  const log = (msg: string) => process.stdout.write(`${msg}\n`);
  const startedAt = new Date().toISOString();
  const secrets = loadOrCreateSecrets(o.stateDir);
  const storeSpec = parseStoreSpec(o.store ?? process.env.WEFT_STORE, o.stateDir);
  const keyFile = o.storeKeyFile ?? process.env.WEFT_STORE_KEY_FILE;
  if (storeSpec.kind === 'etcd' && (keyFile === undefined || keyFile === '')) {
    throw new Error(`the store ${storeSpec.text} would hold the CA's private keys, so they must be encrypted: give --store-key-file FILE (or WEFT_STORE_KEY_FILE) ` +
      'holding 32 random bytes, made once with: openssl rand -base64 32 > FILE && chmod 600 FILE (every control plane on this store needs the same key)');
  }
  const sealer = keyFile ? loadStoreKey(keyFile, o.storeKeyFile !== undefined ? `--store-key-file ${keyFile}` : `WEFT_STORE_KEY_FILE=${keyFile}`) : undefined;
  const store = await openStore(storeSpec);
  const registry = new Registry(store);
  const hosts = new Hosts(store);

  // Objects that name no namespace get the Mesh's default, even when their file has no Mesh in it.
  const currentDefaultNs = () => meshOf(store.list().map((s) => s.resource)).defaultNamespace;
  // Files given with -f are a source: their objects follow the files; a bad edit is reported and ignored.
  // The watched file wins for every object it defines: `weft apply` and `weft delete` of those are refused
  // (409), and an object applied through the API that a file starts defining is taken over by the file.
  // definedAt: where each file-defined object is (file:line), from the last good load of its file.
  const watched = new Set(o.files.map((f) => path.resolve(f)));
  const definedAt = new Map<string, { file: string; line: number }>();
  const syncFile = async (file: string): Promise<ConfigError[]> => {
    const { objects, errors } = await loadFiles([file], { defaultNamespace: currentDefaultNs() });
    const all = allErrors(objects, errors, store.list().map((s) => s.resource));
    if (all.length > 0) return all;
    const source = `file:${path.resolve(file)}`;
    for (const l of objects) {
      const cur = store.get(keyOf(l.resource));
      if (cur !== undefined && cur.source !== source) {
        const r = l.resource;
        log(`${r.kind} ${r.metadata.namespace ? `${r.metadata.namespace}/` : ''}${r.metadata.name} was ${cur.source === 'api' ? 'applied through the API' : `defined in ${cur.source.replace(/^file:/, '')}`}; ${file} now defines it, so the file owns it from now on`);
      }
    }
    await store.replaceSource(source, objects.map((l) => l.resource));
    for (const [k, at] of definedAt) if (at.file === path.resolve(file)) definedAt.delete(k);
    for (const l of objects) definedAt.set(keyOf(l.resource), { file: path.resolve(file), line: l.source.line });
    for (const l of objects) if (l.resource.kind === 'Secret') for (const i of secretWarnings(l.resource, Date.now())) log(`warning: ${String(errorAt(l, i))}`);
    return [];
  };
  /** "file:/abs/mesh.yaml:12" for an object a file defines (line from its last good load), else the stored source. */
  const sourceOf = (key: string, stored: string): string => {
    const at = definedAt.get(key);
    return at !== undefined && stored === `file:${at.file}` ? `${stored}:${at.line}` : stored;
  };
  for (const f of o.files) {
    const errs = await syncFile(f);
    if (errs.length > 0) {
      log(`config in ${f} is invalid; keeping what is stored:\n${errs.map(String).join('\n')}`);
    }
  }
  const watcher = watchFiles(o.files, (f) => {
    void syncFile(f).then((errs) => {
      if (errs.length > 0) log(`rejected change to ${f} (nothing applied):\n${errs.map(String).join('\n')}`);
      else log(`reloaded ${f}`);
    });
  });

  let cached: MeshState | undefined;
  const state = (): MeshState => (cached ??= { objects: store.list().map((s) => s.resource), endpoints: registry.endpoints() });
  const snapshotCache = new Map<string, ReturnType<typeof translate>>();
  const snapshotFor = (ref: ProxyRef) => {
    let s = snapshotCache.get(ref.name);
    if (s === undefined) snapshotCache.set(ref.name, (s = translate(state(), ref)));
    return s;
  };

  const initialMesh = meshOf(store.list().map((s) => s.resource));
  const ca = await CertificateAuthority.open(store, { trustDomain: initialMesh.trustDomain, sealer });
  // Certificate lifetime: Mesh.spec.certificateLifetime; WEFT_CERT_LIFETIME overrides it for experiments.
  const certTtlSeconds = () => {
    const m = store.list().map((s) => s.resource).find((r) => r.kind === 'Mesh');
    const raw = process.env.WEFT_CERT_LIFETIME ?? (m?.kind === 'Mesh' ? m.spec.certificateLifetime : undefined) ?? '24h';
    const ms = parseGoDuration(raw);
    if (ms === undefined) throw new Error(`invalid certificate lifetime "${raw}"`);
    return Math.max(1, Math.round(ms / 1000));
  };
  // The config stream runs over TLS with a certificate from the mesh CA (server auth; client auth once the
  // proxy has its own certificate). Its lifetime is fixed, independent of workload certificate lifetimes.
  const controlTls = async () => {
    const { keyPem, csrPem } = await generateKeyAndCsr();
    const issued = await ca.signCsr(csrPem, { namespace: CONTROL_NAMESPACE, serviceAccount: CONTROL_SERVICE_ACCOUNT }, 24 * 3600);
    return { key: keyPem, cert: issued.chainPem.join(''), ca: ca.trustBundle() };
  };
  // WEFT_PUSH_KEEPALIVE="pingMs,deadMs": how soon a silent proxy counts as gone (tests of partitions use seconds).
  const keepalive = (() => {
    const m = /^(\d+),(\d+)$/.exec(process.env.WEFT_PUSH_KEEPALIVE ?? '');
    return m === null ? undefined : { pingMs: Math.max(100, Number(m[1])), deadMs: Math.max(300, Number(m[2])) };
  })();
  const push = new PushServer({
    tls: await controlTls(),
    ...(keepalive !== undefined ? { keepalive } : {}),
    expectedPeerId: (ref) => spiffeId(meshOf(state().objects).trustDomain, ref.namespace, ref.serviceAccount),
    // Single use, remembered across restarts: a credential that already opened a stream is refused.
    // The record is read from the store each time, so control planes sharing a store refuse each other's spent ones too.
    authenticate: singleUseVerifier(secrets.proxyKey, () => store.getState<Record<string, number>>('used-tokens') ?? {}, (used) => void store.putState('used-tokens', used)),
    snapshotFor,
    signCsr: async (ref, csr) => {
      const issued = await ca.signCsr(csr, { namespace: ref.namespace, serviceAccount: ref.serviceAccount }, certTtlSeconds());
      return { chain: issued.chainPem, bundle: ca.trustBundle(), serial: issued.serial };
    },
    log,
  });
  let hostApi: Awaited<ReturnType<typeof startApi>> | undefined;
  const hostApiUrl = () => (hostApi === undefined ? '' : url(hostApi.port).replace(/^http:/, 'https:'));
  /** The control plane's certificate, renewed or from a new CA: for the config push and the host API alike. */
  const setControlTls = (t: { key: string; cert: string; ca: string[] }) => {
    push.setTls(t);
    hostApi?.setTls(t);
  };
  // Coalesce bursts (a file save, a registry report) into one recomputation.
  let pending: NodeJS.Timeout | undefined;
  const changed = () => {
    cached = undefined;
    snapshotCache.clear();
    if (pending === undefined) {
      pending = setTimeout(() => {
        pending = undefined;
        push.pushAll();
      }, 10);
    }
  };
  store.watch(changed);
  registry.onChange(changed);
  // Other control planes on the same store (an HA control plane) write the registry too.
  store.watchStates((name) => {
    if (name === 'registry') registry.reload();
  });
  // Another control plane on the same store changed the CA (a rotation step, a renewed intermediate): serve
  // with a certificate from it and give proxies its bundle.
  ca.onExternalChange(() => {
    log(`the CA was changed by another control plane (rotation phase ${ca.rotationPhase}); taking it up`);
    push.broadcast({ type: 'bundle', bundle: ca.trustBundle() });
    controlTls().then((t) => setControlTls(t), (e) => log(`cannot renew the control plane certificate: ${(e as Error).message}`));
  });
  // When each process last restarted, noted as runtimes report growing restart counts (for `weft check`).
  const restarts = new RestartTracker();
  restarts.observe(registry.processes(), Date.now());
  registry.onChange(() => void restarts.observe(registry.processes(), Date.now()));

  const xdsPort = await push.listen(o.xdsPort, o.host);
  const scrapeTargets = () => push.connected().filter((c) => c.admin !== undefined).map((c) => ({ proxy: c.ref.name, admin: c.admin!, ref: c.ref }));
  const metrics = new MetricsAggregator(scrapeTargets, { intervalMs: Number(process.env.WEFT_METRICS_INTERVAL_MS ?? 10_000), retainMs: 3600_000 });
  metrics.start();
  const renewControl = setInterval(() => {
    controlTls().then((t) => setControlTls(t), (e) => log(`cannot renew the control plane certificate: ${(e as Error).message}`));
  }, 12 * 3600 * 1000);
  renewControl.unref();
  const url = (port: number) => `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`;

  // CA rotation without downtime: every proxy trusts old+new roots, then every proxy gets a certificate
  // from the new intermediate, then the old root goes. Each step waits for every connected proxy.
  const waitAll = async (what: string, ok: (c: ReturnType<typeof push.connected>[number]) => boolean, timeoutMs = 60_000) => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const behind = push.connected().filter((c) => !ok(c));
      if (behind.length === 0) return;
      if (Date.now() > end) throw new Error(`CA rotation stopped: ${behind.map((c) => c.ref.name).join(', ')} did not ${what} within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  let rotating = false;
  const rotate = async (): Promise<string[]> => {
    if (rotating) throw new Error('a CA rotation is already running');
    rotating = true;
    const steps: string[] = [];
    try {
      await ca.beginRotation();
      const both = ca.trustBundle();
      push.broadcast({ type: 'bundle', bundle: both });
      await waitAll('take the extended trust bundle', (c) => c.bundleSize === both.length);
      steps.push(`trust bundle extended to ${both.length} roots on every proxy`);
      await ca.switchSigning();
      setControlTls(await controlTls());
      push.broadcast({ type: 'renew' });
      await waitAll('present a certificate from the new CA', (c) => c.issuedSerial !== undefined && c.certificate?.serial === c.issuedSerial && !c.certError);
      steps.push('every proxy re-issued by the new intermediate');
      await ca.finishRotation();
      const only = ca.trustBundle();
      setControlTls(await controlTls());
      push.broadcast({ type: 'bundle', bundle: only });
      await waitAll('drop the old root', (c) => c.bundleSize === only.length);
      steps.push('old root removed from every proxy');
      log(`CA rotation done: ${steps.join('; ')}`);
      return steps;
    } finally {
      rotating = false;
    }
  };

  // An HA control plane (several replicas on one etcd store): each replica says which proxies it serves,
  // with the config version each runs, so that any replica's status covers every proxy. A replica that
  // stopped saying so (its row is older than SHARED_STATUS_TTL_MS) serves nobody.
  const shareStatus = storeSpec.kind === 'etcd';
  const replicaId = `${os.hostname()}-${process.pid}`;
  const publishStatus = async (): Promise<void> => {
    const rows: SharedProxyRow[] = [...push.conns.values()].filter((c) => c.connected).map((c) => ({
      ref: c.ref, version: c.proxyVersion, configVersion: c.running?.version ?? c.acked ?? null,
      ...(c.nacked ? { nacked: c.nacked } : {}), ...(c.certError ? { certError: c.certError } : {}),
    }));
    for (let attempt = 0; attempt < 10; attempt++) {
      const cur = store.getState<SharedStatus>(PROXY_STATUS);
      const now = Date.now();
      const next: SharedStatus = {};
      for (const [id, e] of Object.entries(cur ?? {})) if (id !== replicaId && now - e.at < SHARED_STATUS_TTL_MS) next[id] = e;
      next[replicaId] = { at: now, proxies: rows, xds: xdsUrl, hostApi: hostApiUrl() };
      if ((await store.casState(PROXY_STATUS, cur, next)).ok) return;
    }
  };
  if (shareStatus) setInterval(() => void publishStatus().catch((e) => log(`cannot share proxy status: ${(e as Error).message}`)), 1000).unref();

  const status = (): ControlStatus => {
    // A push still waiting out its coalescing window goes now, so status never reports a stale SYNCED.
    if (pending !== undefined) {
      clearTimeout(pending);
      pending = undefined;
      push.pushAll();
    }
    const st = state();
    const proxies = new Map<string, ControlStatus['proxies'][number]>();
    const expected = [...registry.expectedProxies(), ...gatewayProxies(st)];
    for (const ref of expected) {
      proxies.set(ref.name, { name: ref.name, kind: ref.kind, workload: ref.workload, namespace: ref.namespace, version: null, configVersion: null, state: 'STALE', error: 'not connected' });
    }
    for (const c of push.conns.values()) {
      // A proxy that disconnected and that nothing expects any more (a replica scaled away) is gone, not stale.
      if (!c.connected && !proxies.has(c.ref.name)) continue;
      const s = push.stateOf(c);
      proxies.set(c.ref.name, {
        name: c.ref.name, kind: c.ref.kind, workload: c.ref.workload, namespace: c.ref.namespace,
        version: c.proxyVersion, configVersion: c.running?.version ?? c.acked ?? null, state: s.state, ...(s.error ? { error: s.error } : {}),
        ...(c.certError ? { certError: c.certError } : {}), ...(shareStatus && c.connected ? { servedBy: replicaId } : {}),
      });
    }
    // Proxies another replica serves: SYNCED when they run the config this replica would send them.
    if (shareStatus) {
      const now = Date.now();
      for (const [id, e] of Object.entries(store.getState<SharedStatus>(PROXY_STATUS) ?? {})) {
        if (id === replicaId || now - e.at > SHARED_STATUS_TTL_MS) continue;
        for (const r of e.proxies) {
          if (push.conns.get(r.ref.name)?.connected === true || !proxies.has(r.ref.name)) continue;
          const want = snapshotFor(r.ref).version;
          const s = r.nacked?.version === want ? 'NACKED' : r.configVersion === want ? 'SYNCED' : 'STALE';
          proxies.set(r.ref.name, {
            name: r.ref.name, kind: r.ref.kind, workload: r.ref.workload, namespace: r.ref.namespace, version: r.version, configVersion: r.configVersion, state: s,
            ...(s === 'NACKED' ? { error: r.nacked!.error } : s === 'STALE' ? { error: `waiting for ACK of ${want} (served by control plane ${id})` } : {}),
            ...(r.certError ? { certError: r.certError } : {}), servedBy: id,
          });
        }
      }
    }
    // What the runtime says about each replica's processes: app readiness and restarts, proxy restarts.
    for (const p of registry.processes()) {
      const row = proxies.get(p.proxy);
      if (row === undefined) continue;
      if (p.role === 'app') {
        row.app = { running: p.running, ready: p.ready ?? false, restarts: p.restarts, ...(p.lastExit ? { lastExit: p.lastExit } : {}), ...(p.error ? { error: p.error } : {}), ...(p.completed ? { completed: true } : {}) };
        // A one-shot workload's sidecar stopped with its app: done, not out of sync.
        if (p.completed && !p.running) {
          row.state = 'DONE';
          delete row.error;
        }
      }
      else row.restarts = p.restarts;
    }
    const gateways: ControlStatus['gateways'] = [];
    for (const g of st.objects.filter((x) => x.kind === 'Gateway')) {
      if (g.kind !== 'Gateway') continue;
      const addr = g.spec.addresses?.[0]?.value ?? '127.0.0.1';
      const host = addr === '0.0.0.0' || addr === '::' ? '127.0.0.1' : addr;
      for (const l of g.spec.listeners) gateways.push({ name: g.metadata.name, listener: l.name, url: `${l.protocol === 'HTTPS' ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${l.port}/` });
    }
    return {
      control: { version: VERSION, url: url(apiPortBound), pid: process.pid, startedAt, mesh: meshOf(st.objects).name, stateDir: path.resolve(o.stateDir), ...(shareStatus ? { replica: replicaId } : {}) },
      proxies: [...proxies.values()].sort((a, b) => a.name.localeCompare(b.name)),
      gateways,
    };
  };

  // apply and delete share their checks; each answers its own contract.
  async function applyText(text: string, file: string, del: false): Promise<Answer<ApplyResult>>;
  async function applyText(text: string, file: string, del: true): Promise<Answer<DeleteResult>>;
  async function applyText(text: string, file: string, del: boolean): Promise<Answer<ApplyResult | DeleteResult>> {
    const { objects, errors } = parseDocuments(text, file, { defaultNamespace: currentDefaultNs() });
    const errs = del ? errors : allErrors(objects, errors, store.list().map((s) => s.resource));
    if (errs.length > 0) return { status: 400, body: { errors: errs.map(String) } };
    // What a watched file defines is the file's: changing it here would be undone by the file's next save.
    const conflicts: string[] = [];
    for (const l of objects) {
      const cur = store.get(keyOf(l.resource));
      if (cur === undefined || !cur.source.startsWith('file:') || !watched.has(cur.source.slice('file:'.length))) continue;
      const r = l.resource;
      const at = sourceOf(cur.key, cur.source).slice('file:'.length);
      conflicts.push(`${r.kind} ${r.metadata.namespace ? `${r.metadata.namespace}/` : ''}${r.metadata.name} is defined in ${at}; edit that file instead (weft ${del ? 'delete' : 'apply'} cannot change what a watched file defines)`);
    }
    if (conflicts.length > 0) return { status: 409, body: { errors: conflicts } };
    const keys = objects.map((l) => keyOf(l.resource));
    if (del) {
      const ch = await store.delete(keys);
      const warnings = referenceWarnings(keys, true);
      return { status: 200, body: { deleted: ch.deleted, notFound: keys.filter((k) => !ch.deleted.includes(k)), revision: ch.revision, ...(warnings.length > 0 ? { warnings } : {}) } };
    }
    const ch = await store.apply(objects.map((l) => l.resource));
    // An expired certificate is stored (refusing it would not make the old one valid again), and said.
    const certWarnings = objects.flatMap((l) => l.resource.kind === 'Secret' ? secretWarnings(l.resource, Date.now()).map((i) => String(errorAt(l, i))) : []);
    const warnings = [...referenceWarnings(keys, false), ...certWarnings];
    return { status: 200, body: { applied: ch.upserted, unchanged: keys.filter((k) => !ch.upserted.includes(k)), revision: ch.revision, ...(warnings.length > 0 ? { warnings } : {}) } };
  }
  // Dangling references in the config as it is now that involve the objects just applied (their own
  // references) or just deleted (references to them). Allowed, so objects may come in any order; warned.
  const referenceWarnings = (keys: string[], deleted: boolean): string[] => {
    const all = store.list().map((s) => s.resource);
    const found = danglingReferences(all, currentDefaultNs(), registry.endpoints());
    const names = new Set(keys.map((k) => { const [kind, ns, name] = k.split('/'); return `${kind} ${ns ? `${ns}/` : ''}${name}`; }));
    const mine = deleted ? found.filter((d) => d.target !== undefined && names.has(d.target)) : found.filter((d) => keys.includes(d.key));
    return mine.map((d) => `${d.message} (${d.hint})`);
  };

  // `weft rollout restart`: a restart time per workload in store state; the runtime replaces replicas
  // started before it, one at a time.
  const ROLLOUTS = 'rollout-restarts';
  const rolloutRestart = async (body: unknown): Promise<Answer<RolloutRestartResult>> => {
    const b = body as RolloutRestartRequest;
    if (typeof b?.workload !== 'string' || (b.namespace !== undefined && typeof b.namespace !== 'string')) return { status: 400, body: { error: 'body must be {"workload": "<name>", "namespace"?: "<ns>"}' } };
    const ws = store.list().map((s) => s.resource).filter((r) => r.kind === 'Workload');
    const named = ws.filter((w) => w.metadata.name === b.workload);
    const ns = b.namespace ?? (named.length === 1 ? named[0].metadata.namespace ?? 'default' : currentDefaultNs());
    if (!named.some((w) => (w.metadata.namespace ?? 'default') === ns)) {
      const suggestion = closest(b.workload, ws.map((w) => w.metadata.name));
      return { status: 404, body: { error: `no Workload ${b.workload} in namespace ${ns}`, ...(suggestion ? { suggestion } : {}) } };
    }
    const restartedAt = new Date().toISOString();
    await store.putState(ROLLOUTS, { ...(store.getState<Record<string, string>>(ROLLOUTS) ?? {}), [`${ns}/${b.workload}`]: restartedAt });
    const res: RolloutRestartResult = { workload: b.workload, namespace: ns, restartedAt };
    return { status: 200, body: res };
  };

  const xdsUrl = url(xdsPort).replace(/^http:/, 'https:');
  let apiPortBound = 0;
  const handlers: ApiHandlers = {
    status,
    identity: (name) => {
      const c = push.conns.get(name);
      if (c === undefined) return undefined;
      const td = meshOf(state().objects).trustDomain;
      return { proxy: name, expected: spiffeId(td, c.ref.namespace, c.ref.serviceAccount), certificate: c.certificate ?? null, error: c.certError ?? null, connected: c.connected, bundleSize: c.bundleSize ?? null };
    },
    caRotate: async () => ({ status: 200, body: { steps: await rotate() } }),
    caImport: async (body) => {
      const b = body as { rootCertPem?: string; intermediateCertPem?: string; intermediateKeyPem?: string };
      if (typeof b?.rootCertPem !== 'string' || typeof b.intermediateCertPem !== 'string' || typeof b.intermediateKeyPem !== 'string') {
        return { status: 400, body: { error: 'body must be {"rootCertPem", "intermediateCertPem", "intermediateKeyPem"}' } };
      }
      try {
        await ca.importCa({ rootCertPem: b.rootCertPem, intermediateCertPem: b.intermediateCertPem, intermediateKeyPem: b.intermediateKeyPem });
      } catch (e) {
        return { status: 400, body: { error: (e as Error).message } };
      }
      setControlTls(await controlTls());
      push.broadcast({ type: 'bundle', bundle: ca.trustBundle() });
      push.broadcast({ type: 'renew' });
      return { status: 200, body: { bundle: ca.trustBundle().length } };
    },
    bundle: () => ca.trustBundle(),
    stat: (by, windowMs, backends) => {
      const names = new TrafficNames(state().objects, currentDefaultNs());
      return metrics.stat(by, windowMs, { calledService: (r, s, n) => names.calledService(r, s, n), backends });
    },
    edges: (windowMs) => metrics.edges(windowMs),
    prometheusSd: () => scrapeTargets().map((t) => ({
      targets: [t.admin],
      labels: { weft_proxy: t.proxy, weft_workload: t.ref.workload, weft_namespace: t.ref.namespace, weft_kind: t.ref.kind, __metrics_path__: '/metrics' },
    })),
    tap: (res, q) => {
      // By the name callers use: a workload, a Service, or a Service whose routes split to backends.
      const names = new TrafficNames(state().objects, currentDefaultNs());
      const name = q.get('target');
      if (name === null || name === '') return relayTap(res, q, scrapeTargets(), { enrich: (ev) => calledAs(names, ev) });
      const t = names.target(name);
      if (t === undefined) {
        const suggestion = names.suggest(name);
        const body: ApiError = { error: `no workload or service named "${name}"`, ...(suggestion !== undefined ? { suggestion } : {}) };
        const text = JSON.stringify(body, null, 2) + '\n';
        res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
        return;
      }
      relayTap(res, q, scrapeTargets(), { accept: (ev, from) => inTarget(t, ev, from.ref?.workload), enrich: (ev) => calledAs(names, ev) });
    },
    explain: (body) => explainRequest(state().objects, body as ExplainQuery),
    check: () => {
      const workloadOf = new Map(registry.expectedProxies().map((p) => [p.name, p.workload]));
      const processes = registry.processes().map((p) => (workloadOf.has(p.proxy) ? { ...p, workload: workloadOf.get(p.proxy)! } : p));
      return runChecks({
        controlVersion: VERSION, bundle: ca.trustBundle(), proxies: [...push.conns.values()], snapshotOf: (c) => snapshotFor(c.ref), now: Date.now(),
        objects: state().objects, endpoints: registry.endpoints(), defaultNamespace: currentDefaultNs(), proxyStates: status().proxies, processes, restartedAt: restarts.observe(registry.processes(), Date.now()),
      });
    },
    proxyConfig: (name) => {
      const c = push.conns.get(name);
      return c === undefined ? undefined : { proxy: name, state: push.stateOf(c), snapshot: c.running === undefined ? null : redactSnapshot(c.running), ...(c.ejected !== undefined ? { ejected: c.ejected } : {}) };
    },
    apply: (t, f) => applyText(t, f, false),
    delete: (t, f) => applyText(t, f, true),
    report: async (runtime, body) => {
      const r = body as RuntimeReport;
      if (!Array.isArray(r?.endpoints) || !Array.isArray(r?.proxies)) return { status: 400, body: { error: 'body must be {"endpoints": [...], "proxies": [...]}' } };
      const changedNow = await registry.report(runtime, r);
      return { status: 200, body: { changed: changedNow } };
    },
    rolloutRestart: (body) => rolloutRestart(body),
    rollouts: (): Rollouts => ({ restarts: store.getState<Record<string, string>>(ROLLOUTS) ?? {} }),
    objects: (kind): ObjectRow[] => store.list().filter((s) => kind === undefined || s.resource.kind === kind).map((s) => ({ ...withoutSecretValues(s.resource), source: sourceOf(s.key, s.source) })),
    joinToken: async (body) => {
      const ttl = (body as { ttl?: unknown })?.ttl;
      const ms = ttl === undefined ? DEFAULT_JOIN_TOKEN_TTL_MS : typeof ttl === 'string' ? parseGatewayDuration(ttl) : undefined;
      if (ms === undefined || ms < 1000 || ms > MAX_JOIN_TOKEN_TTL_MS) return { status: 400, body: { error: `ttl must be a duration between 1s and 24h, such as "15m" (got ${JSON.stringify(ttl)})` } };
      const t = await hosts.createToken(ms);
      log(`join token created, valid until ${t.expiresAt}`);
      return { status: 201, body: t };
    },
    join: async (body) => {
      const b = body as { token?: unknown; host?: unknown; csr?: unknown };
      // The CSR is checked before the token is spent: a bad request must not cost the host its token.
      if (typeof b?.csr !== 'string') return { status: 400, body: { error: 'csr is required: a PEM certificate request for the host\'s own key' } };
      try {
        readCsr(b.csr);
      } catch (e) {
        return { status: 400, body: { error: `csr: ${(e as Error).message}` } };
      }
      const r = await hosts.join(b.token, b.host);
      if (!r.ok) {
        log(`refused join of host ${JSON.stringify(b?.host)}: ${r.error}`);
        return { status: r.status, body: { error: r.error } };
      }
      const issued = await ca.signCsr(b.csr, { namespace: HOST_NAMESPACE, serviceAccount: `${HOST_ACCOUNT_PREFIX}${r.host}` }, HOST_CERT_TTL_SECONDS);
      log(`host ${r.host} joined (identity ${issued.spiffeId}, certificate ${issued.serial.slice(0, 12)} until ${issued.notAfter.toISOString()})`);
      return { status: 200, body: { host: r.host, certificate: issued.chainPem, ...joinAddresses() } };
    },
    hostCertificate: async (host, body) => {
      const csr = (body as { csr?: unknown })?.csr;
      try {
        readCsr(csr);
      } catch (e) {
        return { status: 400, body: { error: `csr: ${(e as Error).message}` } };
      }
      const issued = await ca.signCsr(csr as string, { namespace: HOST_NAMESPACE, serviceAccount: `${HOST_ACCOUNT_PREFIX}${host}` }, HOST_CERT_TTL_SECONDS);
      log(`host ${host}: certificate renewed (${issued.serial.slice(0, 12)} until ${issued.notAfter.toISOString()})`);
      return { status: 200, body: { certificate: issued.chainPem } };
    },
    hostProxyToken: (host, body) => {
      const ref = body as ProxyRef;
      if (typeof ref?.name !== 'string' || typeof ref.workload !== 'string' || typeof ref.namespace !== 'string' || typeof ref.serviceAccount !== 'string') {
        return { status: 400, body: { error: 'body must be a proxy: {"name", "kind": "sidecar", "workload", "namespace", "serviceAccount"}' } };
      }
      const why = mayRunProxy(state().objects, host, ref, currentDefaultNs());
      if (why !== undefined) return { status: 403, body: { error: why } };
      return { status: 200, body: { token: mintProxyToken(secrets.proxyKey, { name: ref.name, kind: 'sidecar', workload: ref.workload, namespace: ref.namespace, serviceAccount: ref.serviceAccount }) } };
    },
    hosts: () => hosts.list(),
  };
  const api = await startApi(handlers, secrets.adminToken, o.host, o.apiPort, log);
  // Joined hosts call over mTLS with the certificate the mesh CA issued them at join.
  hostApi = await startApi(handlers, secrets.adminToken, o.host, o.hostApiPort ?? 0, log, {
    tls: await controlTls(),
    hostOf: (peer) => {
      const cert = peer.getPeerCertificate();
      const uri = /URI:(spiffe:\/\/[^,\s]+)/.exec(cert?.subjectaltname ?? '')?.[1];
      return peer.authorized && uri !== undefined ? hosts.hostOf(uri, meshOf(state().objects).trustDomain) : undefined;
    },
  });
  /** Where a joined host finds the control plane: every live replica's config-push and host API addresses, this one first. */
  function joinAddresses(): { xds: string; hostApi: string; trustDomain: string; bundle: string[] } {
    const live = shareStatus ? Object.entries(store.getState<SharedStatus>(PROXY_STATUS) ?? {}).filter(([id, e]) => id !== replicaId && Date.now() - e.at < SHARED_STATUS_TTL_MS) : [];
    return {
      xds: [xdsUrl, ...live.flatMap(([, e]) => (e.xds !== undefined ? [e.xds] : []))].join(','),
      hostApi: [hostApiUrl(), ...live.flatMap(([, e]) => (e.hostApi !== undefined ? [e.hostApi] : []))].join(','),
      trustDomain: meshOf(state().objects).trustDomain,
      bundle: ca.trustBundle(),
    };
  }
  apiPortBound = api.port;

  if (o.runFile !== false) writeRunFile({ url: url(api.port), xds: xdsUrl, token: secrets.adminToken, pid: process.pid, stateDir: path.resolve(o.stateDir), mesh: meshOf(state().objects).name, startedAt });
  log(`control plane ${VERSION} api=${url(api.port)} xds=${xdsUrl} state=${o.stateDir}${storeSpec.kind === 'etcd' ? ` store=${storeSpec.text}` : ''}${sealer ? ` store-key=${sealer.fingerprint}` : ''}`);
  if (process.send) process.send({ type: 'listening', api: url(api.port), xds: xdsUrl, apiPort: api.port, xdsPort, hostApiPort: hostApi.port, bundle: ca.trustBundle(), trustDomain: meshOf(state().objects).trustDomain });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    watcher.close();
    removeRunFile(path.resolve(o.stateDir), process.pid);
    await Promise.allSettled([push.close(), api.close(), hostApi?.close()]);
    ca.close();
    await store.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  if (process.send) process.on('disconnect', () => void stop());
}
