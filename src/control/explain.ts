// `weft authz explain`: which AuthorizationPolicy decides a request from one workload to a service, and
// why, computed from the same translated policies the destination's proxy runs.
import type { AnyResource, Service, Workload } from '../api/types.js';
import type { ExplainQuery, ExplainView } from '../api/control-api.js';
import { authzFor, meshOf, spiffeId } from './translate/index.js';
import { compileAuthz, explain } from '../policy/authz/index.js';
import { normalizePath } from '../policy/normalize/index.js';

export type { ExplainQuery };

export function explainRequest(objects: readonly AnyResource[], q: ExplainQuery): ExplainView {
  const mesh = meshOf(objects);
  const [fromName, fromNs] = q.from.split('.');
  const src = objects.find((o): o is Workload => o.kind === 'Workload' && o.metadata.name === fromName && (fromNs === undefined || o.metadata.namespace === fromNs));
  const gw = objects.find((o) => o.kind === 'Gateway' && o.metadata.name === fromName && (fromNs === undefined || o.metadata.namespace === fromNs));
  if (src === undefined && gw === undefined) throw new Error(`--from ${q.from}: no Workload or Gateway of that name`);
  const principal = src
    ? spiffeId(mesh.trustDomain, src.metadata.namespace ?? mesh.defaultNamespace, src.spec.serviceAccount)
    : spiffeId(mesh.trustDomain, gw!.metadata.namespace ?? mesh.defaultNamespace, `gateway-${gw!.metadata.name}`);
  const [toName, toNs] = q.to.split('.');
  const svc = objects.find((o): o is Service => o.kind === 'Service' && o.metadata.name === toName && (toNs === undefined || o.metadata.namespace === toNs));
  if (svc === undefined) throw new Error(`--to ${q.to}: no Service of that name`);
  const ns = svc.metadata.namespace ?? mesh.defaultNamespace;
  const targets = objects.filter((o): o is Workload => o.kind === 'Workload' && (o.metadata.namespace ?? mesh.defaultNamespace) === ns &&
    Object.entries(svc.spec.selector).every(([k, v]) => o.metadata.labels?.[k] === v));
  if (targets.length === 0) throw new Error(`--to ${q.to}: the Service selects no Workload`);
  const norm = normalizePath(q.path);
  const lines: string[] = [`from ${principal}`, `to service ${svc.metadata.name}.${ns}: workloads ${targets.map((t) => t.metadata.name).join(', ')}`];
  if (!norm.ok) return { allowed: false, status: 400, lines: [...lines, `path ${q.path}: ${norm.reason} -> 400 before any policy`] };
  if (norm.path !== q.path) lines.push(`path ${q.path} normalizes to ${norm.path}`);
  let allowed = true;
  let status = 200;
  for (const t of targets) {
    const policies = authzFor(objects, ns, t.metadata.labels ?? {});
    const r = explain(compileAuthz(policies), {
      principal, sourceIp: '127.0.0.1', method: q.method, path: norm.path, host: svc.metadata.name, port: svc.spec.ports[0]?.port ?? 80,
      headers: Object.fromEntries(Object.entries(q.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    });
    lines.push(`workload ${t.metadata.name}: ${policies.length} polic${policies.length === 1 ? 'y' : 'ies'} apply`);
    for (const l of r.trace) lines.push(`  ${l}`);
    lines.push(`  => ${r.decision.allowed ? 'ALLOW' : 'DENY (403 rbac-denied)'}${r.decision.policy ? ` by ${r.decision.policy}` : ''}: ${r.decision.reason}`);
    if (!r.decision.allowed) { allowed = false; status = 403; }
  }
  return { allowed, status, lines };
}
