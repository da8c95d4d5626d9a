// Which ports carry HTTP and which are opaque TCP, decided once for the control plane, the runtime and the
// docs. As in Istio: `appProtocol` says so explicitly; without it, the well-known ports of server-first
// protocols (the server speaks before the client, so a proxy cannot sniff) are TCP, and the rest HTTP.

/** SMTP, submission, MySQL, Galera, PostgreSQL, Redis, Elasticsearch transport, memcached. */
export const SERVER_FIRST_PORTS: ReadonlySet<number> = new Set([25, 587, 3306, 4444, 5432, 6379, 9300, 11211]);

/** Values of appProtocol that mean opaque TCP (Kubernetes and Istio spellings). */
const TCP_PROTOCOLS = new Set(['tcp', 'mongo', 'mysql', 'redis']);

export type PortProtocol = 'http' | 'tcp';

export function portProtocol(p: { port: number; appProtocol?: string }): PortProtocol {
  if (p.appProtocol !== undefined) return TCP_PROTOCOLS.has(p.appProtocol.toLowerCase()) ? 'tcp' : 'http';
  return SERVER_FIRST_PORTS.has(p.port) ? 'tcp' : 'http';
}
