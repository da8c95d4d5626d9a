// Timeouts: the Gateway API's HTTPRoute `timeouts` (GEP-1742) and the mesh-wide defaults weft picks,
// resolved by the control plane into every route entry of a snapshot. Imports nothing the proxy does not
// already load, so the proxy can take its defaults from here.

/** Gateway API Duration (GEP-2257): 1-4 parts of up to 5 digits with h, m, s or ms; "0s" means "no timeout". */
export const GATEWAY_DURATION = /^(?:[0-9]{1,5}(?:h|m|s|ms)){1,4}$/;
const PART = /([0-9]{1,5})(h|ms|m|s)/y;
const UNIT: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** A Gateway API duration in milliseconds; undefined when malformed. */
export function parseGatewayDuration(text: string): number | undefined {
  if (!GATEWAY_DURATION.test(text)) return undefined;
  let ms = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const m = PART.exec(text);
    if (m === null) return undefined;
    ms += Number(m[1]) * UNIT[m[2]];
  }
  return ms;
}

/** One route entry's timeouts in ms; 0 is "none". */
export interface RouteTimeoutsSnap {
  /** Gateway API timeouts.request: from the request's arrival to the end of the response, all attempts. */
  requestMs: number;
  /** Gateway API timeouts.backendRequest: one attempt, from sending to the endpoint to the end of its response. */
  backendRequestMs: number;
  /** The mesh default for rules with no `timeouts`: sending to the endpoint until its response head arrives. */
  responseHeadersMs: number;
}

/** Mesh-wide traffic settings as a snapshot carries them. */
export interface TrafficSnap {
  connectTimeoutMs: number;
}

/**
 * weft's defaults. A rule without `timeouts` gets a 15 s limit on the wait for the endpoint's response head:
 * a frozen or deadlocked replica answers 504 instead of holding the caller forever, while a response that
 * has started (a download, server-sent events, a long poll that sends headers first) is never cut, the
 * complaint that made Istio turn its default route timeout off. 15 s is Envoy's default route timeout;
 * Linkerd's service profiles used 10 s. Connect: 5 s, Envoy's and Istio's connectTimeout default.
 */
export const DEFAULT_RESPONSE_HEADERS_TIMEOUT_MS = 15_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

export const NO_TIMEOUTS: RouteTimeoutsSnap = { requestMs: 0, backendRequestMs: 0, responseHeadersMs: 0 };
