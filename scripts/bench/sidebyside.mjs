// The side-by-side scenarios of `npm run bench` (issue 5): weft measured in the same run, on the same
// machine, with the same tools, as direct (the app itself: the limit) and the anchors of ../shared/bench
// (nginx and haproxy), so every figure is read as a ratio to haproxy taken minutes apart, not days.
//   1  one proxy, plain HTTP/1 (nginx/haproxy as one reverse proxy; weft: one sidecar's inbound listener)
//   2  one mTLS mesh hop, weft in its default configuration (metrics and access logs on)
//   3  1 KiB and 64 KiB request and response bodies through the mesh hop: max rps and MB/s
//   4  gRPC unary through the mTLS mesh hop, HTTP/2 end to end: a @grpc/grpc-js load (scripts/bench/grpc.mjs)
//   5  opaque TCP through the mTLS hop: redis-benchmark against redis-server (scripts/bench/tcp.mjs)
// Cores: the load (wrk, loadgen.mjs), the app, this driver and weft's runtime and control plane run on
// core 0; the proxies (weft's, nginx's, haproxy's) alone on core 1.
// Figures per row: max rps (wrk, 16 connections); latency p50/p90/p99/p99.9 at a fixed 1000 rps
// (loadgen.mjs: open loop, µs, corrected for coordinated omission); CPU seconds per 1000 requests per
// proxy (/proc/<pid>/stat over the fixed-rate run); RSS per proxy idle and at 1000 rps (VmRSS).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BODIES, ensureTools, startHaproxy, startNginx, startPinned, writeAppConf, writeHaproxyCfg, writeNginxConf } from './anchors.mjs';
import { fixedRate, maxRps, noiseProbe, processTree, rssOf, waitOk, wrkScript } from './measure.mjs';
import { freePort, gatewayYaml, pinProxies, startWeft } from './mesh.mjs';
import { runTcp, printTcp } from './tcp.mjs';
import { runGrpc, printGrpc } from './grpc.mjs';

const D = Number(process.env.BENCH_SECONDS ?? 8);
const RATE = 1000;

// ---- the weft meshes ----

/** The app as a Workload: the upstream nginx on `appPort`; the process weft runs for it is a placeholder. */
const appWorkload = (appPort) => `apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: { name: app, labels: { app: app } }
spec:
  # The app is the bench's nginx on ${appPort}; this placeholder process only stands for it.
  command: sleep
  args: ["86400"]
  port: ${appPort}
  readinessProbe: { httpGet: { path: / } }
---
apiVersion: v1
kind: Service
metadata: { name: app }
spec: { selector: { app: app }, ports: [{ port: 80 }] }
`;

/** Scenarios 2 and 3: gateway (client side) -> mTLS -> the app's sidecar (server side) -> app. Defaults only. */
const hopYaml = ({ appPort, hopPort }) => `apiVersion: weft.dev/v1alpha1
kind: Mesh
metadata: { name: meshhop }
---
${appWorkload(appPort)}---
${gatewayYaml({ name: 'hop', port: hopPort, service: 'app' })}`;

/**
 * Scenario 1: no gateway; the load reaches the app's sidecar inbound listener directly in plaintext, which
 * a mesh-wide PERMISSIVE PeerAuthentication allows (a new mesh is STRICT: docs/security.md). One weft
 * proxy with its default layers (metrics, access log, tracing decision, authz) between load and app.
 */
const plainYaml = ({ appPort }) => `apiVersion: weft.dev/v1alpha1
kind: Mesh
metadata: { name: plain }
---
${appWorkload(appPort)}---
apiVersion: weft.dev/v1alpha1
kind: PeerAuthentication
metadata: { name: bench-plaintext, namespace: weft-system }
spec: { mtls: { mode: PERMISSIVE } }
`;

// ---- the rows: each starts its proxies, says where to send load and which pids to watch ----

