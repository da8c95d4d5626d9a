// Scenario 4 of `npm run bench`: gRPC unary through one mTLS mesh hop, in the same run as direct (the gRPC
// server itself) and the anchors as the same two-proxy hop speaking HTTP/2 end to end: haproxy in `mode http`
// (`proto h2` on the plain bind and to the app, ALPN h2 on the mTLS hop) and nginx (`http2` listeners,
// `grpc_pass`). weft: the scenario 2 shape, its gateway (client side) -> mTLS -> the app's sidecar -> app.
// The app is a real @grpc/grpc-js server (test/fixtures/grpc-app.mjs) on core 0; the load is grpcload.mjs
// (a @grpc/grpc-js client, one channel) on core 0; the proxies alone on core 1.
// Figures per row: max calls/s with 16 in flight and the latency percentiles of that run; latency with one
// call in flight; CPU seconds per 1000 calls per proxy (over the max run); RSS per proxy idle and the peak
// during the max run. The gRPC client and server cost far more CPU per call than an HTTP/1 exchange, so
// with both on core 0 the direct row is bounded by core 0: compare proxies by CPU per call first.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHaproxy, startNginx, startPinned } from './anchors.mjs';
import { spawnGrpcload } from './grpcload.mjs';
import { anonMb, cpuSeconds, noiseProbe, processTree, rssMb, rssOf, waitPort } from './measure.mjs';
import { freePort, pinProxies, startWeft } from './mesh.mjs';

const D = Number(process.env.BENCH_SECONDS ?? 8);
const CONCURRENCY = 16;
const APP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'grpc-app.mjs');

/** haproxy as the gRPC mesh hop: the scenario 2 directives, HTTP/2 on every connection. */
function haproxyH2Cfg(dir, { port, appPort, inPort, certs: K }) {
  const file = path.join(dir, 'haproxy-h2.cfg');
  writeFileSync(file, `global\n  nbthread 1\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s
frontend out\n  bind 127.0.0.1:${port} proto h2\n  default_backend toinbound
backend toinbound\n  http-reuse always\n  server in1 127.0.0.1:${inPort} ssl crt ${K}/client.pem ca-file ${K}/ca.crt verify required sni str(server) verifyhost server alpn h2
frontend in\n  bind 127.0.0.1:${inPort} ssl crt ${K}/server.pem ca-file ${K}/ca.crt verify required alpn h2\n  default_backend app
backend app\n  http-reuse always\n  server a1 127.0.0.1:${appPort} proto h2\n`);
  return file;
}

/** nginx as the gRPC mesh hop: h2c in, grpc_pass over mTLS (h2) to its inbound server, grpc_pass to the app. */
function nginxGrpcConf(dir, { port, appPort, inPort, certs: K }) {
  const file = path.join(dir, 'nginx-grpc.conf');
  writeFileSync(file, `worker_processes 1; pid ${dir}/nginx-grpc.pid; error_log ${dir}/nginx-grpc.err;
events { worker_connections 4096; }
http { access_log off;
  upstream inbound { server 127.0.0.1:${inPort}; keepalive 64; keepalive_requests 1000000; }
  upstream app { server 127.0.0.1:${appPort}; keepalive 64; keepalive_requests 1000000; }
  server { listen 127.0.0.1:${port} http2; keepalive_requests 1000000;
    location / { grpc_pass grpcs://inbound;
      grpc_ssl_certificate ${K}/client.crt; grpc_ssl_certificate_key ${K}/client.key;
      grpc_ssl_trusted_certificate ${K}/ca.crt; grpc_ssl_verify on; grpc_ssl_name server; grpc_ssl_session_reuse on; } }
  server { listen 127.0.0.1:${inPort} ssl http2; keepalive_requests 1000000;
    ssl_certificate ${K}/server.crt; ssl_certificate_key ${K}/server.key; ssl_client_certificate ${K}/ca.crt; ssl_verify_client on;
    location / { grpc_pass grpc://app; } } }
`);
  return file;
}

/** weft: scenario 2's mesh hop with a gRPC port (appProtocol grpc) and a route for the Echo service. */
const weftGrpcYaml = ({ appPort, port }) => `apiVersion: weft.dev/v1alpha1
kind: Mesh
metadata: { name: grpchop }
---
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: { name: app, labels: { app: app } }
spec:
  # The app is the bench's gRPC server on ${appPort}; this placeholder process only stands for it. No
  # readiness path: the server speaks only HTTP/2, so the runtime's TCP check says it is up.
  command: sleep
  args: ["86400"]
  port: ${appPort}
---
apiVersion: v1
kind: Service
metadata: { name: app }
spec: { selector: { app: app }, ports: [{ name: grpc, port: 50051, appProtocol: grpc }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: hop }
spec: { listeners: [{ name: http, port: ${port}, protocol: HTTP }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: hop }
spec:
  parentRefs: [{ name: hop }]
  rules:
  - matches: [{ path: { type: PathPrefix, value: /weft.test.Echo/ } }]
    backendRefs: [{ name: app, port: 50051 }]
`;

