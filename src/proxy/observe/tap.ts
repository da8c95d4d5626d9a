// Tap: a live stream of requests for `weft tap`. Costs nothing when nobody watches; with watchers, each
// finished request is matched against their filters and written as one JSON line. Header values are
// never included (the record carries none), so nothing secret leaks to the person tapping.
import type { ServerResponse } from 'node:http';
import type { RecordSink, RequestRecord } from './record.js';

export interface TapFilter {
  path?: string;
  method?: string;
  /** Matches the source or destination workload or service. */
  target?: string;
}

interface Watcher {
  res: ServerResponse;
  filter: TapFilter;
  /** Stop after this many events (bounded taps for scripts and tests). */
  left: number;
}

export class Tap implements RecordSink {
  private readonly watchers = new Set<Watcher>();

  get watching(): number {
    return this.watchers.size;
  }

  /** Streams matching records as NDJSON to `res` until the client goes away or `max` were sent. */
  watch(res: ServerResponse, filter: TapFilter, max = Infinity): void {
    const w: Watcher = { res, filter, left: max };
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    res.flushHeaders();
    this.watchers.add(w);
    res.on('close', () => this.watchers.delete(w));
  }

  record(r: RequestRecord): void {
    if (this.watchers.size === 0) return;
    let line: string | undefined;
    for (const w of this.watchers) {
      const f = w.filter;
      if (f.method !== undefined && f.method !== r.method) continue;
      if (f.path !== undefined && !r.path.startsWith(f.path)) continue;
      if (f.target !== undefined && f.target !== r.destService && f.target !== r.destWorkload && f.target !== r.sourceWorkload) continue;
      line ??= JSON.stringify({
        time: new Date(r.start).toISOString(), direction: r.direction, method: r.method, path: r.path, authority: r.authority,
        status: r.status, flags: r.flags, latencyMs: Math.round(r.durationMs * 1000) / 1000,
        source: r.sourcePrincipal ?? r.sourceWorkload ?? null, destination: r.destPrincipal ?? r.destService ?? null,
        destinationService: r.destService ?? null, destinationWorkload: r.destWorkload ?? null, route: r.route ?? null,
        upstream: r.upstreamHost ?? null, tls: r.tls, requestId: r.requestId ?? null,
      }) + '\n';
      w.res.write(line);
      if (--w.left <= 0) {
        this.watchers.delete(w);
        w.res.end();
      }
    }
  }
}
