// What every proxy listener enforces, with the defaults weft picks, resolved from the Mesh's
// spec.listeners (src/control/translate). Imports nothing, so the proxy can take its defaults from here.

export interface ListenerLimitsSnap {
  /** A request head must arrive whole within this time of its first byte (slowloris), ms. */
  headerTimeoutMs: number;
  /** A connection with no request in flight closes after this long, ms. */
  idleTimeoutMs: number;
  /** Connections one listener holds at once; more are closed at accept. */
  maxConnections: number;
  /** Most bytes of a request head (431 beyond). */
  maxHeadBytes: number;
  /** Most header fields in a request (431 beyond). */
  maxHeaders: number;
  /** Longest request line (414 beyond). */
  maxRequestLine: number;
}

// Envoy's limits for the header ones (60 KiB, 100 headers); nginx's 8 KiB request line buffer; a 10 s
// head timeout (Envoy's is off by default, nginx's is 60 s: a slowloris holds a connection that long);
// 5 minutes idle, long enough that keep-alive between meshed apps rarely reconnects.
export const DEFAULT_LISTENER_LIMITS: ListenerLimitsSnap = {
  headerTimeoutMs: 10_000,
  idleTimeoutMs: 300_000,
  maxConnections: 10_000,
  maxHeadBytes: 60 * 1024,
  maxHeaders: 100,
  maxRequestLine: 8 * 1024,
};
