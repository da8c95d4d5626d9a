// `weft check`: health checks as data. Each check looks at the control plane's view of the mesh and
// says PASS, WARN or FAIL with a hint; the CLI only prints them.
import { createHash } from 'node:crypto';
import type { Snapshot } from '../api/snapshot.js';
import type { ProxyConn } from './push/server.js';
import type { AnyResource, Secret } from '../api/types.js';
import { secretExpiry, secretWarnings } from '../api/kinds/secret.js';
import { danglingReferences, type DanglingRef, type LabelledEndpoint } from '../api/references.js';

import type { CheckStatus, CheckResult, ControlStatus, ProcessReport } from '../api/control-api.js';
export type { CheckStatus, CheckResult };

export interface CheckContext {
  controlVersion: string;
  bundle: string[];
  proxies: ProxyConn[];
  /** The snapshot each proxy should run now. */
  snapshotOf: (c: ProxyConn) => Snapshot;
  now: number;
  /** Every stored config object, and the namespace of objects that name none. */
  objects: readonly AnyResource[];
  /** Replicas runtimes registered (their labels count for selectors, Workload object or not). */
  endpoints?: readonly LabelledEndpoint[];
  defaultNamespace: string;
  /** Every proxy the control plane expects or has seen, with its sync state (what `weft status` shows). */
  proxyStates: readonly ControlStatus['proxies'][number][];
  /** What runtimes report about the processes they supervise, with the workload each belongs to. */
  processes: readonly (ProcessReport & { workload?: string })[];
  /** When each process ("proxy/role") was last seen restarting (see RestartTracker). */
  restartedAt: ReadonlyMap<string, number>;
}

/** How recent a restart must be for `weft check` to warn about it. */
export const RECENT_RESTART_MS = 10 * 60_000;

/**
 * Remembers when each process's restart count last went up, so a restart an hour ago is history and one a
 * minute ago is a warning. Runtimes report counts, not times; the control plane notes when a count grows.
 */
export class RestartTracker {
  private readonly seen = new Map<string, { restarts: number; at: number }>();

  observe(processes: readonly ProcessReport[], now: number): ReadonlyMap<string, number> {
    for (const p of processes) {
      const key = `${p.proxy}/${p.role}`;
      const prev = this.seen.get(key);
      if (prev === undefined) this.seen.set(key, { restarts: p.restarts, at: p.restarts > 0 ? now : 0 });
      else if (p.restarts > prev.restarts) this.seen.set(key, { restarts: p.restarts, at: now });
      else if (p.restarts < prev.restarts) this.seen.set(key, { restarts: p.restarts, at: prev.at }); // the runtime restarted
    }
    return new Map([...this.seen].filter(([, v]) => v.at > 0).map(([k, v]) => [k, v.at]));
  }
}

interface Check {
  category: string;
  check: string;
  run(ctx: CheckContext): Omit<CheckResult, 'category' | 'check'>;
}

const names = (cs: ProxyConn[]) => cs.map((c) => c.ref.name).join(', ');

/** How a gateway reports a listener it could not bind (src/proxy/proxy.ts): "listener http: cannot listen on 127.0.0.1:8080: EADDRINUSE". */
const LISTEN_FAILURE = /listener ([^:]+): cannot listen on (\S+): (\S+)/;

function describe(p: ProcessReport): string {
  const parts = [p.error ?? (!p.running ? 'not running' : 'failing its readiness probe')];
  if (p.restarts > 0) parts.push(`${p.restarts} restart${p.restarts === 1 ? '' : 's'}`);
  if (p.lastExit !== undefined) parts.push(`last exit: ${p.lastExit}`);
  return `(${parts.join(', ')})`;
}

function findings(found: DanglingRef[], status: CheckStatus, ok: string): Omit<CheckResult, 'category' | 'check'> {
  if (found.length === 0) return { status: 'PASS', message: ok };
  const hints = [...new Set(found.map((d) => d.hint))];
  return { status, message: found.map((d) => d.message).join('; '), hint: hints.join('; ') };
}

/** How close to expiry a gateway certificate gets a warning. */
export const CERTIFICATE_EXPIRY_WARN_MS = 14 * 24 * 3600_000;

