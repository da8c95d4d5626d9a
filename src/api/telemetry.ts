// What telemetry applies to one workload, from every Telemetry object: Istio's Telemetry API hierarchy.
// The mesh-wide object (root namespace, no selector) is overridden by the namespace's (no selector), which
// is overridden by one selecting the workload; each level overrides only the fields it sets, and the rest
// is inherited. Pure, so the control plane and tests call it with plain objects.

import { ROOT_NAMESPACE } from './schemas.js';
import type { AnyResource, Telemetry } from './types.js';

export interface ResolvedTelemetry {
  accessLog: { enabled: boolean; errorsOnly: boolean; minStatus: number };
  /**
   * `enabled`: spans are reported, which needs an endpoint and no disableSpanReporting. Trace context is
   * propagated either way. `samplePercent` applies to requests that arrive without a sampling decision.
   */
  tracing: { samplePercent: number; endpoint?: string; enabled: boolean };
  metrics: { enabled: boolean };
}

/** What applies when no Telemetry sets a field: access logs and metrics on, 1% of new traces sampled (Istio's default rate). */
export const TELEMETRY_DEFAULTS = {
  accessLogEnabled: true,
  errorsOnly: false,
  minStatus: 0,
  samplePercent: 1,
  disableSpanReporting: false,
  metricsEnabled: true,
} as const;

const nsOf = (o: { metadata: { namespace?: string } }) => o.metadata.namespace ?? 'default';
const selects = (match: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(match).every(([k, v]) => labels[k] === v);
/** Istio calls two objects at one level invalid; weft takes the oldest (then by name) so the answer never depends on order. */
const oldestFirst = (a: Telemetry, b: Telemetry) =>
  (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name);

/** The Telemetry objects that apply to a workload, least specific first: mesh, namespace, workload. */
export function telemetryLevels(objects: readonly AnyResource[], namespace: string, labels: Record<string, string>): Telemetry[] {
  const all = (objects.filter((o) => o.kind === 'Telemetry') as Telemetry[]).sort(oldestFirst);
  const mesh = all.find((t) => nsOf(t) === ROOT_NAMESPACE && t.spec.selector === undefined);
  // In the root namespace itself, the namespace level is the mesh level.
  const ns = namespace === ROOT_NAMESPACE ? undefined : all.find((t) => nsOf(t) === namespace && t.spec.selector === undefined);
  const workload = all.find((t) => nsOf(t) === namespace && t.spec.selector !== undefined && selects(t.spec.selector.matchLabels, labels));
  return [mesh, ns, workload].filter((t): t is Telemetry => t !== undefined);
}

export function resolveTelemetry(objects: readonly AnyResource[], namespace: string, labels: Record<string, string>): ResolvedTelemetry {
  const d = TELEMETRY_DEFAULTS;
  let logEnabled: boolean = d.accessLogEnabled;
  let errorsOnly: boolean = d.errorsOnly;
  let minStatus: number = d.minStatus;
  let samplePercent: number = d.samplePercent;
  let disableSpans: boolean = d.disableSpanReporting;
  let endpoint: string | undefined;
  let metricsEnabled: boolean = d.metricsEnabled;
  for (const t of telemetryLevels(objects, namespace, labels)) {
    // checks.ts allows one entry per list; [0] is that entry.
    const log = t.spec.accessLogging?.[0];
    if (log?.disabled !== undefined) logEnabled = !log.disabled;
    if (log?.filter !== undefined) {
      // A filter replaces the inherited one as a whole: a level that sets only errorsOnly drops an inherited minStatus.
      errorsOnly = log.filter.errorsOnly ?? d.errorsOnly;
      minStatus = log.filter.minStatus ?? d.minStatus;
    }
    const tr = t.spec.tracing?.[0];
    if (tr?.randomSamplingPercentage !== undefined) samplePercent = tr.randomSamplingPercentage;
    if (tr?.disableSpanReporting !== undefined) disableSpans = tr.disableSpanReporting;
    if (tr?.provider !== undefined) endpoint = tr.provider.otlpHttp.endpoint;
    const m = t.spec.metrics?.[0];
    if (m?.disabled !== undefined) metricsEnabled = !m.disabled;
  }
  return {
    accessLog: { enabled: logEnabled, errorsOnly, minStatus },
    tracing: { samplePercent, ...(endpoint !== undefined ? { endpoint } : {}), enabled: endpoint !== undefined && !disableSpans },
    metrics: { enabled: metricsEnabled },
  };
}
