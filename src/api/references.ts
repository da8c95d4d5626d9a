// References across the whole config that point at nothing: a route's backend or parent that does not
// exist, a port the Service does not have, a policy or Service whose selector matches no Workload.
// Unlike validateSet (which refuses a bad reference between objects of one input), these are allowed:
// objects may arrive in any order, so a dangling reference is a warning on `weft apply` and a FAIL or WARN
// in `weft check`. Pure: plain objects in, findings out.

import { ROOT_NAMESPACE } from './schemas.js';
import type { AnyResource, Gateway, GRPCRoute, HTTPRoute, Service, Workload } from './types.js';
import { isFaultRef } from './fault.js';

export interface DanglingRef {
  /** The object holding the reference, "Kind namespace/name". */
  object: string;
  /** keyOf() of that object. */
  key: string;
  /** What it names that is missing or lacks the port/listener: "Service ns/name", "Gateway ns/name"; absent for selectors. */
  target?: string;
  /** What kind of thing is missing. */
  missing: 'service' | 'gateway' | 'port' | 'listener' | 'workload' | 'secret' | 'faultinjection' | 'route';
  /** One line: what refers to what, and that it is not there. */
  message: string;
  hint: string;
  /**
   * How bad it is: 'error' when requests fail because of it (a route to a missing backend answers 500),
   * 'warning' when it only does nothing (a policy that selects no workload, a Service with no replicas).
   */
  severity: 'error' | 'warning';
}

const nsOf = (r: AnyResource, dflt: string) => r.metadata.namespace ?? dflt;
const label = (r: AnyResource, dflt: string) => `${r.kind} ${r.kind === 'Mesh' ? '' : `${nsOf(r, dflt)}/`}${r.metadata.name}`;
const keyIn = (r: AnyResource, dflt: string) => `${r.kind}/${r.kind === 'Mesh' ? (r.metadata.namespace ?? '') : nsOf(r, dflt)}/${r.metadata.name}`;

