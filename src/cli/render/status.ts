// `weft status`: the control plane, every proxy with its sync state and (sidecars) its app, the gateways.
import type { ControlStatus } from '../../api/control-api.js';
import { json, table, type Output } from './table.js';

type ProxyStatus = ControlStatus['proxies'][number];

/** APP column: whether a sidecar's app answers its readiness probe, and why not when it is down. */
function app(p: ProxyStatus): string {
  if (!p.app) return '-';
  if (p.app.completed) return `done (${p.app.lastExit === 'code 0' ? 'completed' : `failed: ${p.app.lastExit ?? 'unknown exit'}`})`;
  const why = p.app.error ?? (p.app.running ? undefined : p.app.lastExit ? `exited: ${p.app.lastExit}` : 'not running');
  return `${p.app.ready ? 'yes' : 'no'}${why ? ` (${why})` : ''}`;
}

/** RESTARTS column: the app's restarts for a sidecar (the proxy's own too when it restarted), else the proxy's. */
function restarts(p: ProxyStatus): string {
  if (p.app) return `${p.app.restarts}${p.restarts ? ` (proxy ${p.restarts})` : ''}`;
  return p.restarts === undefined ? '-' : String(p.restarts);
}

export function renderStatus(s: ControlStatus, output: Output): string {
  if (output === 'json') {
    return json({
      control: s.control,
      proxies: s.proxies.map((p) => ({
        name: p.name, workload: p.workload, namespace: p.namespace, kind: p.kind, version: p.version, configVersion: p.configVersion, state: p.state,
        ...(p.error ? { error: p.error } : {}), ...(p.certError ? { certError: p.certError } : {}),
        ...(p.app ? { app: p.app } : {}), ...(p.restarts !== undefined ? { restarts: p.restarts } : {}), ...(p.servedBy !== undefined ? { servedBy: p.servedBy } : {}),
      })),
      gateways: s.gateways.map((g) => ({ name: g.name, listener: g.listener, url: g.url })),
    });
  }
  let out = `control plane ${s.control.version} at ${s.control.url} (mesh ${s.control.mesh}, up since ${s.control.startedAt})\n`;
  if (s.control.stateDir) out += `state dir ${s.control.stateDir}\n`;
  out += '\n';
  if (s.proxies.length === 0) out += 'no proxies yet\n';
  else {
    const rows = [['PROXY', 'KIND', 'WORKLOAD', 'NAMESPACE', 'VERSION', 'CONFIG', 'APP', 'RESTARTS', 'STATE']];
    for (const p of s.proxies) {
      rows.push([p.name, p.kind, p.workload, p.namespace, p.version ?? '-', p.configVersion ?? '-', app(p), restarts(p),
        p.state + (p.error ? ` (${p.error})` : '') + (p.certError ? ` CERT: ${p.certError}` : '')]);
    }
    out += table(rows);
  }
  if (s.gateways.length > 0) out += '\n' + table([['GATEWAY', 'LISTENER', 'URL'], ...s.gateways.map((g) => [g.name, g.listener, g.url])]);
  return out;
}
