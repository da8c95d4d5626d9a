// Merges the live tap streams of every proxy into one, for `weft tap` and `weft top`.
import http from 'node:http';
import type { ScrapeTarget } from './aggregator.js';

export function relayTap(res: http.ServerResponse, q: URLSearchParams, targets: ScrapeTarget[]): void {
  const query = new URLSearchParams();
  for (const k of ['path', 'method', 'target']) {
    const v = q.get(k);
    if (v !== null) query.set(k, v);
  }
  let left = Number(q.get('max') ?? 'Infinity');
  if (!(left > 0)) left = Infinity;
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
          const ev = JSON.parse(line) as Record<string, unknown>;
          res.write(JSON.stringify({ proxy: t.proxy, ...ev }) + '\n');
          if (--left <= 0) done();
        }
      });
    });
    u.on('error', () => {});
    upstream.push(u);
  }
}