/** Every Secret an HTTPS listener names exists, and its certificate is valid now and for a while yet. */
function gatewayCertificates(objects: readonly AnyResource[], defaultNamespace: string, now: number): Omit<CheckResult, 'category' | 'check'> {
  const fail: string[] = [];
  const warn: string[] = [];
  const nsOf = (r: AnyResource) => r.metadata.namespace ?? defaultNamespace;
  for (const d of danglingReferences(objects, defaultNamespace).filter((x) => x.missing === 'secret')) fail.push(d.message);
  const seen = new Set<string>();
  for (const g of objects) {
    if (g.kind !== 'Gateway') continue;
    for (const l of g.spec.listeners) for (const ref of l.tls?.certificateRefs ?? []) {
      const s = objects.find((o): o is Secret => o.kind === 'Secret' && o.metadata.name === ref.name && nsOf(o) === (ref.namespace ?? nsOf(g)));
      const key = `${nsOf(g)}/${ref.name}`;
      if (s === undefined || seen.has(key)) continue;
      seen.add(key);
      const bad = secretWarnings(s, now)[0];
      const expires = secretExpiry(s);
      if (bad !== undefined) fail.push(`Secret ${key}: ${bad.message}`);
      else if (expires !== undefined && expires - now < CERTIFICATE_EXPIRY_WARN_MS) warn.push(`Secret ${key}: the certificate expires on ${new Date(expires).toISOString()}`);
    }
  }
  const hint = 'put a renewed certificate and key in the Secret (weft apply); gateways load it for new connections without a restart';
  if (fail.length > 0) return { status: 'FAIL', message: [...fail, ...warn].join('; '), hint };
  if (warn.length > 0) return { status: 'WARN', message: warn.join('; '), hint };
  return { status: 'PASS', message: seen.size === 0 ? 'no gateway terminates TLS' : `${seen.size} certificate${seen.size === 1 ? '' : 's'} valid for at least 14 days` };
}

