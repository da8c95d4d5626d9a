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

  /** Replaces everything one runtime reported (full-state sync: idempotent, safe to repeat). */
  async report(runtime: string, r: RuntimeReport): Promise<boolean> {
    const before = JSON.stringify(this.reports[runtime] ?? null);
    if (before === JSON.stringify(r)) return false;
    this.reports = { ...this.reports, [runtime]: r };
    await this.store.putState(STATE, this.reports);
    for (const l of this.listeners) l();
    return true;
  }

  async forget(runtime: string): Promise<void> {
    if (!(runtime in this.reports)) return;
    const { [runtime]: _gone, ...rest } = this.reports;
    this.reports = rest;
    await this.store.putState(STATE, this.reports);
    for (const l of this.listeners) l();
  }

  onChange(cb: () => void): void {
    this.listeners.push(cb);
  }
}
