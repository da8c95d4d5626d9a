// `weft proxy`: runs one proxy process. Under `weft up` the runtime forks it with an IPC channel, hands it
// its bootstrap credential over that channel (never a file), and hears back its ports and readiness.
import type { ProxyIpc } from '../api/proxy-ipc.js';
import { readFileSync, writeSync } from 'node:fs';
import { Proxy } from './proxy.js';
import { XdsClient } from './push/client.js';
import { VERSION } from '../version.js';
import { IdentityManager } from './tls/manager.js';
import { ProxyMetrics } from './observe/metrics/index.js';
import { mirrorStats } from './engine/forward.js';
import { AccessLog } from './observe/accesslog/index.js';
import { LineBatch } from './observe/accesslog/batch.js';
import { RecordBatch } from './observe/batch.js';
import { LogOutput } from './observe/accesslog/output.js';
import { X509Certificate } from 'node:crypto';
import { checkPeerSvid } from '../identity/index.js';

/** How often a proxy checks whether its ejected endpoints changed (sent to the control plane only then). */
const EJECTIONS_REPORT_MS = 1000;

export interface ProxyMainOptions {
  name: string;
  kind: 'sidecar' | 'gateway';
  workload: string;
  namespace: string;
  control: string;
  appPort?: number;
  host: string;
  /** Where the inbound (mTLS) listener binds, when peers on other hosts must reach it; default: host. */
  inboundHost?: string;
  outboundPort: number;
  inboundPort: number;
  /** Transparent capture's port (weft capture install --outbound-port); absent: no capture listener. */
  capturePort?: number;
  adminPort: number;
  tokenFile?: string;
  /** Roots to verify the control plane with (when not handed over by the runtime). */
  controlCaFile?: string;
  trustDomain?: string;
  drainMs: number;
}

interface Bootstrap {
  token: string;
  bundle: string[];
  trustDomain: string;
}

export type { ProxyIpc };

function freshToken(): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { process.off('message', onMsg); reject(new Error('the runtime did not answer a credential request')); }, 5000);
    const onMsg = (m: unknown) => {
      const msg = m as { type?: string; token?: string };
      if (msg?.type === 'token' && typeof msg.token === 'string') {
        clearTimeout(timer);
        process.off('message', onMsg);
        resolve(msg.token);
      }
    };
    process.on('message', onMsg);
    process.send!({ type: 'token-request' });
  });
}

async function bootstrap(o: ProxyMainOptions): Promise<Bootstrap> {
  const fromFiles = (token: string): Bootstrap => ({
    token,
    bundle: o.controlCaFile ? [readFileSync(o.controlCaFile, 'utf8')] : [],
    trustDomain: o.trustDomain ?? 'cluster.local',
  });
  if (o.tokenFile) return fromFiles(readFileSync(o.tokenFile, 'utf8').trim());
  const env = process.env.WEFT_PROXY_TOKEN;
  if (env) {
    delete process.env.WEFT_PROXY_TOKEN;
    return fromFiles(env);
  }
  if (process.send) {
    return new Promise((resolve) => {
      const onMsg = (m: unknown) => {
        const msg = m as { type?: string; token?: string; bundle?: string[]; trustDomain?: string };
        if (msg?.type === 'bootstrap' && typeof msg.token === 'string') {
          process.off('message', onMsg);
          resolve({ token: msg.token, bundle: msg.bundle ?? [], trustDomain: msg.trustDomain ?? 'cluster.local' });
        }
      };
      process.on('message', onMsg);
    });
  }
  throw new Error('no bootstrap credential: pass --token-file, set WEFT_PROXY_TOKEN, or run under `weft up`');
}

