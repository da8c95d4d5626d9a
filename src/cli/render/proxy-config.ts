// `weft proxy-config <proxy>`: the snapshot a proxy runs, as listeners, services and clusters.
import type { Snapshot } from '../../api/snapshot.js';
import { json, table, type Output } from './table.js';

/** The parts of a snapshot the table shows (JSON prints the whole snapshot as the control plane sent it). */
export type SnapshotView = {
  version: string;
  listeners: { name: string; address: string; port: number; virtualHosts: { domains: string[]; routes: unknown[] }[] }[];
  services: { name: string; namespace: string; ports: { port: number; routes: { route: string; backends: { cluster: string | null; ref: string; weight: number }[] }[] }[] }[];
  clusters: { name: string; endpoints: { address: string; port: number; ready: boolean; locality?: { region: string; zone?: string } }[] }[];
};

export interface ProxyConfigView {
  proxy: string;
  state: { state: string; error?: string };
  snapshot: SnapshotView | Snapshot | null;
  /** Endpoints the proxy's outlier detection keeps out now, by cluster ("address:port"). */
  ejected?: Record<string, string[]>;
}

export function renderProxyConfig(r: ProxyConfigView, output: Output): string {
  if (output === 'json') return json(r.snapshot);
  const s = r.snapshot as SnapshotView | null;
  let out = `proxy ${r.proxy}: ${r.state.state}${r.state.error ? ` (${r.state.error})` : ''}; running ${s?.version ?? 'nothing'}\n`;
  if (!s) return out;
  if (s.listeners.length > 0) {
    const rows = [['NAME', 'ADDRESS', 'DOMAINS', 'ROUTES']];
    for (const l of s.listeners) rows.push([l.name, `${l.address}:${l.port}`, l.virtualHosts.map((v) => v.domains.join(',')).join(' ') || '-', String(l.virtualHosts.reduce((n, v) => n + v.routes.length, 0))]);
    out += '\nLISTENERS\n' + table(rows);
  }
  if (s.services.length > 0) {
    const rows = [['SERVICE', 'PORT', 'ROUTES', 'BACKENDS']];
    for (const sv of s.services) for (const p of sv.ports) {
      const backends = [...new Set(p.routes.flatMap((e) => e.backends.map((b) => `${b.cluster ?? `${b.ref} (missing)`}${e.backends.length > 1 ? ` w=${b.weight}` : ''}`)))];
      rows.push([`${sv.name}.${sv.namespace}`, String(p.port), [...new Set(p.routes.map((e) => e.route))].join(',') || '-', backends.join(' ') || '-']);
    }
    out += '\nSERVICES\n' + table(rows);
  }
  const rows = [['CLUSTER', 'ENDPOINTS']];
  const where = (l: { region: string; zone?: string } | undefined) => (l === undefined ? '' : ` [${l.region}${l.zone !== undefined ? `/${l.zone}` : ''}]`);
  for (const c of s.clusters) {
    const out = new Set(r.ejected?.[c.name] ?? []);
    rows.push([c.name, c.endpoints.map((e) => `${e.address}:${e.port}${where(e.locality)}${e.ready ? '' : ' (not ready)'}${out.has(`${e.address}:${e.port}`) ? ' (ejected)' : ''}`).join(' ') || '-']);
  }
  out += '\nCLUSTERS\n' + table(rows);
  return out;
}