const direct = (ctx) => ({ name: 'direct', kind: 'direct', start: async () => ({ url: `http://127.0.0.1:${ctx.appPort}`, procs: {}, stop: async () => {} }) });

function nginxRow(ctx, hop) {
  return {
    name: hop ? 'nginx-mtls-hop' : 'nginx', kind: 'nginx',
    start: async () => {
      const conf = writeNginxConf(ctx.dir, { port: ctx.hopPort, appPort: ctx.appPort, hop, inPort: ctx.inPort, certs: ctx.certs });
      const p = startNginx(1, conf, ctx.dir);
      try { await waitOk(`http://127.0.0.1:${ctx.hopPort}/`); } catch (e) { await p.stop(); throw new Error(`nginx: ${e.message} ${p.stderr()}`); }
      // One process does both hops of the mesh hop; master and worker count as one proxy.
      return { url: `http://127.0.0.1:${ctx.hopPort}`, procs: { [hop ? 'nginx (both hops)' : 'nginx']: processTree(p.pid) }, stop: p.stop };
    },
  };
}

function haproxyRow(ctx, hop) {
  return {
    name: hop ? 'haproxy-mtls-hop' : 'haproxy', kind: 'haproxy',
    start: async () => {
      const cfg = writeHaproxyCfg(ctx.dir, { port: ctx.hopPort, appPort: ctx.appPort, hop, inPort: ctx.inPort, certs: ctx.certs });
      const p = startHaproxy(1, cfg);
      try { await waitOk(`http://127.0.0.1:${ctx.hopPort}/`); } catch (e) { await p.stop(); throw new Error(`haproxy: ${e.message} ${p.stderr()}`); }
      return { url: `http://127.0.0.1:${ctx.hopPort}`, procs: { [hop ? 'haproxy (both hops)' : 'haproxy']: [p.pid] }, stop: p.stop };
    },
  };
}

/** The naive Node pair (naive-node.mjs): both processes on the proxies' core, as nginx's and haproxy's. */
function naiveNodeRow(ctx) {
  return {
    name: 'naive-node-mtls-hop', kind: 'naive-node',
    start: async () => {
      const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'naive-node.mjs');
      const inbound = startPinned(1, process.execPath, [script, 'in', String(ctx.inPort), String(ctx.appPort), ctx.certs]);
      const outbound = startPinned(1, process.execPath, [script, 'out', String(ctx.hopPort), String(ctx.inPort), ctx.certs]);
      const stop = async () => { await outbound.stop(); await inbound.stop(); };
      try { await waitOk(`http://127.0.0.1:${ctx.hopPort}/`); } catch (e) { await stop(); throw new Error(`naive node: ${e.message} ${outbound.stderr()} ${inbound.stderr()}`); }
      return { url: `http://127.0.0.1:${ctx.hopPort}`, procs: { out: [outbound.pid], in: [inbound.pid] }, stop };
    },
  };
}

function weftRow(ctx, hop) {
  return {
    name: hop ? 'weft-mtls-hop' : 'weft (sidecar inbound)', kind: 'weft',
    start: async () => {
      const dir = path.join(ctx.dir, hop ? 'weft-hop' : 'weft-plain');
      mkdirSync(dir, { recursive: true });
      const mesh = await startWeft({ cli: ctx.cli, dir, yaml: hop ? hopYaml(ctx) : plainYaml(ctx) });
      try {
        const sidecar = mesh.rt.processes.find((p) => p.name === 'app-0/proxy');
        const procs = hop ? { gateway: [mesh.pid('gateway-hop')], sidecar: [sidecar.pid] } : { sidecar: [sidecar.pid] };
        pinProxies(mesh.rt, Object.values(procs).flat());
        // Scenario 1 goes to the sidecar's inbound port, which weft picks and writes to .weft/runtime.json.
        const port = hop ? ctx.hopPort : sidecar.ports.inbound;
        await waitOk(`http://127.0.0.1:${port}/`);
        return { url: `http://127.0.0.1:${port}`, procs, stop: mesh.stop };
      } catch (e) {
        await mesh.stop();
        throw e;
      }
    },
  };
}