export async function runProxy(o: ProxyMainOptions): Promise<void> {
  const log = (msg: string) => process.stdout.write(`${msg}\n`);
   
  let xds: XdsClient;
  const identity = new IdentityManager({
    sendCsr: (csr) => xds.send({ type: 'csr', csr }),
    onStatus: ({ info, renewAt, error }) => xds.send({
      type: 'cert-status',
      certificate: info === null ? null : { spiffeId: info.spiffeId, serial: info.serial, notBefore: info.notBefore.toISOString(), notAfter: info.notAfter.toISOString(), renewAt: renewAt?.toISOString() ?? '' },
      ...(error ? { error } : {}),
      bundleSize: identity.current?.bundle.length,
      bundleId: identity.bundleId,
    }),
    log,
  });
  const proxy = new Proxy({
    name: o.name, kind: o.kind, workload: o.workload, namespace: o.namespace, appPort: o.appPort, host: o.host, ...(o.inboundHost !== undefined ? { inboundHost: o.inboundHost } : {}),
    ports: { outbound: o.outboundPort, inbound: o.inboundPort, admin: o.adminPort, ...(o.capturePort !== undefined ? { capture: o.capturePort } : {}) }, identity, log,
  });
  // RED metrics for every request this proxy handles, served at the admin listener's /metrics.
  const metrics = new ProxyMetrics({ proxy: { name: o.name, workload: o.workload, namespace: o.namespace, kind: o.kind } });
  let metricsOn = true;
  // JSON access log lines on this proxy's output (the runtime prefixes them with the proxy's name),
  // batched off-heap every 100 ms or 64 KiB (accesslog/batch.ts) and written off the event loop, dropping
  // (and counting) lines rather than stalling requests when the reader falls behind (accesslog/output.ts).
  const logOut = new LogOutput();
  const lines: LineBatch = new LineBatch({ out: (chunk, n) => logOut.write(chunk, n, (c) => lines.recycle(c)) });
  const accessLog = new AccessLog({ write: (buf, length) => lines.writeBytes(buf, length), proxy: { name: o.name } });
  // Metrics and access log take records in batches (observe/batch.ts: warm caches, measured cheaper), at
  // most 64 records or 100 ms behind; tap stays immediate.
  const records = new RecordBatch([{ record: (r) => { if (metricsOn) metrics.record(r); } }, accessLog]);
  proxy.sinks.push(records);
  // Exits without a drain (a crash, process.exit elsewhere) still get the last lines out, synchronously.
  process.once('exit', () => {
    records.flush();
    const last = lines.take();
    try {
      if (last !== undefined) writeSync(1, last);
    } catch {
      // stdout is gone: nothing to do.
    }
  });
  proxy.onTelemetry = (t) => {
    accessLog.configure(t.accessLog);
    metricsOn = t.metrics.enabled;
  };
  proxy.inflight = metrics.inflight;
  // cluster is "<service>.<namespace>:<port>" (bounded by the config, like the request families' labels).
  proxy.retryCounter = (cluster, outcome) => {
    const m = /^(.*)\.([^.]+):(\d+)$/.exec(cluster);
    metrics.incCounter('weft_retries_total', 'Retries by destination service: attempted, refused by the retry budget (budget_exhausted), and retried requests that then succeeded (success)',
      { destination_service: m?.[1] ?? cluster, destination_namespace: m?.[2] ?? '', outcome });
  };
  proxy.outliers.onEject = (cluster) => {
    const m = /^(.*)\.([^.]+):(\d+)$/.exec(cluster);
    metrics.incCounter('weft_outlier_ejections_total', 'Endpoints ejected by outlier detection (TrafficPolicy outlierDetection), by destination service',
      { destination_service: m?.[1] ?? cluster, destination_namespace: m?.[2] ?? '' });
  };
  proxy.overflowCounter = (cluster, limit) => {
    const m = /^(.*)\.([^.]+):(\d+)$/.exec(cluster);
    metrics.incCounter('weft_overflow_total', 'Requests refused by a circuit breaker (TrafficPolicy circuitBreaker), by destination service and the limit reached',
      { destination_service: m?.[1] ?? cluster, destination_namespace: m?.[2] ?? '', limit });
  };
  proxy.rateLimitCounter = (policy, direction) => {
    metrics.incCounter('weft_rate_limited_total', 'Requests refused by a local rate limit (RateLimitPolicy), by the policy whose limit refused them and the direction', { policy, direction });
  };
  proxy.connections = {
    opened: (direction) => metrics.incCounter('weft_tcp_connections_opened_total', 'Downstream TCP connections accepted', { direction }),
    closed: (direction, rx, tx) => {
      metrics.incCounter('weft_tcp_connections_closed_total', 'Downstream TCP connections closed', { direction });
      metrics.incCounter('weft_tcp_received_bytes_total', 'Bytes received on downstream TCP connections (counted at close)', { direction }, rx);
      metrics.incCounter('weft_tcp_sent_bytes_total', 'Bytes sent on downstream TCP connections (counted at close)', { direction }, tx);
    },
  };
  proxy.metricsText = () => {
    records.flush();
    for (const outcome of ['sent', 'skipped', 'failed'] as const) {
      metrics.setCounter('weft_mirror_requests_total', 'RequestMirror shadow copies: sent (the shadow answered), skipped (its pool was saturated or no endpoint was ready), failed', { outcome }, mirrorStats[outcome]);
    }
    const id = identity.current;
    metrics.setGauge('weft_access_log_dropped_lines', 'Access-log lines dropped since start because the log reader fell behind', {}, logOut.dropped);
    if (id !== undefined) metrics.setGauge('weft_certificate_expiry_seconds', "Seconds until this proxy's workload certificate expires", {}, Math.round((id.info.notAfter.getTime() - Date.now()) / 1000));
    for (const [k, v] of Object.entries(proxy.stats)) metrics.setGauge(`weft_tls_${k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`, `TLS counter ${k} since start`, {}, v);
    for (const u of proxy.poolUsage()) {
      for (const k of ['connected', 'free', 'pending', 'running'] as const) metrics.setGauge(`weft_upstream_pool_${k}`, `Upstream connection pools: ${k === 'connected' ? 'open connections' : k === 'free' ? 'idle connections' : k === 'pending' ? 'requests waiting for a connection' : 'requests in flight'}`, { tls: u.tls }, u[k]);
    }
    return metrics.render();
  };
  const boot = await bootstrap(o);
  // The first connection uses the credential handed over at start; every later one asks the runtime for a
  // fresh single-use credential (a static --token-file credential is reused as given).
  let firstToken: string | undefined = boot.token;
  const token = process.send && !o.tokenFile && process.env.WEFT_PROXY_TOKEN === undefined
    ? () => {
      if (firstToken !== undefined) {
        const t = firstToken;
        firstToken = undefined;
        return Promise.resolve(t);
      }
      return freshToken();
    }
    : boot.token;
  const controlId = `spiffe://${boot.trustDomain}/ns/weft-system/sa/weft-control`;
  await proxy.start();
  let announced = false;
  const report = () => {
    // Ready for the runtime once it has both its config and its certificate.
    if (!process.send || proxy.version === null || identity.current === undefined) return;
    const msg: ProxyIpc = { type: announced ? 'ports' : 'ready', ports: proxy.ports(), configVersion: proxy.version };
    announced = true;
    process.send(msg);
  };
  identity.onChange(() => { if (!announced) report(); });
  // What the control plane last heard of this proxy's ejections (reset on each new stream).
  let lastEjected = '';
  xds = new XdsClient({
    url: o.control,
    token,
    hello: { proxy: { name: o.name, kind: o.kind, workload: o.workload, namespace: o.namespace, version: VERSION, admin: `${o.host}:${proxy.ports().admin}` } },
    currentVersion: () => proxy.version,
    log,
    apply: async (snap) => {
      const first = proxy.version === null;
      await proxy.apply(snap);
      log(`applied config ${snap.version}`);
      if (first || process.send) report();
    },
    tls: o.control.startsWith('https:') ? () => {
      const id = identity.current;
      const valid = id !== undefined && !identity.expired;
      return {
        ca: id?.bundle ?? boot.bundle,
        ...(valid ? { key: id.keyPem, cert: id.chain.join('') } : {}),
        checkServerIdentity: (_host: string, cert: import('node:tls').PeerCertificate) => {
          const r = checkPeerSvid(new X509Certificate(cert.raw), { trustDomain: boot.trustDomain });
          if (!r.ok) return new Error(`control plane certificate: ${r.reason}`);
          return r.spiffeId === controlId ? undefined : new Error(`control plane presented ${r.spiffeId}, expected ${controlId}`);
        },
      };
    } : undefined,
    onConnected: () => {
      // A new stream: the control plane learns the current ejections again.
      lastEjected = '';
      const c = identity.current;
      if (identity.needsCertificate) identity.requestCertificate().catch((e) => log(`cannot create CSR: ${(e as Error).message}`));
      else if (c) xds.send({ type: 'cert-status', certificate: { spiffeId: c.info.spiffeId, serial: c.info.serial, notBefore: c.info.notBefore.toISOString(), notAfter: c.info.notAfter.toISOString(), renewAt: identity.renewAtIso }, bundleSize: c.bundle.length, bundleId: identity.bundleId });
    },
    onMessage: (m) => {
      try {
        if (m.type === 'certificate') identity.install(m.chain, m.bundle);
        else if (m.type === 'bundle') identity.setBundle(m.bundle);
        else if (m.type === 'renew') void identity.requestCertificate();
        else if (m.type === 'error') log(`control plane: ${m.error}`);
      } catch (e) {
        log(`rejected ${m.type} from control plane: ${(e as Error).message}`);
      }
    },
  });
  xds.start();
  // Ejections (outlier detection) go to the control plane when they change, for `weft proxy-config`.
  setInterval(() => {
    const ejected = proxy.outliers.ejected();
    const text = JSON.stringify(ejected);
    if (text === lastEjected) return;
    lastEjected = text;
    xds.send({ type: 'endpoint-health', ejected });
  }, EJECTIONS_REPORT_MS).unref();
  const p = proxy.ports();
  log(`proxy ${o.name} (${o.kind}) admin=${o.host}:${p.admin}${p.outbound ? ` outbound=${o.host}:${p.outbound}` : ''}${p.inbound ? ` inbound=${o.host}:${p.inbound}` : ''}`);

  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log(`draining (${why})`);
    xds.stop();
    await proxy.drain(o.drainMs);
    records.flush();
    lines.flush();
    await logOut.drained();
    log('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  if (process.send) {
    process.on('message', (m) => {
      const type = (m as { type?: string })?.type;
      if (type === 'drain') void stop('asked by runtime');
      if (type === 'drain-inbound') {
        log('draining inbound (replica stopping)');
        void proxy.drainInbound(o.drainMs).then(() => process.send?.({ type: 'inbound-drained' }));
      }
    });
    // The runtime went away without stopping us: do not linger as an orphan.
    process.on('disconnect', () => void stop('runtime gone'));
  }
}
