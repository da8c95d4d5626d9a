// The names people use for traffic, resolved against the config: `weft tap catalog` and `weft stat` speak
// of the Service callers call (catalog), while proxies record the backend a request went to (catalog-v1,
// after an HTTPRoute or GRPCRoute split it). Pure: built from the stored objects, asked per event or sample.
import { closest } from '../../api/suggest.js';
import type { AnyResource, Gateway, GRPCRoute, HTTPRoute, Service, Workload } from '../../api/types.js';

/** What a tap target covers: requests to any of these Services or Workloads, or sent from these Workloads. */
export interface TargetSet {
  /** "name" of every Service covered: the one named, and the backends its routes send to. */
  services: Set<string>;
  /** Names of every Workload covered: the one named, or those the covered Services select. */
  workloads: Set<string>;
}

export class TrafficNames {
  /** By "ns/name", the name records carry: an HTTPRoute and a GRPCRoute may share one. */
  private readonly routes = new Map<string, (HTTPRoute | GRPCRoute)[]>();
  private readonly services: Service[] = [];
  private readonly workloads: Workload[] = [];
  private readonly gateways: Gateway[] = [];

  constructor(objects: readonly AnyResource[], private readonly defaultNamespace = 'default') {
    for (const r of objects) {
      if (r.kind === 'HTTPRoute' || r.kind === 'GRPCRoute') {
        const k = `${this.ns(r)}/${r.metadata.name}`;
        this.routes.set(k, [...(this.routes.get(k) ?? []), r]);
      }
      if (r.kind === 'Service') this.services.push(r);
      if (r.kind === 'Workload') this.workloads.push(r);
      if (r.kind === 'Gateway') this.gateways.push(r);
    }
  }

  private ns(r: AnyResource): string {
    return r.metadata.namespace ?? this.defaultNamespace;
  }

  /**
   * The Service a caller named, for a request the proxy recorded with `route` ("ns/name" of the HTTPRoute or
   * GRPCRoute that matched, or "default") and the backend Service it went to. A mesh route attached to a
   * Service (GAMMA) means the caller called that Service; a route with several Service parents counts under
   * the first. Anything else (no route, a Gateway's route) was called by its own name. When an HTTPRoute and a
   * GRPCRoute share the name, the one with a Service parent that sends to that backend is meant.
   */
  calledService(route: string | undefined | null, destService: string, destNamespace: string): { name: string; namespace: string } {
    const named = route === undefined || route === null ? [] : this.routes.get(route) ?? [];
    const mesh = named.filter((x) => x.spec.parentRefs.some((p) => p.kind === 'Service'));
    const sendsThere = (x: HTTPRoute | GRPCRoute) => (x.spec.rules as { backendRefs?: { name: string; namespace?: string }[] }[])
      .some((rule) => (rule.backendRefs ?? []).some((b) => b.name === destService && (b.namespace ?? this.ns(x)) === destNamespace));
    const r = mesh.find(sendsThere) ?? mesh[0];
    const parent = r?.spec.parentRefs.find((p) => p.kind === 'Service');
    if (r === undefined || parent === undefined) return { name: destService, namespace: destNamespace };
    return { name: parent.name, namespace: parent.namespace ?? this.ns(r) };
  }

  /**
   * What `name` covers as a tap target, or undefined when no Workload, Service or Gateway has that name.
   * A Gateway counts as the workload of its proxy: the requests it sends into the mesh.
   */
  target(name: string): TargetSet | undefined {
    const svc = this.services.filter((s) => s.metadata.name === name);
    const wl = [...this.workloads, ...this.gateways].filter((w) => w.metadata.name === name);
    if (svc.length === 0 && wl.length === 0) return undefined;
    const services = new Set<string>();
    const workloads = new Set(wl.map((w) => w.metadata.name));
    const covered: Service[] = [];
    for (const s of svc) {
      covered.push(s);
      // Backends of every mesh route attached to it: where its callers' requests really go.
      for (const r of [...this.routes.values()].flat()) {
        const attached = r.spec.parentRefs.some((p) => p.kind === 'Service' && p.name === s.metadata.name && (p.namespace ?? this.ns(r)) === this.ns(s));
        if (!attached) continue;
        for (const rule of r.spec.rules) for (const b of rule.backendRefs ?? []) {
          const bns = b.namespace ?? this.ns(r);
          covered.push(...this.services.filter((x) => x.metadata.name === b.name && this.ns(x) === bns));
        }
      }
    }
    for (const s of covered) {
      services.add(s.metadata.name);
      const sel = Object.entries(s.spec.selector ?? {});
      if (sel.length === 0) continue;
      for (const w of this.workloads) if (this.ns(w) === this.ns(s) && sel.every(([k, v]) => w.metadata.labels?.[k] === v)) workloads.add(w.metadata.name);
    }
    return { services, workloads };
  }

  /** The closest Workload or Service name to a misspelt one. */
  suggest(name: string): string | undefined {
    return closest(name, new Set([...this.services, ...this.workloads, ...this.gateways].map((r) => r.metadata.name)));
  }
}

/** Whether a tap event (seen at a proxy of workload `proxyWorkload`) is traffic to or from the target. */
export function inTarget(t: TargetSet, ev: { destinationService?: string | null; destinationWorkload?: string | null; direction?: string }, proxyWorkload: string | undefined): boolean {
  if (ev.destinationService != null && t.services.has(ev.destinationService)) return true;
  if (ev.destinationWorkload != null && t.workloads.has(ev.destinationWorkload)) return true;
  // Requests the target's own replicas (or a Gateway) send out.
  return (ev.direction === 'outbound' || ev.direction === 'gateway') && proxyWorkload !== undefined && t.workloads.has(proxyWorkload);
}
