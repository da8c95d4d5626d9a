// The config-push protocol between a proxy and the control plane (docs/push-protocol.md).
// One long-lived HTTP/2 stream per proxy: POST /v1/stream, newline-delimited JSON both ways.
import type { Snapshot } from './snapshot.js';

export const STREAM_PATH = '/v1/stream';

export interface ProxyHello {
  type: 'hello';
  proxy: { name: string; kind: 'sidecar' | 'gateway'; workload: string; namespace: string; version: string; /** host:port of its admin listener (metrics, tap) */ admin?: string };
  /** The version the proxy is serving (after a control-plane restart), or null on first start. */
  configVersion: string | null;
}
export interface ProxyAck { type: 'ack'; version: string }
export interface ProxyNack { type: 'nack'; version: string; error: string }
/** A certificate signing request for the proxy's own key, which never leaves the proxy. */
export interface ProxyCsr { type: 'csr'; csr: string }
/** What the proxy is presenting now (after install, renewal or expiry). */
export interface ProxyCertStatus {
  type: 'cert-status';
  certificate: { spiffeId: string; serial: string; notBefore: string; notAfter: string; renewAt: string } | null;
  /** Set while the proxy fails closed, e.g. "certificate expired at ...". */
  error?: string;
  /** How many roots the proxy trusts now (lets CA rotation wait until every proxy has the new bundle). */
  bundleSize?: number;
  /** Fingerprint of the trusted roots (first 12 hex of SHA-256 over the PEMs), to check every proxy trusts the same. */
  bundleId?: string;
}
/** Endpoints this proxy's outlier detection keeps out of rotation now, by cluster ("address:port"); sent on change. */
export interface ProxyEndpointHealth { type: 'endpoint-health'; ejected: Record<string, string[]> }
export type ProxyMessage = ProxyHello | ProxyAck | ProxyNack | ProxyCsr | ProxyCertStatus | ProxyEndpointHealth;

export interface ControlSnapshot { type: 'snapshot'; version: string; snapshot: Snapshot }
/** The signed certificate for the last CSR: [leaf, intermediates...] and the roots to trust. */
export interface ControlCertificate { type: 'certificate'; chain: string[]; bundle: string[] }
/** A new trust bundle (CA rotation) without a new certificate. */
export interface ControlBundle { type: 'bundle'; bundle: string[] }
/** Asks the proxy for a fresh CSR now (CA rotation re-issues every proxy). */
export interface ControlRenew { type: 'renew' }
export interface ControlError { type: 'error'; error: string }
export type ControlMessage = ControlSnapshot | ControlCertificate | ControlBundle | ControlRenew | ControlError;

/** Splits a byte stream into JSON lines. */
export function lineReader(onLine: (obj: unknown) => void, onBad: (err: Error) => void): (chunk: Buffer | string) => void {
  let buf = '';
  return (chunk) => {
    buf += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim() === '') continue;
      try {
        onLine(JSON.parse(line));
      } catch (e) {
        onBad(e as Error);
      }
    }
  };
}