/** The max run (16 in flight) with CPU and peak RSS of `procs` over it, then one call in flight. */
async function measure(target, procs) {
  // Warm-up, not recorded: the channel, the proxies' connections and TLS sessions, the JIT on every side.
  // It is also where a path that cannot carry gRPC at all is found: a row error, not figures.
  const warm = await spawnGrpcload({ target, concurrency: CONCURRENCY, seconds: Math.min(3, D), warmup: 0, ready: 20 }, 0).result;
  if (!warm.ok) throw new Error(warm.error ?? `no call answered OK: ${warm.first_error}`);
  const cpu0 = Object.fromEntries(Object.entries(procs).map(([n, pids]) => [n, pids.reduce((s, p) => s + cpuSeconds(p), 0)]));
  const peak = Object.fromEntries(Object.keys(procs).map((n) => [n, 0]));
  const peakAnon = Object.fromEntries(Object.keys(procs).map((n) => [n, 0]));
  const sample = () => {
    for (const [n, pids] of Object.entries(procs)) {
      peak[n] = Math.max(peak[n], pids.reduce((s, p) => s + (rssMb(p) ?? 0), 0));
      peakAnon[n] = Math.max(peakAnon[n], pids.reduce((s, p) => s + (anonMb(p) ?? 0), 0));
    }
  };
  const timer = setInterval(sample, 250);
  let max;
  try {
    max = await spawnGrpcload({ target, concurrency: CONCURRENCY, seconds: D, warmup: 0, ready: 5 }, 0).result;
  } finally {
    clearInterval(timer);
  }
  sample();
  if (!max.ok) throw new Error(max.error ?? `no call answered OK: ${max.first_error}`);
  const cpu = Object.fromEntries(Object.entries(procs).map(([n, pids]) => [n, +(((pids.reduce((s, p) => s + cpuSeconds(p), 0) - cpu0[n]) * 1000) / Math.max(1, max.requests)).toFixed(4)]));
  const one = await spawnGrpcload({ target, concurrency: 1, seconds: D, warmup: 1, ready: 5 }, 0).result;
  const ms = (us) => (us === null || us === undefined ? null : +(us / 1000).toFixed(3));
  return {
    max_rps: Math.round(max.rps), calls: max.requests, errors: max.errors, first_error: max.first_error,
    p50_ms: ms(max.latency_us.p50), p90_ms: ms(max.latency_us.p90), p99_ms: ms(max.latency_us.p99), p999_ms: ms(max.latency_us.p999),
    one_in_flight: one.ok ? { rps: Math.round(one.rps), p50_ms: ms(one.latency_us.p50), p99_ms: ms(one.latency_us.p99), errors: one.errors } : { error: one.error ?? one.first_error },
    cpu_s_per_1k: cpu,
    rss_load_mb: Object.fromEntries(Object.entries(peak).map(([n, v]) => [n, +v.toFixed(1)])),
    rss_anon_load_mb: Object.fromEntries(Object.entries(peakAnon).map(([n, v]) => [n, +v.toFixed(1)])),
  };
}

