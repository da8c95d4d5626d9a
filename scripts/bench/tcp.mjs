// Scenario 5 of `npm run bench`: opaque TCP through one mTLS mesh hop, measured with redis-benchmark against
// Debian's redis-server, in the same run as direct (redis itself) and haproxy in `mode tcp` as the same
// two-proxy mTLS hop (client-side proxy -> mTLS -> server-side proxy -> redis).
// Figures per row: SET and GET requests per second (redis-benchmark, 16 connections, no pipelining),
// CPU seconds per 1000 redis requests per proxy, RSS per proxy after the run. Proxies on core 1, load and
// redis on core 0, as in the other scenarios.
import { execFile, spawnSync, execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startPinned, startHaproxy } from './anchors.mjs';
import { cpuSeconds, rssMb, anonMb, noiseProbe, waitPort } from './measure.mjs';
import { freePort, pinProxies, startWeft } from './mesh.mjs';

const run = promisify(execFile);
const N = Number(process.env.BENCH_REDIS_REQUESTS ?? 100000);

function ensureRedis() {
  if (spawnSync('sh', ['-c', 'command -v redis-server && command -v redis-benchmark']).status === 0) return;
  console.log('installing redis-server from Debian');
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  execFileSync('sh', ['-c', `${sudo}apt-get update -qq && ${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server`], { stdio: 'inherit' });
}

/** haproxy as the TCP mesh hop: the same mTLS directives as its HTTP hop, in `mode tcp`. */
function haproxyTcpCfg(dir, { port, redisPort, inPort, certs: K }) {
  const file = path.join(dir, 'haproxy-tcp.cfg');
  writeFileSync(file, `global\n  nbthread 1\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s
frontend out\n  bind 127.0.0.1:${port}\n  default_backend toinbound
backend toinbound\n  server in1 127.0.0.1:${inPort} ssl crt ${K}/client.pem ca-file ${K}/ca.crt verify required sni str(server) verifyhost server
frontend in\n  bind 127.0.0.1:${inPort} ssl crt ${K}/server.pem ca-file ${K}/ca.crt verify required\n  default_backend redis
backend redis\n  server r1 127.0.0.1:${redisPort}\n`);
  return file;
}

const weftTcpYaml = (redisPort) => `apiVersion: weft.dev/v1alpha1
kind: Mesh
metadata: { name: tcphop }
---
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: { name: redis, labels: { app: redis } }
spec:
  # The app is the bench's redis-server on ${redisPort}; this placeholder process only stands for it.
  command: sleep
  args: ["86400"]
  port: ${redisPort}
---
apiVersion: v1
kind: Service
metadata: { name: redis }
spec: { selector: { app: redis }, ports: [{ port: 6379, appProtocol: tcp }] }
---
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: { name: client, labels: { app: client } }
spec:
  command: sleep
  args: ["86400"]
`;

/** redis-benchmark SET and GET against `port`; CPU of `procs` over the run. */
async function measure(port, procs) {
  const cpu0 = Object.fromEntries(Object.entries(procs).map(([k, pids]) => [k, pids.reduce((s, p) => s + cpuSeconds(p), 0)]));
  const r = await run('taskset', ['-c', '0', 'redis-benchmark', '-p', String(port), '-q', '-n', String(N), '-c', '16', '-t', 'set,get'], { timeout: 300_000 });
  const rps = Object.fromEntries([...r.stdout.matchAll(/^(SET|GET): ([\d.]+) requests per second/gm)].map((m) => [m[1].toLowerCase(), Math.round(Number(m[2]))]));
  const total = 2 * N;
  const cpu = Object.fromEntries(Object.entries(procs).map(([k, pids]) => [k, +(((pids.reduce((s, p) => s + cpuSeconds(p), 0) - cpu0[k]) * 1000) / total).toFixed(4)]));
  const rss = Object.fromEntries(Object.entries(procs).map(([k, pids]) => [k, +pids.reduce((s, p) => s + (rssMb(p) ?? 0), 0).toFixed(1)]));
  const anon = Object.fromEntries(Object.entries(procs).map(([k, pids]) => [k, +pids.reduce((s, p) => s + (anonMb(p) ?? 0), 0).toFixed(1)]));
  return { set_rps: rps.set ?? null, get_rps: rps.get ?? null, cpu_s_per_1k: cpu, rss_mb: rss, rss_anon_mb: anon };
}

