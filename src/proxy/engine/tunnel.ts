// A byte tunnel between two sockets: what an upgraded connection (WebSocket after a 101) and an opaque TCP
// port become. Bytes are relayed as they come with backpressure both ways; a half-close (FIN) on one side
// is passed on as a half-close on the other, and the tunnel closes when both directions are done or
// either side errors.
import type net from 'node:net';

export interface TunnelStats {
  /** Bytes a -> b and b -> a. */
  aToB: number;
  bToA: number;
}

/** Joins a and b; `done` is called once, when both sockets are closed. */
export function tunnel(a: net.Socket, b: net.Socket, done?: (stats: TunnelStats) => void, idleTimeoutMs = 0): void {
  const stats: TunnelStats = { aToB: 0, bToA: 0 };
  let closed = 0;
  const onClose = (): void => {
    if (++closed === 2) done?.(stats);
  };
  relay(a, b, (n) => (stats.aToB += n));
  relay(b, a, (n) => (stats.bToA += n));
  a.once('close', () => {
    b.destroy();
    onClose();
  });
  b.once('close', () => {
    a.destroy();
    onClose();
  });
  a.on('error', () => a.destroy());
  b.on('error', () => b.destroy());
  if (a.destroyed) b.destroy();
  if (b.destroyed) a.destroy();
  if (idleTimeoutMs > 0) {
    // Idle in both directions for this long: neither side is coming back.
    a.setTimeout(idleTimeoutMs, () => a.destroy());
    b.setTimeout(idleTimeoutMs, () => b.destroy());
  }
  a.resume();
  b.resume();
}

function relay(from: net.Socket, to: net.Socket, count: (n: number) => void): void {
  from.on('data', (chunk: Buffer) => {
    count(chunk.length);
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
  from.once('end', () => {
    // Half-close: the other side may still send; the socket closes once both directions ended.
    if (!to.destroyed) to.end();
  });
}
