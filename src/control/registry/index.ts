// The endpoint registry: what runtimes report about the replicas they run (address, labels, readiness)
// and which proxies they expect. Persisted through the store so a restarted control plane computes the
// same snapshots at once, instead of pushing empty endpoint sets while runtimes re-register.
import type { Store } from '../store/store.js';
import type { ProcessReport, ProxyRef, RegisteredEndpoint, RuntimeReport } from '../../api/control-api.js';

export type { RuntimeReport };

const STATE = 'registry';

export class Registry {
  private reports: Record<string, RuntimeReport>;
  private listeners: (() => void)[] = [];

  constructor(private readonly store: Store) {
    this.reports = store.getState<Record<string, RuntimeReport>>(STATE) ?? {};
  }

  endpoints(): RegisteredEndpoint[] {
    return Object.values(this.reports).flatMap((r) => r.endpoints);
  }

  /** What runtimes said about the processes they supervise (apps and proxies). */
  processes(): ProcessReport[] {
    return Object.values(this.reports).flatMap((r) => r.processes ?? []);
  }

  expectedProxies(): ProxyRef[] {
    return Object.values(this.reports).flatMap((r) => r.proxies);
  }

  /**
   * Replaces everything one runtime reported (full-state sync: idempotent, safe to repeat). Several control
   * planes on one store may take reports at once: each change is a compare-and-swap on the stored registry,
   * so one runtime's report never undoes another's.
   */
  async report(runtime: string, r: RuntimeReport): Promise<boolean> {
    return this.update((cur) => (JSON.stringify(cur[runtime] ?? null) === JSON.stringify(r) ? undefined : { ...cur, [runtime]: r }));
  }

  async forget(runtime: string): Promise<void> {
    await this.update((cur) => {
      if (!(runtime in cur)) return undefined;
      const { [runtime]: _gone, ...rest } = cur;
      return rest;
    });
  }

  /** Takes up a registry another control plane wrote (the store says its state changed). */
  reload(): void {
    const cur = this.store.getState<Record<string, RuntimeReport>>(STATE) ?? {};
    if (JSON.stringify(cur) === JSON.stringify(this.reports)) return;
    this.reports = cur;
    for (const l of this.listeners) l();
  }

  /** `next` of the stored registry, or undefined for no change; retried while another writer got there first. */
  private async update(next: (cur: Record<string, RuntimeReport>) => Record<string, RuntimeReport> | undefined): Promise<boolean> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const stored = this.store.getState<Record<string, RuntimeReport>>(STATE);
      const cur = stored ?? {};
      const n = next(cur);
      if (n === undefined) {
        this.reload();
        return false;
      }
      const r = await this.store.casState(STATE, stored, n);
      if (r.ok) {
        this.reports = n;
        for (const l of this.listeners) l();
        return true;
      }
    }
    throw new Error('the endpoint registry changed under 50 attempts to update it; try again');
  }

  onChange(cb: () => void): void {
    this.listeners.push(cb);
  }
}
