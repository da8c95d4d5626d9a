// TrafficPolicy: what each load balancer needs, and what does not apply to it.
import type { Issue } from '../source.js';
import type { TrafficPolicy } from '../types.js';
import { parseGatewayDuration } from '../traffic.js';

// --- TrafficPolicy -----------------------------------------------------------------------------------

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

function checkCircuitBreaker(p: TrafficPolicy, out: Issue[]): void {
  const cb = p.spec.circuitBreaker;
  if (cb === undefined) return;
  const at = ['spec', 'circuitBreaker'];
  const budget = p.spec.retryBudget?.maxRetries;
  if (cb.maxRetries !== undefined && budget !== undefined && budget !== cb.maxRetries) {
    out.push({ path: [...at, 'maxRetries'], code: 'conflict', message: `is the same limit as spec.retryBudget.maxRetries, which says ${budget} (got ${cb.maxRetries})`, hint: 'set one of them' });
  }
  for (const [field, min, max, range] of [['connectTimeout', 1, 300_000, '1ms and 5m'], ['idleTimeout', 1000, 86_400_000, '1s and 24h']] as const) {
    const v = cb[field];
    const ms = v === undefined ? undefined : parseGatewayDuration(v);
    if (ms !== undefined && (ms < min || ms > max)) out.push({ path: [...at, field], code: 'range', message: `must be between ${range} (got ${JSON.stringify(v)})` });
  }
}

function checkOutlierDetection(p: TrafficPolicy, out: Issue[]): void {
  const od = p.spec.outlierDetection;
  if (od === undefined) return;
  const at = ['spec', 'outlierDetection'];
  for (const [field, min, max, range] of [['interval', 1, 3_600_000, '1ms and 1h'], ['baseEjectionTime', 1, 86_400_000, '1ms and 24h'], ['maxEjectionTime', 1, 86_400_000, '1ms and 24h']] as const) {
    const v = od[field];
    const ms = v === undefined ? undefined : parseGatewayDuration(v);
    if (ms !== undefined && (ms < min || ms > max)) out.push({ path: [...at, field], code: 'range', message: `must be between ${range} (got ${JSON.stringify(v)})` });
  }
}

export function checkTrafficPolicy(p: TrafficPolicy, out: Issue[]): void {
  checkCircuitBreaker(p, out);
  checkOutlierDetection(p, out);
  checkHealthCheck(p, out);
  checkLocalityFailover(p, out);
  const lb = p.spec.loadBalancer;
  if (lb === undefined) return;
  const at = ['spec', 'loadBalancer'];
  const keys = Object.keys(lb.hashOn ?? {}).filter((k) => (lb.hashOn as Record<string, unknown>)[k] !== undefined && (lb.hashOn as Record<string, unknown>)[k] !== false);
  const hashing = lb.type === 'RING_HASH' || lb.type === 'MAGLEV';
  if (hashing && keys.length !== 1) {
    out.push({ path: [...at, 'hashOn'], at, code: keys.length === 0 ? 'required' : 'conflict', message: keys.length === 0 ? `is required for ${lb.type}: one of header, cookie, sourceIP` : `must name one key to hash, got ${keys.join(', ')}` });
  }
  if (!hashing && lb.hashOn !== undefined) out.push({ path: [...at, 'hashOn'], key: true, code: 'invalid', message: `only RING_HASH and MAGLEV hash (type is ${lb.type})`, hint: 'set type: RING_HASH or MAGLEV' });
  if (lb.ringSize !== undefined && lb.type !== 'RING_HASH') out.push({ path: [...at, 'ringSize'], key: true, code: 'invalid', message: `applies to RING_HASH only (type is ${lb.type})` });
  if (lb.tableSize !== undefined && lb.type !== 'MAGLEV') out.push({ path: [...at, 'tableSize'], key: true, code: 'invalid', message: `applies to MAGLEV only (type is ${lb.type})` });
  if (lb.tableSize !== undefined && !isPrime(lb.tableSize)) out.push({ path: [...at, 'tableSize'], code: 'invalid', message: `must be a prime number (got ${lb.tableSize})`, hint: 'e.g. 65537 (the default) or 5000011' });
  if (lb.slowStart !== undefined && hashing) out.push({ path: [...at, 'slowStart'], key: true, code: 'invalid', message: `slow start does not apply to ${lb.type} (a key's endpoint does not depend on load)` });
}

/** Probes need a real interval and timeout: "0s" would probe in a loop or never time out. */
function checkHealthCheck(p: TrafficPolicy, out: Issue[]): void {
  const hc = p.spec.healthCheck;
  if (hc === undefined) return;
  const at = ['spec', 'healthCheck'];
  if (hc.interval !== undefined && (parseGatewayDuration(hc.interval) ?? 0) < 100) {
    out.push({ path: [...at, 'interval'], code: 'invalid', message: `must be at least 100ms (got ${hc.interval})`, hint: 'every calling proxy probes every endpoint this often' });
  }
  if (hc.timeout !== undefined && (parseGatewayDuration(hc.timeout) ?? 0) === 0) {
    out.push({ path: [...at, 'timeout'], code: 'invalid', message: `must be more than 0 (got ${hc.timeout})`, hint: 'a probe that never times out never marks a frozen endpoint unhealthy' });
  }
}

/** One failover region per caller region, and not its own. */
function checkLocalityFailover(p: TrafficPolicy, out: Issue[]): void {
  const f = p.spec.localityFailover?.failover ?? [];
  const seen = new Map<string, number>();
  f.forEach((e, i) => {
    const at = ['spec', 'localityFailover', 'failover', i];
    if (e.from === e.to) out.push({ path: [...at, 'to'], code: 'invalid', message: `is the same region as from (${e.from})`, hint: 'a region\'s own endpoints come first anyway; name the region to try next' });
    const first = seen.get(e.from);
    if (first !== undefined) out.push({ path: [...at, 'from'], code: 'duplicate', message: `region "${e.from}" has a failover already`, hint: `at spec.localityFailover.failover[${first}]` });
    else seen.set(e.from, i);
  });
}
