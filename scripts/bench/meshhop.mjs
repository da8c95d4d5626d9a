// Scenario 2 of `npm run bench`: one mTLS mesh hop (client-side proxy -> mTLS -> server-side proxy -> app)
// measured side by side with the haproxy anchor from ../shared/bench, in the same run, same tools:
// max rps (wrk, 16 connections) and latency at a fixed 1000 rps (hey), load on core 0, proxies on core 1.
// weft runs as a real local mesh: its ingress gateway is the client-side proxy, the app's sidecar the other.
import { spawn, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pinProxies, startWeft } from './mesh.mjs';

const D = Number(process.env.BENCH_SECONDS ?? 8);
const APP = 18080, HOP = 18081, IN = 18443; // the anchors' fixed ports (../shared/bench/meshhop.sh)

export function ensureTools() {
  const missing = ['wrk', 'hey', 'nginx', 'haproxy'].filter((t) => spawnSync('which', [t]).status !== 0);
  if (missing.length === 0) return;
  console.log(`installing nginx-light haproxy wrk hey from Debian (missing: ${missing.join(' ')})`);
  execFileSync('bash', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light haproxy wrk hey'], { stdio: 'inherit' });
}

const waitPort = async (port, ms = 30000) => {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((r) => { const s = net.connect(port, '127.0.0.1'); s.once('connect', () => { s.destroy(); r(true); }); s.once('error', () => r(false)); });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listening on ${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
};
const sh = (cmd, args) => spawnSync(cmd, args, { encoding: 'utf8' }).stdout + spawnSync('true').stdout;
const rssMb = (pid) => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024);
const cpuS = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) / 100; };

function maxRps(shared) {
  const out = sh('taskset', ['-c', '0', 'wrk', '-t1', '-c16', `-d${D}s`, '--latency', '-s', path.join(shared, 'non2xx.lua'), `http://127.0.0.1:${HOP}/`]);
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0), errors: /errors:.*/.exec(out)?.[0] ?? '' };
}

function fixed() {
  const out = sh('taskset', ['-c', '0', 'hey', '-z', `${D}s`, '-c', '4', '-q', '250', `http://127.0.0.1:${HOP}/`]);
  const p = (q) => Number(new RegExp(`\\s${q}% in ([\\d.]+) secs`).exec(out)?.[1] ?? NaN) * 1000;
  const non200 = [...out.matchAll(/\[(\d+)\]\s+(\d+) responses/g)].filter((m) => m[1] !== '200').reduce((n, m) => n + Number(m[2]), 0);
  return { p50: p(50), p90: p(90), p99: p(99), non200 };
}

export async function runMeshhop({ cli }) {
  const shared = path.resolve(path.dirname(cli), '..', '..', '..', '..', 'shared', 'bench');
  if (!existsSync(shared)) throw new Error(`the anchors are missing: ${shared}`);
  ensureTools();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-meshhop-'));
  const K = path.join(shared, 'certs');
  const rows = [];
  // The app: the anchors' upstream nginx.
  writeFileSync(path.join(dir, 'up.conf'), readFileSync(path.join(shared, 'nginx-upstream.conf'), 'utf8').replaceAll('/tmp/anchor-nginx-up', path.join(dir, 'up')));
  execFileSync('nginx', ['-c', path.join(dir, 'up.conf'), '-p', `${dir}/`]);
  try {
    await waitPort(APP);
    // haproxy as the same mTLS mesh hop (config as in ../shared/bench/meshhop.sh).
    writeFileSync(path.join(dir, 'haproxy.cfg'), `global\n  nbthread 1\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n  option http-keep-alive
frontend out\n  bind 127.0.0.1:${HOP}\n  default_backend toinbound\nbackend toinbound\n  http-reuse always\n  server in1 127.0.0.1:${IN} ssl crt ${K}/client.pem ca-file ${K}/ca.crt verify required sni str(server) verifyhost server
frontend in\n  bind 127.0.0.1:${IN} ssl crt ${K}/server.pem ca-file ${K}/ca.crt verify required\n  default_backend app\nbackend app\n  http-reuse always\n  server a1 127.0.0.1:${APP}\n`);
    const hap = spawn('taskset', ['-c', '1', 'haproxy', '-f', path.join(dir, 'haproxy.cfg')], { stdio: 'ignore' });
    await waitPort(HOP);
    rows.push({ name: 'haproxy-mtls-hop', ...maxRps(shared), ...fixed() });
    hap.kill('SIGTERM');
    await new Promise((r) => hap.once('exit', r));

    // weft: gateway (client side) -> mTLS -> app sidecar (server side) -> app on 18080.
    const yaml = `apiVersion: weft.dev/v1alpha1
kind: Mesh
metadata: { name: meshhop }
---
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: { name: app, labels: { app: app } }
spec:
  # The app is the anchors' nginx on ${APP}; this placeholder process only stands for it.
  command: sleep
  args: ["86400"]
  port: ${APP}
  readinessProbe: { httpGet: { path: / } }
---
apiVersion: v1
kind: Service
metadata: { name: app }
spec: { selector: { app: app }, ports: [{ port: 80 }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: hop }
spec: { listeners: [{ name: http, port: ${HOP}, protocol: HTTP }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: hop }
spec: { parentRefs: [{ name: hop }], rules: [{ backendRefs: [{ name: app, port: 80 }] }] }
`;
    const mesh = await startWeft({ cli, dir, yaml });
    try {
      const proxies = [mesh.pid('gateway-hop'), mesh.pid('app-0/proxy')];
      pinProxies(mesh.rt, proxies);
      const idle = proxies.map(rssMb);
      const max = maxRps(shared);
      const cpu0 = proxies.map(cpuS);
      const t0 = Date.now();
      const lat = fixed();
      const seconds = (Date.now() - t0) / 1000;
      const requests = 1000 * Math.min(seconds, D);
      const vcpuPer1k = proxies.map((p, i) => (cpuS(p) - cpu0[i]) / requests * 1000);
      const loaded = proxies.map(rssMb);
      rows.push({ name: 'weft-mtls-hop', ...max, ...lat, idleRssMb: Math.max(...idle), rssMb: Math.max(...loaded), vcpuPer1k: Math.max(...vcpuPer1k) });
    } finally {
      await mesh.stop();
    }
  } finally {
    try { process.kill(Number(readFileSync(path.join(dir, 'up.pid'), 'utf8')), 'SIGTERM'); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  }
  const h = rows.find((r) => r.name === 'haproxy-mtls-hop'), w = rows.find((r) => r.name === 'weft-mtls-hop');
  console.log('\n| mesh hop (mTLS) | max rps | vs haproxy | p50 @1000rps | p90 | p99 | vs haproxy | RSS idle / loaded | vCPU per 1000 rps |\n|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.name} | ${Math.round(r.rps)} | ${(r.rps / h.rps).toFixed(2)}x | ${r.p50.toFixed(1)} ms | ${r.p90.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${(r.p99 / h.p99).toFixed(2)}x | ${r.idleRssMb ? `${r.idleRssMb} / ${r.rssMb} MB` : '-'} | ${r.vcpuPer1k ? r.vcpuPer1k.toFixed(3) : '-'} |`);
  }
  return { meshhop: { weft_rps: Math.round(w.rps), haproxy_rps: Math.round(h.rps), weft_p99_ms: +w.p99.toFixed(2), haproxy_p99_ms: +h.p99.toFixed(2), weft_rss_mb: w.rssMb, weft_vcpu_per_1k: +w.vcpuPer1k.toFixed(3) } };
}
