// Mesh: rules across its fields, and Go duration parsing for its durations.
import type { Issue } from '../source.js';
import { parseGatewayDuration } from '../traffic.js';
import type { Mesh } from '../types.js';

// --- Mesh --------------------------------------------------------------------------------------------

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, '\u00b5s': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_PART = /([0-9]+(?:\.[0-9]+)?)(ns|us|\u00b5s|ms|s|m|h)/y;

/** Go's time.ParseDuration syntax without a sign ("24h", "1h30m", "1.5h", "3600s") in milliseconds; undefined if malformed. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '') return undefined;
  let total = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < text.length) {
    const m = DURATION_PART.exec(text);
    if (m === null) return undefined;
    total += Number(m[1]) * DURATION_UNITS[m[2]];
  }
  return total;
}

/** Shorter certificates make clock skew and rotation churn dominate; longer ones outlive any sane revocation window (Istio caps at 90 days). */
export const CERTIFICATE_LIFETIME_MIN_MS = 60_000;
export const CERTIFICATE_LIFETIME_MAX_MS = 90 * 24 * 3_600_000;

export function checkMesh(m: Mesh, out: Issue[]): void {
  const ct = m.spec.traffic?.connectTimeout;
  const ctMs = ct === undefined ? undefined : parseGatewayDuration(ct);
  if (ctMs !== undefined && (ctMs < 1 || ctMs > 300_000)) {
    out.push({ path: ['spec', 'traffic', 'connectTimeout'], code: 'range', message: `must be between 1ms and 5m (got ${JSON.stringify(ct)})` });
  }
  const l = m.spec.listeners;
  for (const [field, min, max, range] of [['requestHeadersTimeout', 100, 3_600_000, '100ms and 1h'], ['idleTimeout', 1000, 86_400_000, '1s and 24h']] as const) {
    const v = l?.[field];
    const ms = v === undefined ? undefined : parseGoDuration(v);
    if (ms !== undefined && (ms < min || ms > max)) {
      out.push({ path: ['spec', 'listeners', field], code: 'range', message: `must be between ${range} (got ${JSON.stringify(v)})` });
    }
  }
  const text = m.spec.certificateLifetime;
  if (text === undefined) return;
  const ms = parseGoDuration(text);
  if (ms === undefined) return; // the schema pattern already reported it
  if (ms < CERTIFICATE_LIFETIME_MIN_MS || ms > CERTIFICATE_LIFETIME_MAX_MS) {
    out.push({
      path: ['spec', 'certificateLifetime'], code: 'range',
      message: `must be between 1m and 2160h (90 days) (got ${JSON.stringify(text)})`,
      hint: 'the default is "24h"',
    });
  }
}
