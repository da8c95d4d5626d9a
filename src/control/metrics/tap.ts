// Merges the live tap streams of every proxy into one, for `weft tap` and `weft top`.
import http from 'node:http';
import type { ScrapeTarget } from './aggregator.js';

export interface RelayOptions {
  /**
   * Filters events here instead of at the proxies (a target that covers several services and workloads,
   * which one proxy-side name cannot express). Without it, `target` is passed on to every proxy.
   */
  accept?: (ev: Record<string, unknown>, from: ScrapeTarget) => boolean;
  /** Fields to add to each event sent on (e.g. `service`, the name the caller used). */
  enrich?: (ev: Record<string, unknown>) => Record<string, unknown>;
}

export function relayTap(res: http.ServerResponse, q: URLSearchParams, targets: ScrapeTarget[], opts: RelayOptions = {}): void {
  const query = new URLSearchParams();
  for (const k of ['path', 'method', 'target']) {
    const v = q.get(k);
    if (v !== null && !(k === 'target' && opts.accept !== undefined)) query.set(k, v);
  }
  let left = Number(q.get('max') ?? 'Infinity');
  if (!(left > 0)) left = Infinity;
  // Headers go out now, before any event: the client can tell "connected, waiting for requests" apart
  // from "cannot connect".
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  res.flushHeaders();
  const upstream: http.ClientRequest[] = [];
  const done = () => {
    for (const u of upstream) u.destroy();
    if (!res.writableEnded) res.end();
  };
  res.on('close', done);
  for (const t of targets) {
    const [host, port] = [t.admin.slice(0, t.admin.lastIndexOf(':')), Number(t.admin.slice(t.admin.lastIndexOf(':') + 1))];
    const u = http.get({ host, port, path: `/tap?${query}`, agent: false }, (r) => {
      let buf = '';
      r.setEncoding('utf8');
      r.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) !== -1) {
          const line = buf.slice(0, nl + 1);
          buf = buf.slice(nl + 1);
          if (left <= 0) return;
          let ev: Record<string, unknown>;
          try {
            ev = JSON.parse(line) as Record<string, unknown>;
          } catch {
            continue; // a proxy's garbled line must not end everyone's tap
          }
          if (opts.accept !== undefined && !opts.accept(ev, t)) continue;
          res.write(JSON.stringify({ proxy: t.proxy, ...ev, ...(opts.enrich?.(ev) ?? {}) }) + '\n');
          if (--left <= 0) done();
        }
      });
    });
    u.on('error', () => {});
    upstream.push(u);
  }
}
