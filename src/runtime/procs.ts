// Supervising child processes: sending on an IPC channel that may be gone, stopping gracefully with a
// deadline, and killing whole process groups when a stop is forced.
import type { ChildProcess } from 'node:child_process';

export interface Proc {
  name: string;
  child?: ChildProcess;
  exited?: Promise<void>;
  restarts: number;
  /** Why it last exited: "code 1", "SIGKILL". */
  lastExit?: string;
  /** What the runtime could not do for it, e.g. "cannot start nosuch: spawn nosuch ENOENT". */
  error?: string;
  /** Spawned detached: its own process group (apps). */
  group?: boolean;
}

/**
 * Sends on a child's IPC channel without ever throwing: a child that exits between the check and the
 * send closes the channel (EPIPE, ERR_IPC_CHANNEL_CLOSED), which must not take the runtime down.
 */
export function safeSend(child: ChildProcess | undefined, msg: unknown): boolean {
  if (child === undefined || !child.connected) return false;
  try {
    child.send(msg as never, (e) => { void e; });
    return true;
  } catch {
    return false;
  }
}

/** Errors a child's IPC channel can raise once the child is gone: ignored (its exit is handled). */
export function guardIpc(child: ChildProcess): void {
  child.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_IPC_CHANNEL_CLOSED' || e.code === 'ECONNRESET') return;
    // Anything else is still not worth a crash of the whole mesh; the exit handler reports the process.
  });
}

export function isRunning(p: Proc): boolean {
  return p.child !== undefined && p.child.pid !== undefined && p.child.exitCode === null && p.child.signalCode === null;
}

/** A proxy drains (stops accepting, finishes in-flight requests, closes idle pooled connections) when asked over IPC. */
export async function stopProxy(p: Proc, graceMs = 15_000): Promise<void> {
  if (!isRunning(p)) return;
  if (!safeSend(p.child, { type: 'drain' })) p.child!.kill('SIGTERM');
  await waitOrKill(p, graceMs);
}

/**
 * The first step of stopping a replica: its sidecar stops accepting inbound and finishes what it carries
 * (bounded by graceMs), while its outbound side still serves the app. Resolves when it says so, exits, or
 * the time is up.
 */
export async function drainInbound(p: Proc, graceMs = 15_000): Promise<void> {
  if (!isRunning(p)) return;
  const child = p.child!;
  let timer: NodeJS.Timeout | undefined;
  let onMessage: ((m: unknown) => void) | undefined;
  await Promise.race([
    new Promise<void>((resolve) => {
      onMessage = (m) => { if ((m as { type?: string })?.type === 'inbound-drained') resolve(); };
      child.on('message', onMessage);
      if (!safeSend(child, { type: 'drain-inbound' })) resolve();
    }),
    p.exited!,
    new Promise<void>((resolve) => { timer = setTimeout(resolve, graceMs); }),
  ]);
  clearTimeout(timer);
  if (onMessage) child.off('message', onMessage);
}

export async function stopGroup(p: Proc, graceMs: number): Promise<void> {
  if (!isRunning(p)) return;
  signal(p, 'SIGTERM');
  await waitOrKill(p, graceMs);
}

/** Sends `sig` to the process, or to its whole group when it has one; never throws. */
export function signal(p: Proc, sig: NodeJS.Signals): void {
  const pid = p.child?.pid;
  if (pid === undefined) return;
  try {
    if (p.group) process.kill(-pid, sig);
    else p.child!.kill(sig);
  } catch {
    try { p.child!.kill(sig); } catch { /* already gone */ }
  }
}

async function waitOrKill(p: Proc, graceMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    p.exited!.then(() => false),
    new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), graceMs); }),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    signal(p, 'SIGKILL');
    await p.exited;
  }
}

export function backoff(restarts: number): number {
  return Math.min(30_000, 250 * 2 ** Math.min(restarts, 7));
}

export function describeExit(code: number | null, sig: NodeJS.Signals | null): string {
  return sig ?? `code ${code}`;
}