function selects(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

function showSelector(sel: Record<string, string>): string {
  return `{${Object.entries(sel).map(([k, v]) => `${k}: ${v}`).join(', ')}}`;
}

/** Replicas a runtime registered without a Workload object (their labels count for selectors). */
export interface LabelledEndpoint {
  namespace: string;
  labels: Record<string, string>;
}

/** Every dangling reference in `objects` (the whole config), in the order of the objects given. */
export function danglingReferences(objects: readonly AnyResource[], defaultNamespace = 'default', endpoints: readonly LabelledEndpoint[] = []): DanglingRef[] {
  const out: DanglingRef[] = [];
  const services = new Map<string, Service>();
  const gateways = new Map<string, Gateway>();
  const workloads: Workload[] = [];
  const secrets = new Set<string>();
  const faults = new Set<string>();
  for (const r of objects) {
    if (r.kind === 'Secret') secrets.add(`${nsOf(r, defaultNamespace)}/${r.metadata.name}`);
    if (r.kind === 'FaultInjection') faults.add(`${nsOf(r, defaultNamespace)}/${r.metadata.name}`);
    if (r.kind === 'Service') services.set(`${nsOf(r, defaultNamespace)}/${r.metadata.name}`, r);
    if (r.kind === 'Gateway') gateways.set(`${nsOf(r, defaultNamespace)}/${r.metadata.name}`, r);
    if (r.kind === 'Workload') workloads.push(r);
  }
  const add = (r: AnyResource, d: Omit<DanglingRef, 'object' | 'key'>) => out.push({ object: label(r, defaultNamespace), key: keyIn(r, defaultNamespace), ...d });

  for (const r of objects) {
    const ns = nsOf(r, defaultNamespace);
    if (r.kind === 'HTTPRoute' || r.kind === 'GRPCRoute') {
      routeRefs(r, ns, services, gateways, (d) => add(r, d));
      faultRefs(r, ns, faults, (d) => add(r, d));
    }
    if (r.kind === 'Gateway') {
      for (const l of r.spec.listeners) for (const c of l.tls?.certificateRefs ?? []) {
        const key = `${c.namespace ?? ns}/${c.name}`;
        if (secrets.has(key)) continue;
        add(r, {
          target: `Secret ${key}`, missing: 'secret', severity: 'error',
          message: `${label(r, defaultNamespace)}: listener ${l.name} names Secret ${key}, which does not exist`,
          hint: 'TLS handshakes on that listener fail until the Secret exists (a kubernetes.io/tls Secret with tls.crt and tls.key)',
        });
      }
    }
    if (r.kind === 'Service') {
      const sel = r.spec.selector ?? {};
      const registered = endpoints.some((e) => e.namespace === ns && selects(sel, e.labels));
      if (Object.keys(sel).length > 0 && !registered && !workloads.some((w) => nsOf(w, defaultNamespace) === ns && selects(sel, w.metadata.labels))) {
        add(r, {
          missing: 'workload', severity: 'warning',
          message: `${label(r, defaultNamespace)} selects no Workload: no Workload in namespace ${ns} has the labels ${showSelector(sel)}`,
          hint: 'calls to it fail with 503 (no endpoints) until a Workload with those metadata.labels exists; check the selector and the Workload labels',
        });
      }
    }
    if (r.kind === 'RateLimitPolicy') {
      const t = r.spec.targetRef;
      if (!objects.some((o) => o.kind === t.kind && o.metadata.name === t.name && nsOf(o, defaultNamespace) === ns)) {
        add(r, {
          target: `${t.kind} ${ns}/${t.name}`, missing: t.kind === 'Workload' ? 'workload' : 'route', severity: 'error',
          message: `${label(r, defaultNamespace)}: targetRef names ${t.kind} ${ns}/${t.name}, which does not exist`,
          hint: 'its limits apply to nothing until that object exists: no request is rate limited',
        });
      }
    }
    if (r.kind === 'AuthorizationPolicy' || r.kind === 'PeerAuthentication' || r.kind === 'Telemetry') {
      const sel = r.spec.selector?.matchLabels;
      if (sel === undefined || Object.keys(sel).length === 0) continue; // namespace- or mesh-wide: applies to whatever is there
      // A policy in the root namespace applies across namespaces; elsewhere, to its own namespace only.
      const inScope = (w: Workload) => ns === ROOT_NAMESPACE || nsOf(w, defaultNamespace) === ns;
      const registered = endpoints.some((e) => (ns === ROOT_NAMESPACE || e.namespace === ns) && selects(sel, e.labels));
      if (!registered && !workloads.some((w) => inScope(w) && selects(sel, w.metadata.labels))) {
        add(r, {
          missing: 'workload', severity: 'warning',
          message: `${label(r, defaultNamespace)} applies to nothing: its selector ${showSelector(sel)} matches no Workload${ns === ROOT_NAMESPACE ? '' : ` in namespace ${ns}`}`,
          hint: 'selectors match Workload metadata.labels in the policy\'s own namespace; fix the labels, or remove the selector to apply it to the whole namespace',
        });
      }
    }
  }
  return out;
}

function portList(s: Service): string {
  return s.spec.ports.map((p) => (p.name === undefined ? String(p.port) : `${p.port} (${p.name})`)).join(', ');
}

function routeRefs(r: HTTPRoute | GRPCRoute, ns: string, services: Map<string, Service>, gateways: Map<string, Gateway>, add: (d: Omit<DanglingRef, 'object' | 'key'>) => void): void {
  const me = `${r.kind} ${ns}/${r.metadata.name}`;
  const near = (key: string, pool: Iterable<string>) => {
    const [pns] = key.split('/');
    const same = [...pool].filter((k) => k.startsWith(`${pns}/`)).map((k) => k.slice(pns.length + 1));
    return same.length === 0 ? `there is none in namespace ${pns}` : `namespace ${pns} has ${same.join(', ')}`;
  };
  r.spec.parentRefs.forEach((p, i) => {
    const key = `${p.namespace ?? ns}/${p.name}`;
    if (p.kind === 'Gateway') {
      const g = gateways.get(key);
      if (g === undefined) {
        add({ target: `Gateway ${key}`, missing: 'gateway', severity: 'error', message: `${me}: parentRefs[${i}] names Gateway ${key}, which does not exist`, hint: `the route serves nothing until that Gateway exists (${near(key, gateways.keys())})` });
        return;
      }
      const ls = g.spec.listeners;
      if (p.sectionName !== undefined && !ls.some((l) => l.name === p.sectionName)) {
        add({ target: `Gateway ${key}`, missing: 'listener', severity: 'error', message: `${me}: parentRefs[${i}] names listener "${p.sectionName}" of Gateway ${key}, which has no such listener`, hint: `its listeners: ${ls.map((l) => l.name).join(', ')}` });
      } else if (p.port !== undefined && !ls.some((l) => l.port === p.port)) {
        add({ target: `Gateway ${key}`, missing: 'listener', severity: 'error', message: `${me}: parentRefs[${i}] names port ${p.port} of Gateway ${key}, which has no listener on it`, hint: `its listener ports: ${ls.map((l) => l.port).join(', ')}` });
      }
      return;
    }
    const s = services.get(key);
    if (s === undefined) {
      add({ target: `Service ${key}`, missing: 'service', severity: 'error', message: `${me}: parentRefs[${i}] names Service ${key}, which does not exist`, hint: `the route changes nothing until that Service exists (${near(key, services.keys())})` });
      return;
    }
    if (p.sectionName !== undefined && !s.spec.ports.some((x) => x.name === p.sectionName)) {
      add({ target: `Service ${key}`, missing: 'port', severity: 'error', message: `${me}: parentRefs[${i}] names port "${p.sectionName}" of Service ${key}, which has no port of that name`, hint: `its ports: ${portList(s)}` });
    } else if (p.port !== undefined && !s.spec.ports.some((x) => x.port === p.port)) {
      add({ target: `Service ${key}`, missing: 'port', severity: 'error', message: `${me}: parentRefs[${i}] names port ${p.port} of Service ${key}, which has no such port`, hint: `its ports: ${portList(s)}` });
    }
  });
  const rules: (HTTPRoute | GRPCRoute)['spec']['rules'][number][] = r.spec.rules;
  rules.forEach((rule, i) => (rule.backendRefs ?? []).forEach((b, k) => {
    const key = `${b.namespace ?? ns}/${b.name}`;
    const s = services.get(key);
    const at = `rules[${i}].backendRefs[${k}]`;
    if (s === undefined) {
      add({ target: `Service ${key}`, missing: 'service', severity: 'error', message: `${me}: ${at} names Service ${key}, which does not exist`, hint: `requests this rule sends there fail with 500 backend-not-found; create the Service or fix the name (${near(key, services.keys())})` });
    } else if (b.port !== undefined && !s.spec.ports.some((x) => x.port === b.port)) {
      add({ target: `Service ${key}`, missing: 'port', severity: 'error', message: `${me}: ${at} names port ${b.port} of Service ${key}, which has no such port`, hint: `requests this rule sends there fail with 500 backend-not-found; its ports: ${portList(s)}` });
    }
  }));
}

/** A rule's ExtensionRef to a FaultInjection that is not there: the Gateway API never skips such a filter. */
function faultRefs(r: HTTPRoute | GRPCRoute, ns: string, faults: Set<string>, add: (d: Omit<DanglingRef, 'object' | 'key'>) => void): void {
  const rules: (HTTPRoute | GRPCRoute)['spec']['rules'][number][] = r.spec.rules;
  rules.forEach((rule, i) => (rule.filters ?? []).forEach((f, k) => {
    if (f.type !== 'ExtensionRef' || !isFaultRef(f)) return;
    const key = `${ns}/${f.extensionRef.name}`;
    if (faults.has(key)) return;
    add({
      target: `FaultInjection ${key}`, missing: 'faultinjection', severity: 'error',
      message: `${r.kind} ${ns}/${r.metadata.name}: rules[${i}].filters[${k}] names FaultInjection ${key}, which does not exist`,
      hint: 'requests this rule matches fail with 500 filter-not-found until it exists (an ExtensionRef filter is never skipped); create it, or remove the filter from the route',
    });
  }));
}