export async function runGrpc(ctx) {
  const dir = path.join(ctx.dir, 'grpc');
  mkdirSync(dir, { recursive: true });
  const [appPort, port, inPort] = [await freePort(), await freePort(), await freePort()];
  const app = startPinned(0, 'env', [`PORT=${appPort}`, 'WEFT_REPLICA=bench', process.execPath, APP]);
  const rows = [];
  try {
    await waitPort(appPort).catch((e) => { throw new Error(`the gRPC app: ${e.message} ${app.stderr()}`); });
    const row = async (name, kind, start) => {
      const [c0, c1] = await Promise.all([noiseProbe(0), noiseProbe(1)]);
      console.log(`  ${name} ... (cores lost to others: ${c0?.lost_pct ?? '?'}% / ${c1?.lost_pct ?? '?'}%)`);
      let t;
      // A row that fails (a proxy that does not start, a path that cannot carry gRPC) is recorded as such
      // and the others still run.
      try {
        t = await start();
        const rssIdle = rssOf(t.procs);
        rows.push({ name, kind, ...(await measure(t.target, t.procs)), rss_idle_mb: rssIdle, noise: { core0: c0, core1: c1 } });
      } catch (e) {
        console.log(`  ${name} failed: ${e.message}`);
        rows.push({ name, kind, error: e.message, noise: { core0: c0, core1: c1 } });
      } finally {
        await t?.stop();
      }
    };
    await row('direct', 'direct', async () => ({ target: `127.0.0.1:${appPort}`, procs: {}, stop: async () => {} }));
    await row('nginx-h2-mtls-hop', 'nginx', async () => {
      const p = startNginx(1, nginxGrpcConf(dir, { port, appPort, inPort, certs: ctx.certs }), dir);
      await waitPort(port).catch(async (e) => { await p.stop(); throw new Error(`nginx: ${e.message} ${p.stderr()}`); });
      return { target: `127.0.0.1:${port}`, procs: { 'nginx (both hops)': processTree(p.pid) }, stop: p.stop };
    });
    await row('haproxy-h2-mtls-hop', 'haproxy', async () => {
      const p = startHaproxy(1, haproxyH2Cfg(dir, { port, appPort, inPort, certs: ctx.certs }));
      await waitPort(port).catch(async (e) => { await p.stop(); throw new Error(`haproxy: ${e.message} ${p.stderr()}`); });
      return { target: `127.0.0.1:${port}`, procs: { 'haproxy (both hops)': [p.pid] }, stop: p.stop };
    });
    await row('weft-mtls-hop', 'weft', async () => {
      const wdir = path.join(dir, 'weft');
      mkdirSync(wdir, { recursive: true });
      const mesh = await startWeft({ cli: ctx.cli, dir: wdir, yaml: weftGrpcYaml({ appPort, port }) });
      try {
        const sidecar = mesh.rt.processes.find((p) => p.name === 'app-0/proxy');
        const procs = { gateway: [mesh.pid('gateway-hop')], sidecar: [sidecar.pid] };
        pinProxies(mesh.rt, Object.values(procs).flat());
        await waitPort(port);
        return { target: `127.0.0.1:${port}`, procs, stop: mesh.stop };
      } catch (e) {
        await mesh.stop();
        throw e;
      }
    });
  } finally {
    await app.stop();
  }
  return { implemented: true, seconds: D, concurrency: CONCURRENCY, rows };
}

const fmt = (v, d = 0) => (v === null || v === undefined || Number.isNaN(v) ? '-' : Number(v).toFixed(d));
const sum = (o) => (o && Object.keys(o).length ? Object.values(o).reduce((a, b) => a + b, 0) : null);
const parts = (o, d) => (o && Object.keys(o).length ? Object.values(o).map((v) => fmt(v, d)).join(' + ') : '-');
const ratio = (v, b) => (v === null || v === undefined || !b ? '-' : `${(v / b).toFixed(2)}x`);

export function printGrpc(title, r) {
  const h = r.rows.find((x) => x.kind === 'haproxy' && !x.error);
  console.log(`\n### ${title}\n`);
  console.log(`| row | max calls/s (${r.concurrency} in flight) | vs haproxy | p50 | p90 | p99 | p99.9 | p99 vs haproxy | one in flight: p50 / p99 | CPU s / 1000 calls (per proxy) | CPU vs haproxy | RSS idle, MB | RSS under load, MB | of which anonymous | cores lost to others |`);
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const x of r.rows) {
    const noise = `${fmt(x.noise?.core0?.lost_pct)}% / ${fmt(x.noise?.core1?.lost_pct)}%`;
    if (x.error) { console.log(`| ${x.name} | failed: ${x.error.split('\n')[0].slice(0, 200)} |`); continue; }
    const one = x.one_in_flight.error ? `failed: ${x.one_in_flight.error.slice(0, 80)}` : `${fmt(x.one_in_flight.p50_ms, 3)} / ${fmt(x.one_in_flight.p99_ms, 2)} ms`;
    console.log(`| ${x.name} | ${x.max_rps} | ${ratio(x.max_rps, h?.max_rps)} | ${fmt(x.p50_ms, 2)} ms | ${fmt(x.p90_ms, 2)} ms | ${fmt(x.p99_ms, 2)} ms | ${fmt(x.p999_ms, 2)} ms | ${ratio(x.p99_ms, h?.p99_ms)} | ${one} | ${parts(x.cpu_s_per_1k, 3)} | ${ratio(sum(x.cpu_s_per_1k), sum(h?.cpu_s_per_1k))} | ${parts(x.rss_idle_mb, 0)} | ${parts(x.rss_load_mb, 0)} | ${parts(x.rss_anon_load_mb, 0)} | ${noise} |`);
  }
  for (const x of r.rows.filter((y) => !y.error)) {
    if (Object.keys(x.errors).length) console.log(`note ${x.name}: calls that failed ${JSON.stringify(x.errors)}, the first: ${x.first_error}`);
  }
}
