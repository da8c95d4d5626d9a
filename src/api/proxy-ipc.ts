// The IPC channel between the local runtime and each proxy it forks: the messages both ends exchange, as
// types both import (the runtime never reaches into src/proxy for them).

/** The ports a proxy listens on, for its parent (and, through the registry, for everyone else). */
export interface ProxyPorts {
  admin: number;
  outbound?: number;
  inbound?: number;
  /** cluster name ("svc.ns:port") -> local port the app can call. */
  upstreams: Record<string, number>;
  /** Gateway listeners as bound; `tls` when the port terminates TLS (HTTPS). */
  listeners: { name: string; address: string; port: number; tls?: boolean }[];
}

/** Messages a forked proxy sends its parent. */
export type ProxyIpc =
  | { type: 'ready'; ports: ProxyPorts; configVersion: string | null }
  | { type: 'ports'; ports: ProxyPorts; configVersion: string | null }
  /** Each config-stream connection spends one credential: the proxy asks for a fresh one. */
  | { type: 'token-request' }
  /** The answer to drain-inbound: the inbound port is closed and its requests in flight are done. */
  | { type: 'inbound-drained' };

/** Messages the parent sends a forked proxy. */
export type RuntimeIpc =
  /** Sent once, first: the credential for the first config stream and the roots to verify the control plane. Never argv, env or a file. */
  | { type: 'bootstrap'; token: string; bundle: string[]; trustDomain: string }
  /** The answer to a token-request. */
  | { type: 'token'; token: string }
  /** Stop accepting, finish in-flight requests, exit. */
  | { type: 'drain' }
  /**
   * The first step of stopping a replica: stop accepting inbound, finish the inbound requests in flight,
   * answer inbound-drained, and keep the outbound side serving the app while it shuts down.
   */
  | { type: 'drain-inbound' };
