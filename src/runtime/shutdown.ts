// The order a local mesh stops in, so no request is lost on the way down: gateways stop accepting and finish
// what they carry, every endpoint goes out of rotation, each sidecar finishes the inbound requests it
// carries, apps stop (each its whole process group; their outbound calls still work while they shut down),
// then the sidecars drain, then the control plane. And the forced stop, for a second signal.
import { drainInbound, signal, stopGroup, stopProxy, type Proc } from './procs.js';

export interface Stoppable {
  gateways: Proc[];
  replicas: { app: Proc; proxy: Proc }[];
  /** The control plane's replicas (one, unless it is an HA control plane). */
  controls: Proc[];
}

export async function stopInOrder(m: Stoppable & { outOfRotation: () => Promise<void>; log: (msg: string) => void }): Promise<void> {
  m.log('stopping: gateways drain first');
  await Promise.all(m.gateways.map((g) => stopProxy(g)));
  // Take every endpoint out of rotation before apps go away.
  await m.outOfRotation();
  // Each sidecar finishes the inbound requests it carries; its outbound side still serves the app.
  await Promise.all(m.replicas.map((r) => drainInbound(r.proxy)));
  m.log('stopping apps');
  await Promise.all(m.replicas.map((r) => stopGroup(r.app, 10_000)));
  m.log('stopping sidecars');
  await Promise.all(m.replicas.map((r) => stopProxy(r.proxy)));
  m.log('stopping control plane');
  await Promise.all(m.controls.map((c) => stopGroup(c, 10_000)));
}

/** SIGKILL every app's process group, every proxy and the control plane, at once. */
export function killAll(m: Stoppable): void {
  for (const r of m.replicas) {
    signal(r.app, 'SIGKILL');
    signal(r.proxy, 'SIGKILL');
  }
  for (const g of m.gateways) signal(g, 'SIGKILL');
  for (const c of m.controls) signal(c, 'SIGKILL');
}
