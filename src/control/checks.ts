// `weft check`: health checks as data. Each check looks at the control plane's view of the mesh and
// says PASS, WARN or FAIL with a hint; the CLI only prints them.
import { createHash } from 'node:crypto';
import type { Snapshot } from '../api/snapshot.js';
import type { ProxyConn } from './push/server.js';

import type { CheckStatus, CheckResult } from '../api/control-api.js';
export type { CheckStatus, CheckResult };

export interface CheckContext {
  controlVersion: string;
  bundle: string[];
  proxies: ProxyConn[];
  /** The snapshot each proxy should run now. */
  snapshotOf: (c: ProxyConn) => Snapshot;
  now: number;
}

interface Check {
  category: string;
  check: string;
  run(ctx: CheckContext): Omit<CheckResult, 'category' | 'check'>;
}

const names = (cs: ProxyConn[]) => cs.map((c) => c.ref.name).join(', ');

export const CHECKS: Check[] = [
  {
    category: 'control plane', check: 'every proxy is connected and SYNCED',
    run: ({ proxies }) => {
      const down = proxies.filter((c) => !c.connected);
      const nacked = proxies.filter((c) => c.nacked !== undefined && c.nacked.version === c.sent);
      if (nacked.length > 0) return { status: 'FAIL', message: `rejected config: ${names(nacked)}`, hint: 'see `weft status` for the error, fix the config and apply again' };
      if (down.length > 0) return { status: 'WARN', message: `disconnected: ${names(down)}`, hint: 'they serve their last good config; check their logs' };
      return { status: 'PASS', message: `${proxies.length} proxies connected` };
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
