// A slow reader on either side of a real mesh (client -> gateway -> mTLS -> sidecar -> app) must hold the
// other side back, not make the proxies buffer: 50 MiB up to a slow app and 50 MiB down to a slow client,
// with the proxies' resident memory watched from /proc the whole time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { TestMesh, ROOT, freePort, httpCall, waitFor } from './helpers/mesh.js';
import { docs, edgeDocs, meshDoc, serviceDoc, workloadDoc } from './helpers/yaml.js';

const SLOW = path.join(ROOT, 'test', 'fixtures', 'slow.mjs');
const MB = 100;

let mesh: TestMesh;
let gw: number;

before(async () => {
  gw = await freePort();
  mesh = new TestMesh(docs(meshDoc('membound'), workloadDoc('slow', { args: [SLOW], probe: '/healthz' }), serviceDoc('slow'), edgeDocs(gw, 'slow')));
  await mesh.start();
  await mesh.waitAllSynced();
  await waitFor('the route to work', async () => (await httpCall(gw, '/healthz')).status === 200);
});

after(async () => {
  await mesh?.stop();
});

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

test(`${MB} MiB up to a slow app and ${MB} MiB down to a slow client: the proxies' RSS stays bounded`, { timeout: 120_000 }, async () => {
  const pids = ['gateway-edge', 'slow-0/proxy'].map((n) => mesh.runtime().processes.find((p) => p.name === n)!.pid);
  // Warm up (connections, JIT) so the baseline is a working proxy, not a cold one.
  for (let i = 0; i < 20; i++) await httpCall(gw, '/down?mb=1');
  const base = pids.map(rssMb);
  const peak = [...base];
  const probe = setInterval(() => pids.forEach((p, i) => (peak[i] = Math.max(peak[i]!, rssMb(p)))), 20);
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    const up = await new Promise<string>((resolve, reject) => {
      const q = http.request({ host: '127.0.0.1', port: gw, path: '/up', method: 'POST', headers: { 'content-length': MB * 1024 * 1024 } }, (r) => {
        let s = '';
        r.on('data', (d) => (s += d));
        r.on('end', () => resolve(s));
      });
      q.on('error', reject);
      let sent = 0;
      const pump = () => {
        while (sent < MB * 1024 * 1024) {
          sent += chunk.length;
          if (!q.write(chunk)) return void q.once('drain', pump);
        }
        q.end();
      };
      pump();
    });
    assert.equal(up, String(MB * 1024 * 1024));
    const down = await new Promise<number>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: gw, path: `/down?mb=${MB}` }, (r) => {
        let n = 0;
        r.on('data', (d: Buffer) => {
          n += d.length;
          r.pause();
          setTimeout(() => r.resume(), 2);
        });
        r.on('end', () => resolve(n));
      }).on('error', reject);
    });
    assert.equal(down, MB * 1024 * 1024);
  } finally {
    clearInterval(probe);
  }
  const growth = peak.map((p, i) => p - base[i]!);
  console.log(`RSS baseline ${base.map((b) => b.toFixed(0)).join(' / ')} MB, peak growth ${growth.map((g) => g.toFixed(1)).join(' / ')} MB (gateway / sidecar)`);
  // Buffering either body would grow a proxy by ~100 MiB; what it grows is garbage not yet collected (the
  // same ~20-25 MB whether 50 or 150 MiB pass) and socket buffers.
  for (const g of growth) assert.ok(g < 45, `a proxy grew by ${g.toFixed(1)} MB while ${MB} MiB passed each way`);
});
