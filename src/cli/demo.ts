import { fileURLToPath } from 'node:url';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { request } from 'undici';
import { weftHome } from '../control/discovery.js';
import { startLocalMesh, printUrls } from './up.js';
import { intArg } from './common.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/shop/mesh.yaml', import.meta.url));

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the sample shop app in a local mesh, with light generated traffic')
    .option('--rps <n>', 'requests per second the load generator sends', intArg('--rps', 0, 200), 5)
    .option('--duration <seconds>', 'stop after this long (default: run until Ctrl-C)', intArg('--duration', 1, 86400))
    .action(async (o: { rps: number; duration?: number }) => {
      const dir = path.dirname(EXAMPLE);
      let stateDir = path.join(dir, '.weft');
      try {
        accessSync(dir, constants.W_OK);
      } catch {
        stateDir = path.join(weftHome(), 'demo');
      }
      let timer: NodeJS.Timeout | undefined;
      const { mesh, urls } = await startLocalMesh([EXAMPLE], stateDir, () => clearInterval(timer));
      printUrls(urls);
      const base = urls[0]?.url;
      if (base) {
        process.stdout.write(`
weft demo: the shop runs in a local mesh; a load generator sends ${o.rps} requests/s through the gateway.
Try:
  curl ${base}                      # the shop's front page (web -> catalog v1/v2 -> reviews)
  curl -s ${base}api/products       # JSON; "catalogVersion" shows the 90/10 canary split
  ./bin/weft status                 # every proxy, its config version, SYNCED/STALE/NACKED
  ./bin/weft proxy-config web-0     # the routes and endpoints web's sidecar runs
  edit examples/shop/mesh.yaml (e.g. the catalog-split weights) and watch the change reach every proxy
Ctrl-C stops everything.

`);
        let sent = 0, ok = 0, failed = 0;
        const paths = ['/', '/api/products'];
        if (o.rps > 0) {
          timer = setInterval(() => {
            const p = paths[sent++ % paths.length];
            request(new URL(p, base), { headersTimeout: 5000, bodyTimeout: 5000 })
              .then(async (r) => { await r.body.dump(); if (r.statusCode < 500) ok++; else failed++; }, () => { failed++; });
          }, 1000 / o.rps);
          timer.unref();
          const tick = setInterval(() => process.stdout.write(`weft demo: ${sent} requests sent, ${ok} ok, ${failed} failed\n`), 30_000);
          tick.unref();
        }
      }
      if (o.duration !== undefined) {
        setTimeout(() => {
          clearInterval(timer);
          void mesh.stop().then(() => process.exit(0));
        }, o.duration * 1000);
      }
    });
}
