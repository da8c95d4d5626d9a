// Where workloads run, and the TrafficPolicy fields that use it or probe endpoints: locality failover and
// active health checks, as the snapshot carries them.
import type { AnyResource, Gateway, TrafficPolicy, Workload } from '../../api/types.js';
import type { ProxyRef } from '../../api/control-api.js';
import { DEFAULT_HEALTH_CHECK, parseGatewayDuration, type HealthCheckSnap, type LocalityFailoverSnap, type LocalitySnap } from '../../api/traffic.js';
import { REGION_LABEL, ZONE_LABEL } from '../../api/kinds/gateway.js';
import { portProtocol } from '../../api/protocol.js';

const ns = (o: { metadata: { namespace?: string } }) => o.metadata.namespace ?? 'default';
const snap = (region: string | undefined, zone: string | undefined): { locality?: LocalitySnap } =>
  region === undefined ? {} : { locality: zone === undefined ? { region } : { region, zone } };

/**
 * The locality of each Workload (its spec.locality) and Gateway (its topology labels), by namespace/name.
 * In local mode these objects are the only source: a replica runs where its Workload says.
 */
export function localityIndex(objects: readonly AnyResource[]) {
  const workloads = new Map<string, { locality?: LocalitySnap }>();
  const gateways = new Map<string, { locality?: LocalitySnap }>();
  for (const o of objects) {
    if (o.kind === 'Workload') {
      const l = (o as Workload).spec.locality;
      if (l !== undefined) workloads.set(`${ns(o)}/${o.metadata.name}`, snap(l.region, l.zone));
    } else if (o.kind === 'Gateway') {
      const labels = (o as Gateway).metadata.labels ?? {};
      gateways.set(`${ns(o)}/${o.metadata.name}`, snap(labels[REGION_LABEL], labels[ZONE_LABEL]));
    }
  }
  return {
    ofWorkload: (namespace: string, name: string): { locality?: LocalitySnap } => workloads.get(`${namespace}/${name}`) ?? {},
    ofProxy: (p: ProxyRef): { locality?: LocalitySnap } => (p.kind === 'gateway' ? gateways : workloads).get(`${p.namespace}/${p.workload}`) ?? {},
  };
}

/**
 * A Service port's locality failover and active health checks, from the TrafficPolicy that targets the
 * Service (fields over the defaults). An opaque TCP port gets no HTTP health check: its app would not answer one.
 */
export function failoverAndChecksOf(tp: TrafficPolicy | undefined, port: { port: number; appProtocol?: string } | undefined): { localityFailover?: LocalityFailoverSnap; healthCheck?: HealthCheckSnap } {
  const l = tp?.spec.localityFailover;
  const h = port !== undefined && portProtocol(port) === 'tcp' ? undefined : tp?.spec.healthCheck;
  return {
    ...(l !== undefined && l.enabled !== false ? { localityFailover: { failover: (l.failover ?? []).map((f) => ({ from: f.from, to: f.to })) } } : {}),
    ...(h !== undefined ? healthCheckOf(h) : {}),
  };
}

function healthCheckOf(h: NonNullable<TrafficPolicy['spec']['healthCheck']>): { healthCheck: HealthCheckSnap } {
  const d = DEFAULT_HEALTH_CHECK;
  const ms = (v: string | undefined, def: number) => (v === undefined ? def : parseGatewayDuration(v) ?? def);
  return {
    healthCheck: {
      path: h.path,
      intervalMs: ms(h.interval, d.intervalMs),
      timeoutMs: ms(h.timeout, d.timeoutMs),
      unhealthyThreshold: h.unhealthyThreshold ?? d.unhealthyThreshold,
      healthyThreshold: h.healthyThreshold ?? d.healthyThreshold,
    },
  };
}
