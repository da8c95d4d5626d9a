// Telemetry: rules across its fields.
import type { PathSeg } from '../errors.js';
import type { Issue } from '../source.js';
import { ROOT_NAMESPACE } from '../schemas.js';
import type { Telemetry } from '../types.js';

// --- Telemetry -----------------------------------------------------------------------------------------

/** Istio lists several entries to pick providers and CLIENT/SERVER modes; weft has neither, so a second entry could only contradict the first. */
const ONE_ENTRY = {
  accessLogging: 'weft has one access log per proxy',
  tracing: 'weft has one trace exporter per proxy',
  metrics: 'weft has one metrics pipeline per proxy',
} as const;

export function checkTelemetry(t: Telemetry, out: Issue[]): void {
  if (t.metadata.namespace === ROOT_NAMESPACE && t.spec.selector !== undefined) {
    out.push({
      path: ['spec', 'selector'], key: true, code: 'invalid',
      message: `a Telemetry in the root namespace ${ROOT_NAMESPACE} applies to the whole mesh and cannot have a selector`,
      hint: 'move it to the namespace of the workloads it selects',
    });
  }
  for (const [list, why] of Object.entries(ONE_ENTRY) as [keyof typeof ONE_ENTRY, string][]) {
    const items = t.spec[list] ?? [];
    if (items.length > 1) {
      out.push({ path: ['spec', list, 1], code: 'items', message: `${list} takes at most one entry (got ${items.length})`, hint: `${why}; merge the entries into one` });
    }
  }
  (t.spec.tracing ?? []).forEach((tr, i) => {
    const endpoint = tr.provider?.otlpHttp.endpoint;
    if (endpoint === undefined) return;
    const at: PathSeg[] = ['spec', 'tracing', i, 'provider', 'otlpHttp', 'endpoint'];
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      out.push({ path: at, code: 'invalid', message: `is not a valid URL (got ${JSON.stringify(endpoint)})`, hint: 'e.g. http://127.0.0.1:4318/v1/traces' });
      return;
    }
    if (url.hostname === '') {
      out.push({ path: at, code: 'invalid', message: `must name a host (got ${JSON.stringify(endpoint)})`, hint: 'e.g. http://127.0.0.1:4318/v1/traces' });
    }
    if (url.username !== '' || url.password !== '') {
      // Config is stored, diffed and printed: a password in it leaks.
      out.push({ path: at, code: 'invalid', message: 'must not contain a user name or password', hint: 'run a collector next to the mesh that adds credentials when it forwards spans' });
    }
  });
}
