// The proxy's admin listener: liveness, readiness and the running config, for people and for the runtime.
import { listenOn } from '../../util/listen.js';
import http from 'node:http';
import { redactSnapshot, type Snapshot } from '../../api/snapshot.js';
import type { Tap } from '../observe/tap.js';

export interface AdminSource {
  readonly ready: boolean;
  readonly version: string | null;
  readonly snapshot: Snapshot | undefined;
  ports(): unknown;
  readonly stats: unknown;
  readonly tap: Tap;
  /** Prometheus text exposition of this proxy's metrics, when metrics are on. */
  metricsText?: () => string;
  readonly opts: { name: string; kind: string; workload: string; namespace: string };
  /** Outlier detection's ejected endpoints now, by cluster. */
  readonly outliers?: { ejected(): Record<string, string[]> };
  /** Endpoints failing active health checks now, by cluster. */
  readonly healthChecks?: { unhealthy(): Record<string, string[]> };
  /** Locality failover's priority levels and their shares now, by cluster. */
  priorities?(): Record<string, unknown>;
}

export interface AdminServer {
  port: number;
  close(): Promise<void>;
}

export async function startAdmin(src: AdminSource, host: string, port: number): Promise<AdminServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown) => {
      const text = JSON.stringify(body, null, 2) + '\n';
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (path === '/healthz') return json(200, { status: 'ok' });
    if (path === '/ready') return json(src.ready ? 200 : 503, { ready: src.ready, configVersion: src.version });
    if (path === '/config_dump') {
      return json(200, { proxy: src.opts.name, kind: src.opts.kind, workload: src.opts.workload, namespace: src.opts.namespace, configVersion: src.version, ports: src.ports(), ejected: src.outliers?.ejected() ?? {}, unhealthy: src.healthChecks?.unhealthy() ?? {}, priorities: src.priorities?.() ?? {}, snapshot: src.snapshot === undefined ? null : redactSnapshot(src.snapshot) });
    }
    if (path === '/stats') return json(200, src.stats);
    if (path === '/metrics') {
      if (src.metricsText === undefined) return json(404, { error: 'metrics are disabled for this proxy' });
      const text = src.metricsText();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      return res.end(text);
    }
    if (path === '/tap') {
      const q = new URL(req.url ?? '/', 'http://admin').searchParams;
      const max = Number(q.get('max') ?? 'Infinity');
      src.tap.watch(res, { path: q.get('path') ?? undefined, method: q.get('method') ?? undefined, target: q.get('target') ?? undefined }, Number.isFinite(max) && max > 0 ? max : Infinity);
      return;
    }
    json(404, { error: `no admin endpoint ${path}; try /healthz, /ready, /config_dump, /stats, /metrics, /tap` });
  });
  const bound = await listenOn(server, port, host);
  return {
    port: bound,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