// ---- measuring ----

/** Scenarios 1 and 2: idle RSS, then latency/CPU/RSS at 1000 rps, then max rps (after the JIT is warm). */
async function latencyAndMax(ctx, row) {
  const t = await row.start();
  try {
    const rssIdle = rssOf(t.procs);
    const fixed = await fixedRate(`${t.url}/`, { rate: RATE, seconds: D, procs: t.procs });
    const max = await maxRps(`${t.url}/`, { seconds: D, script: ctx.scripts.get });
    const { cpu_s_per_1k, rss_load_mb, rss_anon_load_mb, ...lat } = fixed;
    return { name: row.name, kind: row.kind, max_rps: Math.round(max.rps), max_non2xx: max.non2xx, max_errors: max.errors, fixed: lat, cpu_s_per_1k, rss_idle_mb: rssIdle, rss_load_mb, rss_anon_load_mb };
  } finally {
    await t.stop();
  }
}

const CASES = [
  ...Object.entries(BODIES).map(([k, size]) => ({ name: `POST ${k} request body`, method: 'POST', path: '/', body: size, bytes: size })),
  ...Object.entries(BODIES).map(([k, size]) => ({ name: `GET ${k} response body`, method: 'GET', path: `/${k}`, body: 0, bytes: size })),
];

/** Scenario 3: max rps and payload MB/s (10^6 bytes of body per second) for each body case. */
async function bodies(ctx, row) {
  const t = await row.start();
  try {
    // Warm-up (connections, TLS sessions, JIT), not recorded.
    await maxRps(`${t.url}/`, { seconds: Math.min(2, D), script: ctx.scripts.get });
    const cases = {};
    for (const c of CASES) {
      const m = await maxRps(`${t.url}${c.path}`, { seconds: D, script: wrkScript(ctx.dir, c) });
      cases[c.name] = { rps: Math.round(m.rps), mb_s: +((m.rps * c.bytes) / 1e6).toFixed(1), non2xx: m.non2xx, errors: m.errors };
    }
    return { name: row.name, kind: row.kind, cases };
  } finally {
    await t.stop();
  }
}

// ---- printing: markdown, ratios to haproxy ----

const fmt = (v, d = 0) => (v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(d));
const ratio = (v, h) => (v === null || v === undefined || !h ? '-' : `${(v / h).toFixed(2)}x`);
const sum = (o) => (o && Object.keys(o).length ? Object.values(o).reduce((a, b) => a + b, 0) : null);
/** The noise probe before a row, core 0 / core 1: "3% / 12%". */
const noise = (r) => `${fmt(r.noise?.core0?.lost_pct)}% / ${fmt(r.noise?.core1?.lost_pct)}%`;
/** "0.131 + 0.129" for two proxies, "0.052" for one, "-" for none. */
const parts = (o, d) => (o && Object.keys(o).length ? Object.values(o).map((v) => fmt(v, d)).join(' + ') : '-');