export async function runTcp(ctx) {
  ensureRedis();
  const dir = path.join(ctx.dir, 'tcp');
  mkdirSync(dir, { recursive: true });
  const [redisPort, port, inPort] = [await freePort(), await freePort(), await freePort()];
  const redis = startPinned(0, 'redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  const rows = [];
  try {
    await waitPort(redisPort);
    const row = async (name, kind, start) => {
      const [c0, c1] = await Promise.all([noiseProbe(0), noiseProbe(1)]);
      console.log(`  ${name} ... (cores lost to others: ${c0?.lost_pct ?? '?'}% / ${c1?.lost_pct ?? '?'}%)`);
      let t;
      try {
        t = await start();
        // Warm-up: connections, TLS sessions, JIT.
        await run('redis-benchmark', ['-p', String(t.port), '-q', '-n', '20000', '-c', '16', '-t', 'set,get'], { timeout: 120_000 });
        rows.push({ name, kind, ...(await measure(t.port, t.procs)), noise: { core0: c0, core1: c1 } });
      } catch (e) {
        console.log(`  ${name} failed: ${e.message}`);
        rows.push({ name, kind, error: e.message });
      } finally {
        await t?.stop();
      }
    };
    await row('direct', 'direct', async () => ({ port: redisPort, procs: {}, stop: async () => {} }));
    await row('haproxy-tcp-mtls-hop', 'haproxy', async () => {
      const p = startHaproxy(1, haproxyTcpCfg(dir, { port, redisPort, inPort, certs: ctx.certs }));
      await waitPort(port);
      return { port, procs: { 'haproxy (both hops)': [p.pid] }, stop: p.stop };
    });
    await row('weft-tcp-mtls-hop', 'weft', async () => {
      const wdir = path.join(dir, 'weft');
      mkdirSync(wdir, { recursive: true });
      const mesh = await startWeft({ cli: ctx.cli, dir: wdir, yaml: weftTcpYaml(redisPort) });
      const client = mesh.rt.processes.find((p) => p.name === 'client-0/proxy');
      const server = mesh.rt.processes.find((p) => p.name === 'redis-0/proxy');
      const local = client?.ports?.upstreams?.['redis.default:6379'];
      if (!local) {
        await mesh.stop();
        throw new Error('the client sidecar has no local port for redis');
      }
      const procs = { client: [client.pid], server: [server.pid] };
      pinProxies(mesh.rt, Object.values(procs).flat());
      return { port: local, procs, stop: mesh.stop };
    });
  } finally {
    await redis.stop();
  }
  return { implemented: true, requests: N, rows };
}

const fmt = (v, d = 0) => (v === null || v === undefined ? '-' : Number(v).toFixed(d));
const sum = (o) => (o && Object.keys(o).length ? Object.values(o).reduce((a, b) => a + b, 0) : null);
const parts = (o, d) => (o && Object.keys(o).length ? Object.values(o).map((v) => fmt(v, d)).join(' + ') : '-');

export function printTcp(title, r) {
  const h = r.rows.find((x) => x.kind === 'haproxy' && !x.error);
  const ratio = (v, b) => (v === null || v === undefined || !b ? '-' : `${(v / b).toFixed(2)}x`);
  console.log(`\n### ${title}\n`);
  console.log('| row | SET rps | GET rps | vs haproxy (SET / GET) | CPU s / 1000 redis requests (per proxy) | CPU vs haproxy | RSS, MB | of which anonymous |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const x of r.rows) {
    if (x.error) { console.log(`| ${x.name} | failed: ${x.error.split('\n')[0].slice(0, 200)} |`); continue; }
    console.log(`| ${x.name} | ${fmt(x.set_rps)} | ${fmt(x.get_rps)} | ${ratio(x.set_rps, h?.set_rps)} / ${ratio(x.get_rps, h?.get_rps)} | ${parts(x.cpu_s_per_1k, 4)} | ${ratio(sum(x.cpu_s_per_1k), sum(h?.cpu_s_per_1k))} | ${parts(x.rss_mb, 0)} | ${parts(x.rss_anon_mb, 0)} |`);
  }
}
