// Virtual IPs for Services, so an app whose traffic is captured (weft capture) can call a service by name:
// the name resolves (hosts file) to the service's address, the connection is redirected to the sidecar, and
// the sidecar maps the original destination back to the service. Each Service gets an address in
// 240.240.0.0/16 (reserved "future use" space that no real network routes) derived from its namespace and
// name, so it stays the same across restarts and on every machine that sees the same Services. Two
// Services whose names hash to one address are told apart in name order: the first keeps it, the next
// takes the following free address. Pure: the control plane (snapshots) and the CLI (hosts file) agree.

export const SERVICE_CIDR = '240.240.0.0/16';
const BASE = (240 << 24 >>> 0) + (240 << 16);
/** Host numbers 1..65534: neither the network's .0.0 nor its .255.255. */
const SLOTS = 65534;

/** FNV-1a, 32 bits. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function dotted(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** "namespace/name" -> virtual IP, for every Service given (collisions resolved in name order). */
export function serviceAddresses(services: readonly { namespace: string; name: string }[]): Map<string, string> {
  const keys = [...new Set(services.map((s) => `${s.namespace}/${s.name}`))].sort();
  if (keys.length > SLOTS) throw new Error(`${keys.length} Services do not fit in ${SERVICE_CIDR}`);
  const taken = new Set<number>();
  const out = new Map<string, string>();
  for (const k of keys) {
    let slot = fnv1a(k) % SLOTS;
    while (taken.has(slot)) slot = (slot + 1) % SLOTS;
    taken.add(slot);
    out.set(k, dotted(BASE + 1 + slot));
  }
  return out;
}

/** Whether `ip` (dotted IPv4) is in SERVICE_CIDR. */
export function isServiceAddress(ip: string): boolean {
  return ip.startsWith('240.240.');
}

/**
 * Hosts-file lines for the Services: "<vip> <name>.<ns> <name>.<ns>.svc.cluster.local", and the bare
 * <name> for Services in `namespace` (the caller's own, as the sidecar's names are).
 */
export function hostsLines(services: readonly { namespace: string; name: string }[], namespace: string, clusterDomain = 'svc.cluster.local'): string[] {
  const addrs = serviceAddresses(services);
  return [...addrs].map(([k, ip]) => {
    const [ns, name] = k.split('/');
    const names = [`${name}.${ns}`, `${name}.${ns}.${clusterDomain}`];
    if (ns === namespace) names.unshift(name);
    return `${ip} ${names.join(' ')}`;
  });
}