function printLatencyTable(title, rows) {
  const h = rows.find((r) => r.kind === 'haproxy' && !r.error);
  console.log(`\n### ${title}\n`);
  console.log('| row | max rps | vs haproxy | p50 @1000 rps | p90 | p99 | p99.9 | p99 vs haproxy | CPU s / 1000 req (per proxy) | CPU vs haproxy | RSS idle, MB | RSS @1000 rps, MB | of which anonymous | cores lost to others |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    if (r.error) { console.log(`| ${r.name} | failed: ${r.error.split('\n')[0].slice(0, 200)} |`); continue; }
    const f = r.fixed;
    console.log(`| ${r.name} | ${r.max_rps} | ${ratio(r.max_rps, h?.max_rps)} | ${fmt(f.p50_ms, 3)} ms | ${fmt(f.p90_ms, 3)} ms | ${fmt(f.p99_ms, 2)} ms | ${fmt(f.p999_ms, 2)} ms | ${ratio(f.p99_ms, h?.fixed.p99_ms)} | ${parts(r.cpu_s_per_1k, 3)} | ${ratio(sum(r.cpu_s_per_1k), sum(h?.cpu_s_per_1k))} | ${parts(r.rss_idle_mb, 0)} | ${parts(r.rss_load_mb, 0)} | ${parts(r.rss_anon_load_mb, 0)} | ${noise(r)} |`);
  }
  const noisy = rows.filter((r) => !r.error).filter((r) => r.fixed.timer_lag_p99_ms > 0.2 || r.fixed.achieved_rps < RATE * 0.99 || r.fixed.non2xx || r.max_non2xx || Object.values(r.fixed.errors).some(Boolean));
  for (const r of noisy) console.log(`note ${r.name}: achieved ${r.fixed.achieved_rps} rps, generator lag p99 ${r.fixed.timer_lag_p99_ms} ms, non-2xx ${r.fixed.non2xx}/${r.max_non2xx}, errors ${JSON.stringify(r.fixed.errors)} ${JSON.stringify(r.max_errors)}`);
}

function printBodiesTable(title, rows) {
  const h = rows.find((r) => r.kind === 'haproxy' && !r.error);
  console.log(`\n### ${title}\n`);
  console.log('| body | row | max rps | vs haproxy | MB/s (body bytes) | cores lost to others |');
  console.log('|---|---|---|---|---|---|');
  for (const c of CASES) for (const r of rows) {
    if (r.error) { console.log(`| ${c.name} | ${r.name} | failed: ${r.error.split('\n')[0].slice(0, 200)} |`); continue; }
    const x = r.cases[c.name];
    console.log(`| ${c.name} | ${r.name} | ${x.rps} | ${ratio(x.rps, h?.cases[c.name].rps)} | ${fmt(x.mb_s, 1)} | ${noise(r)} |`);
  }
  for (const r of rows.filter((x) => !x.error)) for (const [n, x] of Object.entries(r.cases)) if (x.non2xx || (x.errors && Object.values(x.errors).some(Boolean))) console.log(`note ${r.name} ${n}: non-2xx ${x.non2xx}, errors ${JSON.stringify(x.errors)}`);
}

// ---- the scenarios ----

export const SCENARIOS = [
  { id: 1, title: 'Scenario 1: one proxy, plain HTTP/1', rows: (ctx) => [direct(ctx), nginxRow(ctx, false), haproxyRow(ctx, false), weftRow(ctx, false)], measure: latencyAndMax, print: printLatencyTable },
  { id: 2, title: 'Scenario 2: one mTLS mesh hop (weft default configuration: metrics and access logs on)', rows: (ctx) => (ctx.quick ? [haproxyRow(ctx, true), weftRow(ctx, true)] : [direct(ctx), nginxRow(ctx, true), haproxyRow(ctx, true), naiveNodeRow(ctx), weftRow(ctx, true)]), measure: latencyAndMax, print: printLatencyTable },
  { id: 3, title: 'Scenario 3: 1 KiB and 64 KiB bodies through the mTLS mesh hop', rows: (ctx) => [direct(ctx), nginxRow(ctx, true), haproxyRow(ctx, true), naiveNodeRow(ctx), weftRow(ctx, true)], measure: bodies, print: printBodiesTable },
  { id: 4, title: 'Scenario 4: gRPC unary through an mTLS mesh hop (HTTP/2 end to end)', run: runGrpc, print: printGrpc },
  { id: 5, title: 'Scenario 5: opaque TCP (redis-benchmark against redis-server) through an mTLS mesh hop', run: runTcp, print: printTcp },
];

/**
 * Runs the chosen scenarios (ids) and returns their results by id. The app, ports and temp dir are
 * shared by all of them; every process started is stopped before this returns, errors included.
 */
