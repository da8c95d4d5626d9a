import { fileURLToPath } from 'node:url';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { request } from 'undici';
import { weftHome } from '../control/discovery.js';
import { call } from '../control/client.js';
import type { StatRow } from '../api/control-api.js';
import { startLocalMesh, printUrls } from './up.js';
import { intArg } from './common.js';
import { LiveRegion, renderLiveLine, renderLiveView, type LiveTotals } from './live.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/shop/mesh.yaml', import.meta.url));
/** The live view's window: short, so a change (an edited split, a broken replica) shows within seconds. */
const WINDOW = '10s';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the sample shop app in a local mesh, with light generated traffic and a live view of it')
    .option('--rps <n>', 'requests per second the load generator sends', intArg('--rps', 0, 200), 5)
    .option('--duration <seconds>', 'stop after this long (default: run until Ctrl-C)', intArg('--duration', 1, 86400))
    .option('--verbose', 'stream every app and proxy line (access logs too) instead of the live view')
    .action(async (o: { rps: number; duration?: number; verbose?: boolean }) => {
      const dir = path.dirname(EXAMPLE);
      let stateDir = path.join(dir, '.weft');
      try {
        accessSync(dir, constants.W_OK);
      } catch {
        stateDir = path.join(weftHome(), 'demo');
      }
      // On a terminal the live view stays at the bottom and everything else scrolls above it.
      const tty = process.stdout.isTTY === true && !o.verbose;
      const region = tty ? new LiveRegion(process.stdout) : undefined;
      const out: NodeJS.WritableStream = region?.stream ?? process.stdout;
      const timers: NodeJS.Timeout[] = [];
      const stopTimers = () => {
        for (const t of timers) clearInterval(t);
        region?.close();
      };
      const { mesh, urls } = await startLocalMesh([EXAMPLE], stateDir, stopTimers, { verbose: o.verbose, out });
      printUrls(urls, out);
      const base = urls[0]?.url;
      if (base) {
        out.write(`
weft demo: the shop runs in a local mesh; a load generator sends ${o.rps} requests/s through the gateway.
Try:
  curl ${base}                      # the shop's front page (web -> catalog v1/v2 -> reviews)
  curl -s ${base}api/products       # JSON; "catalogVersion" shows the 90/10 canary split
  ./bin/weft status                 # every proxy and app: config version, SYNCED/STALE/NACKED, ready, restarts
  ./bin/weft stat --backends        # per service: success rate, rps, latency; catalog split into v1 and v2
  ./bin/weft logs catalog-v1 -f     # an app's output (--proxy: its sidecar's access log)
  ./bin/weft proxy-config web-0     # the routes and endpoints web's sidecar runs
  edit examples/shop/mesh.yaml (the catalog-split weights, catalog-v1's replicas) and watch it apply
Ctrl-C stops everything.

`);
        const totals: LiveTotals = { sent: 0, ok: 0, failed: 0 };
        const paths = ['/', '/api/products'];
        if (o.rps > 0) {
          const gen = setInterval(() => {
            const p = paths[totals.sent++ % paths.length];
            request(new URL(p, base), { headersTimeout: 5000, bodyTimeout: 5000 })
              .then(async (r) => { await r.body.dump(); if (r.statusCode < 500) totals.ok++; else totals.failed++; }, () => { totals.failed++; });
          }, 1000 / o.rps);
          timers.push(gen);
        }
        if (!o.verbose) {
          const rows = async (): Promise<StatRow[] | undefined> => mesh.target === undefined ? undefined
            : call<StatRow[]>(mesh.target, 'GET', `/v1/stat?by=service&window=${WINDOW}`, undefined, 3000).catch(() => undefined);
          if (region !== undefined) {
            const draw = async () => {
              const r = await rows();
              if (r !== undefined) region.update(renderLiveView(r, totals, WINDOW));
            };
            void draw();
            timers.push(setInterval(() => void draw(), 2000));
          } else {
            // Not a terminal (a pipe, CI): one plain line now and then instead of a view redrawn in place.
            timers.push(setInterval(() => void rows().then((r) => { if (r !== undefined) out.write(`${renderLiveLine(r, totals)}\n`); }), 30_000));
          }
        }
        for (const t of timers) t.unref();
      }
      if (o.duration !== undefined) {
        setTimeout(() => {
          stopTimers();
          void mesh.stop().then(() => process.exit(0));
        }, o.duration * 1000);
      }
    });
}