export const CHECKS: Check[] = [
  {
    category: 'control plane', check: 'every proxy is connected and SYNCED',
    run: ({ proxyStates }) => {
      const nacked = proxyStates.filter((p) => p.state === 'NACKED');
      const stale = proxyStates.filter((p) => p.state === 'STALE');
      if (nacked.length > 0) {
        return { status: 'FAIL', message: `rejected config: ${nacked.map((p) => `${p.name} (${p.error ?? 'no reason given'})`).join('; ')}`, hint: 'they keep serving their last good config; fix what the error names and apply again' };
      }
      if (stale.length > 0) {
        return { status: 'WARN', message: `not in sync: ${stale.map((p) => `${p.name} (${p.error ?? 'STALE'})`).join('; ')}`, hint: 'a STALE proxy serves its last good config; if it stays STALE, check that it runs (`weft status`) and its log' };
      }
      return { status: 'PASS', message: `${proxyStates.length} prox${proxyStates.length === 1 ? 'y' : 'ies'} SYNCED` };
    },
  },
  {
    category: 'control plane', check: 'every gateway listener is bound',
    run: ({ proxyStates }) => {
      const failed: { proxy: string; listener: string; addr: string; code: string }[] = [];
      for (const p of proxyStates) {
        const m = p.error === undefined ? null : LISTEN_FAILURE.exec(p.error);
        if (p.state === 'NACKED' && m !== null) failed.push({ proxy: p.name, listener: m[1], addr: m[2], code: m[3] });
      }
      if (failed.length === 0) return { status: 'PASS', message: 'no listener failed to bind' };
      const codes = new Set(failed.map((f) => f.code));
      const hint = codes.has('EADDRINUSE')
        ? 'another process (perhaps another mesh) holds the port: stop it, or give the Gateway listener another port'
        : codes.has('EACCES') ? 'ports below 1024 need privileges: use a port from 1024 up' : 'check the Gateway\'s addresses and listener ports';
      return { status: 'FAIL', message: failed.map((f) => `${f.proxy}: listener ${f.listener} cannot bind ${f.addr} (${f.code})`).join('; '), hint };
    },
  },
  {
    category: 'config', check: 'routes point at Services, ports and Gateways that exist',
    run: ({ objects, defaultNamespace, endpoints }) => findings(danglingReferences(objects, defaultNamespace, endpoints).filter((d) => d.severity === 'error' && d.missing !== 'secret'), 'FAIL', 'every route reference resolves'),
  },
  {
    category: 'config', check: 'policies and Services select a Workload',
    run: ({ objects, defaultNamespace, endpoints }) => findings(danglingReferences(objects, defaultNamespace, endpoints).filter((d) => d.severity === 'warning'), 'WARN', 'every selector matches a Workload'),
  },
  {
    category: 'workloads', check: 'every app is running and ready',
    run: ({ processes }) => {
      // A one-shot workload that finished with code 0 is done, not down.
      const apps = processes.filter((p) => p.role === 'app' && !(p.completed && p.lastExit === 'code 0'));
      const bad = apps.filter((p) => !p.running || p.ready === false);
      if (bad.length > 0) {
        return {
          status: 'FAIL',
          message: `not ready: ${bad.map((p) => `${p.workload !== undefined ? `${p.workload} (${p.proxy})` : p.proxy} ${describe(p)}`).join('; ')}`,
          hint: 'requests to it fail or go to other replicas; read its output (`weft logs <workload> --app`, or the `weft up` log) for why it exits or fails its readiness probe',
        };
      }
      return { status: 'PASS', message: apps.length === 0 ? 'no runtime reported any app' : `${apps.length} app${apps.length === 1 ? '' : 's'} running and ready` };
    },
  },
  {
    category: 'workloads', check: 'no process restarted recently',
    run: ({ processes, restartedAt, now }) => {
      const recent = processes.filter((p) => p.restarts > 0 && now - (restartedAt.get(`${p.proxy}/${p.role}`) ?? 0) < RECENT_RESTART_MS);
      if (recent.length > 0) {
        return {
          status: 'WARN',
          message: `restarted in the last ${RECENT_RESTART_MS / 60_000} minutes: ${recent.map((p) => `${p.proxy} ${p.role} ${p.restarts}×${p.lastExit !== undefined ? ` (last exit: ${p.lastExit})` : ''}`).join('; ')}`,
          hint: 'a process that keeps exiting is restarted with back-off; its output says why it exits',
        };
      }
      return { status: 'PASS', message: 'no recent restarts' };
    },
  },
  {
    category: 'certificates', check: 'every proxy has a valid certificate that renews',
    run: ({ proxies, now }) => {
      const none = proxies.filter((c) => c.connected && c.certificate == null);
      const failing = proxies.filter((c) => c.certError);
      const late = proxies.filter((c) => c.certificate && c.certificate.renewAt !== '' && Date.parse(c.certificate.renewAt) + 60_000 < now);
      if (failing.length > 0) return { status: 'FAIL', message: `failing closed: ${failing.map((c) => `${c.ref.name} (${c.certError})`).join(', ')}`, hint: 'the proxy recovers by itself once it reaches the control plane' };
      if (none.length > 0) return { status: 'FAIL', message: `no certificate: ${names(none)}`, hint: 'check the control plane log for refused CSRs' };
      if (late.length > 0) return { status: 'WARN', message: `past their renewal time: ${names(late)}`, hint: 'renewal needs the control plane; check connectivity' };
      return { status: 'PASS', message: 'all certificates valid' };
    },
  },
  {
    category: 'certificates', check: 'gateway TLS listeners have a current certificate',
    run: ({ objects, defaultNamespace, now }) => gatewayCertificates(objects, defaultNamespace, now),
  },
  {
    category: 'certificates', check: 'every proxy trusts the same bundle as the CA',
    run: ({ proxies, bundle }) => {
      const want = createHash('sha256').update(bundle.map((p) => p.trim()).join('\n')).digest('hex').slice(0, 12);
      const odd = proxies.filter((c) => c.connected && c.bundleId !== undefined && c.bundleId !== want);
      if (odd.length > 0) return { status: 'FAIL', message: `different trust bundle: ${names(odd)}`, hint: 'a CA rotation may be in progress; run `weft ca rotate` again if it stopped' };
      return { status: 'PASS', message: `${bundle.length} root${bundle.length === 1 ? '' : 's'} (${want}) on every proxy` };
    },
  },
  {
    category: 'mTLS', check: 'no plaintext to a workload where STRICT applies',
    run: ({ proxies, snapshotOf }) => {
      const strict = new Set(proxies.filter((c) => c.ref.kind === 'sidecar' && snapshotOf(c).security.mtls === 'STRICT').map((c) => c.ref.name));
      const bad: string[] = [];
      for (const c of proxies) {
        for (const cl of snapshotOf(c).clusters) for (const e of cl.endpoints) if (e.tls === 'plaintext' && strict.has(e.proxy)) bad.push(`${c.ref.name} -> ${e.proxy}`);
      }
      if (bad.length > 0) return { status: 'FAIL', message: `plaintext to STRICT workloads: ${[...new Set(bad)].join(', ')}` };
      const relaxed = proxies.filter((c) => c.ref.kind === 'sidecar' && !strict.has(c.ref.name));
      if (relaxed.length > 0) return { status: 'WARN', message: `not STRICT: ${names(relaxed)}`, hint: 'PERMISSIVE/DISABLE accept plaintext; intended during a migration only' };
      return { status: 'PASS', message: `all ${strict.size} sidecars STRICT` };
    },
  },
  {
    category: 'versions', check: 'proxies run the control plane version',
    run: ({ proxies, controlVersion }) => {
      const skew = proxies.filter((c) => c.proxyVersion !== controlVersion);
      if (skew.length > 0) return { status: 'WARN', message: `version skew: ${skew.map((c) => `${c.ref.name}=${c.proxyVersion}`).join(', ')} (control ${controlVersion})`, hint: 'restart them to pick up the new version' };
      return { status: 'PASS', message: `all on ${controlVersion}` };
    },
  },
];

export function runChecks(ctx: CheckContext): CheckResult[] {
  return CHECKS.map((c) => {
    try {
      return { category: c.category, check: c.check, ...c.run(ctx) };
    } catch (e) {
      return { category: c.category, check: c.check, status: 'FAIL' as const, message: `check failed: ${(e as Error).message}` };
    }
  });
}