export async function runSideBySide({ root, cli, ids, quick = false }) {
  const shared = path.resolve(root, '..', 'shared', 'bench');
  if (!existsSync(path.join(shared, 'certs', 'ca.crt'))) throw new Error(`the anchors' certificates are missing: ${shared}/certs`);
  ensureTools();
  // This driver, and so everything it starts unless told otherwise, on core 0 with the load.
  if (os.cpus().length >= 2) execFileSync('taskset', ['-a', '-pc', '0', String(process.pid)], { stdio: 'ignore' });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-bench-sbs-'));
  const [appPort, hopPort, inPort] = [await freePort(), await freePort(), await freePort()];
  const ctx = { cli, dir, quick, appPort, hopPort, inPort, certs: path.join(shared, 'certs'), scripts: { get: wrkScript(dir) } };
  const app = startNginx(0, writeAppConf(dir, appPort), dir);
  const results = {};
  try {
    await waitOk(`http://127.0.0.1:${appPort}/`).catch((e) => { throw new Error(`the upstream app (nginx): ${e.message} ${app.stderr()}`); });
    for (const s of SCENARIOS.filter((x) => ids.includes(x.id))) {
      const started = new Date().toISOString();
      console.log(`\n${s.title} (${D} s per figure)`);
      if (s.run) {
        const r = await s.run(ctx);
        results[s.id] = { id: s.id, title: s.title, date: started, ...r };
        s.print(s.title, r);
        continue;
      }
      const rows = [];
      for (const row of s.rows(ctx)) {
        // Before each row, with nothing of the bench running but the idle app: how much of each core this
        // machine is giving away right now (see noiseProbe).
        const [c0, c1] = await Promise.all([noiseProbe(0), noiseProbe(1)]);
        const busy = Math.max(c0?.lost_pct ?? 0, c1?.lost_pct ?? 0) > 10 ? ': a busy machine, figures unreliable' : '';
        console.log(`  ${row.name} ... (cores lost to others: ${c0?.lost_pct ?? '?'}% / ${c1?.lost_pct ?? '?'}%${busy})`);
        // A row that fails (a proxy that does not start, a tool that dies) is recorded as such and the
        // others still run: a benchmark reports what it could measure.
        try {
          rows.push({ ...(await s.measure(ctx, row)), noise: { core0: c0, core1: c1 } });
        } catch (e) {
          console.log(`  ${row.name} failed: ${e.message}`);
          rows.push({ name: row.name, kind: row.kind, error: e.message, noise: { core0: c0, core1: c1 } });
        }
      }
      results[s.id] = { id: s.id, title: s.title, date: started, implemented: true, seconds: D, rate: RATE, quick: s.id === 2 && quick, rows };
      s.print(s.title, rows);
    }
  } finally {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

/** The one-line summary of scenario 2 that `--quick` ends with. */
export function meshhopSummary(s2) {
  const ok = (kind) => s2.rows.find((r) => r.kind === kind && !r.error);
  const w = ok('weft'), h = ok('haproxy');
  const max = (o) => (o ? Math.max(...Object.values(o)) : null);
  const round = (v, d) => (v === null || v === undefined ? null : +v.toFixed(d));
  return {
    meshhop: {
      weft_rps: w?.max_rps ?? null, haproxy_rps: h?.max_rps ?? null,
      weft_p99_ms: round(w?.fixed.p99_ms, 2), haproxy_p99_ms: round(h?.fixed.p99_ms, 2),
      // The larger of the two weft proxies (gateway, sidecar): RSS under 1000 rps, CPU s per 1000 requests.
      weft_rss_mb: w ? Math.round(max(w.rss_load_mb)) : null,
      // What each extra sidecar costs a host: its private (anonymous) memory; code pages are shared.
      weft_private_mb: w ? Math.round(max(w.rss_anon_load_mb)) : null,
      weft_vcpu_per_1k: round(max(w?.cpu_s_per_1k), 3),
    },
  };
}
