// Ports for processes that listen on a port they are told (an app started with PORT=...), chosen so that
// nothing else on the machine is handed the same one in the meantime.
//
// Binding port 0 and releasing it ("a port that was free a moment ago") is not enough in local mode: the
// runtime starts a dozen proxies at once, each binding port 0 for its listeners, and the kernel draws
// those from its ephemeral range, where it may hand out the port it just took back. An app told that port
// then fails with EADDRINUSE, or, worse, its readiness probe reaches another proxy's admin listener. So app
// ports come from outside the ephemeral range (where no bind to port 0 can land) and stay reserved, held
// by a listening socket of the runtime's own, until the moment the app is started.
import { readFileSync } from 'node:fs';
import net from 'node:net';

/** The range the kernel picks from when a program binds port 0. */
export function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(lo) && Number.isInteger(hi) && lo >= 1 && hi >= lo && hi <= 65535) return [lo, hi];
  } catch {
    // Not Linux: macOS and Windows use 49152-65535, which Linux's usual 32768-60999 floor also covers.
  }
  return [32768, 65535];
}

/** Where reserved ports are drawn from: below the ephemeral range (above 10000, clear of well-known services) or, failing room there, above it. */
export function reservableRange(eph: [number, number] = ephemeralRange()): [number, number] | undefined {
  const [lo, hi] = eph;
  if (lo - 1 - 10000 >= 1000) return [10000, lo - 1];
  if (65535 - (hi + 1) >= 1000) return [hi + 1, 65535];
  return undefined;
}

/** A port held by a listening socket until release(), which closes it at once (synchronously). */
export interface PortReservation {
  readonly port: number;
  release(): void;
}

function tryListen(host: string, port: number): Promise<net.Server | undefined> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.unref();
    s.once('error', () => resolve(undefined));
    s.listen({ port, host, exclusive: true }, () => resolve(s));
  });
}

/**
 * Reserves a free port outside the ephemeral range, drawn at random so that two runtimes on one machine
 * rarely try the same one (and a taken one is skipped). Falls back to the kernel's choice if the range
 * has no room or nothing in it is free.
 */
export async function reservePort(host = '127.0.0.1', attempts = 64): Promise<PortReservation> {
  const range = reservableRange();
  if (range !== undefined) {
    const [lo, hi] = range;
    for (let i = 0; i < attempts; i++) {
      const port = lo + Math.floor(Math.random() * (hi - lo + 1));
      const s = await tryListen(host, port);
      if (s !== undefined) return { port, release: () => void s.close() };
    }
  }
  const s = await tryListen(host, 0);
  if (s === undefined) throw new Error(`no free port on ${host}`);
  return { port: (s.address() as net.AddressInfo).port, release: () => void s.close() };
}

/** A port that was free a moment ago and lies outside the ephemeral range, released at once: for a config that must name a port (tests, benchmarks). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const r = await reservePort(host);
  r.release();
  return r.port;
}
