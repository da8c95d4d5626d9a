// The config-push protocol between a proxy and the control plane (docs/push-protocol.md).
// One long-lived HTTP/2 stream per proxy: POST /v1/stream, newline-delimited JSON both ways.
import type { Snapshot } from './snapshot.js';

export const STREAM_PATH = '/v1/stream';

export interface ProxyHello {
  type: 'hello';
  proxy: { name: string; kind: 'sidecar' | 'gateway'; workload: string; namespace: string; version: string };
  /** The version the proxy is serving (after a control-plane restart), or null on first start. */
  configVersion: string | null;
}
export interface ProxyAck { type: 'ack'; version: string }
export interface ProxyNack { type: 'nack'; version: string; error: string }
export type ProxyMessage = ProxyHello | ProxyAck | ProxyNack;

export interface ControlSnapshot { type: 'snapshot'; version: string; snapshot: Snapshot }
export type ControlMessage = ControlSnapshot;

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
