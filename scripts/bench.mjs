#!/usr/bin/env node
// `npm run bench`: benchmarks, not tests. They print figures and ratios; nothing here passes or fails.
// In order:
// Scenario "observability": the CPU cost of metrics + access logs + 1% trace sampling, measured as proxy
// CPU time per request through a real gateway -> sidecar mTLS hop at a constant 1000 req/s, with
// Telemetry off and on, alternating (off-on, then on-off), five rounds; best, mean and median of the rounds
// and of per-round differences (BENCH_REQUESTS, BENCH_RATE, BENCH_ROUNDS).
// Scenarios 1-5 (scripts/bench/sidebyside.mjs): weft side by side with direct, nginx and haproxy in the same
// run: one plain proxy, the mTLS mesh hop, 1 KiB / 64 KiB bodies, gRPC unary and opaque TCP through the hop.
// Each figure lasts BENCH_SECONDS (default 8). docs/performance.md says what is measured and how.
// `npm run bench -- --quick` runs scenario 2 alone (haproxy and weft); its last line is one JSON object.
// `npm run bench -- --scenario 1,3` runs the chosen side-by-side scenarios only.
// `npm run bench -- --observability` runs the observability scenario alone; `--observability-paired` measures
// the same cost with both modes running at once in two meshes (scripts/bench/obs-paired.mjs).
// `npm run bench -- --startup`: `weft demo` from its start to the first 200 through the gateway, and the
// slowest of the first requests after it says ready (scripts/bench/startup.mjs; BENCH_ROUNDS runs, default 5).
// `npm run bench -- --profile`: the share of a proxy's CPU spent in observability code, from a CPU profile.
// Results are kept in bench/results/<date>-<commit>.json (runs of the same day and commit are merged).
import { runOnNode24 } from '../bin/node24.mjs';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { toolVersions } from './bench/anchors.mjs';
import { meshhopSummary, runSideBySide, SCENARIOS } from './bench/sidebyside.mjs';
import { runProfile } from './bench/profile.mjs';
import { runPaired } from './bench/obs-paired.mjs';
import { applyTelemetry, loadAtRate, startSpanSink, telemetryModes } from './bench/telemetry.mjs';
import { cpuSeconds } from './bench/measure.mjs';
import { echoMeshYaml, freePort, installStopOnSignals, pinProxies, startWeft } from './bench/mesh.mjs';

// As in scripts/test.mjs: every node below is process.execPath, so make that Node 24 first.
await runOnNode24('scripts/bench.mjs');

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', root], { stdio: 'inherit' });
const CLI = path.join(root, 'dist/src/cli/main.js');
const ECHO = path.join(root, 'test/fixtures/echo.mjs');
const N = Number(process.env.BENCH_REQUESTS ?? 10000);
const C = Number(process.env.BENCH_CONCURRENCY ?? 16);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const cpuMs = (pid) => cpuSeconds(pid) * 1000;

const agent = new http.Agent({ keepAlive: true, maxSockets: C });
const get = (port, p) => new Promise((resolve, reject) => {
  http.get({ host: '127.0.0.1', port, path: p, agent }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); }).on('error', reject);
});

async function load(port, n) {
  let next = 0, failed = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: C }, async () => { while (next < n) { next++; if ((await get(port, '/bench')) !== 200) failed++; } }));
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, failed };
}

async function run() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-bench-'));
  const gw = await freePort();
  const sink = await startSpanSink();
  const mesh = await startWeft({ cli: CLI, dir, yaml: echoMeshYaml({ name: 'bench', echo: ECHO, gwPort: gw }) });
  try {
    const pids = { gateway: mesh.pid('gateway-edge'), sidecar: mesh.pid('api-0/proxy') };
    pinProxies(mesh.rt, [pids.gateway, pids.sidecar]);
    const modes = telemetryModes(sink.url);
    const results = {};
    await load(gw, 2000); // warm-up: connections, TLS sessions, JIT
    for (let round = 1; round <= ROUNDS; round++) {
      // Off then on in odd rounds, on then off in even ones, so neither mode always runs second.
      const order = Object.entries(modes);
      if (round % 2 === 0) order.reverse();
      for (const [mode, spec] of order) {
        await applyTelemetry({ cli: CLI, mesh, dir }, spec);
        // A config change rebuilds the proxies' layer stacks: enough requests for V8 to optimise them again.
        await load(gw, 3000);
        const before = { g: cpuMs(pids.gateway), s: cpuMs(pids.sidecar) };
        const r = await loadAtRate(agent, gw, N, RATE);
        const g = (cpuMs(pids.gateway) - before.g) * 1000 / N, s = (cpuMs(pids.sidecar) - before.s) * 1000 / N;
        (results[mode] ??= []).push({ gatewayUs: g, sidecarUs: s, rps: N / r.seconds, failed: r.failed });
        console.log(`round ${round} ${mode.padEnd(3)}: gateway ${g.toFixed(1)} us/req, sidecar ${s.toFixed(1)} us/req, ${Math.round(N / r.seconds)} rps, ${r.failed} failed`);
      }
    }
    const best = (m, k) => Math.min(...results[m].map((x) => x[k]));
    const mean = (m, k) => results[m].reduce((n, x) => n + x[k], 0) / results[m].length;
    const meanOverhead = (k) => ((mean('on', k) - mean('off', k)) / mean('off', k)) * 100;
    const median = (m, k) => { const v = results[m].map((x) => x[k]).sort((a, b) => a - b); return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2; };
    const medianOverhead = (k) => ((median('on', k) - median('off', k)) / median('off', k)) * 100;
    const overhead = (k) => ((best('on', k) - best('off', k)) / best('off', k)) * 100;
    // Each round runs off then on back to back, so a round's difference is the least disturbed by drift
    // (another process, a major GC) that spans rounds; the median of those differences is the headline.
    const paired = (k) => { const d = results.on.map((x, i) => (x[k] - results.off[i][k]) / results.off[i][k] * 100).sort((a, b) => a - b); return d.length % 2 ? d[(d.length - 1) / 2] : (d[d.length / 2 - 1] + d[d.length / 2]) / 2; };
    const summary = { observability: { requests: N, rate: RATE, gateway_us_off: +best('off', 'gatewayUs').toFixed(1), gateway_us_on: +best('on', 'gatewayUs').toFixed(1), sidecar_us_off: +best('off', 'sidecarUs').toFixed(1), sidecar_us_on: +best('on', 'sidecarUs').toFixed(1), gateway_overhead_pct: +overhead('gatewayUs').toFixed(1), sidecar_overhead_pct: +overhead('sidecarUs').toFixed(1), gateway_overhead_mean_pct: +meanOverhead('gatewayUs').toFixed(1), sidecar_overhead_mean_pct: +meanOverhead('sidecarUs').toFixed(1), gateway_overhead_median_pct: +medianOverhead('gatewayUs').toFixed(1), sidecar_overhead_median_pct: +medianOverhead('sidecarUs').toFixed(1), gateway_overhead_paired_median_pct: +paired('gatewayUs').toFixed(1), sidecar_overhead_paired_median_pct: +paired('sidecarUs').toFixed(1) } };
    console.log('\n| proxy | CPU/request, observability off | on (metrics + access log + 1% traces) | overhead |\n|---|---|---|---|');
    console.log(`| gateway | ${summary.observability.gateway_us_off} us | ${summary.observability.gateway_us_on} us | ${summary.observability.gateway_overhead_pct}% |`);
    console.log(`| sidecar (inbound) | ${summary.observability.sidecar_us_off} us | ${summary.observability.sidecar_us_on} us | ${summary.observability.sidecar_overhead_pct}% |`);
    console.log(`median of per-round differences: gateway ${summary.observability.gateway_overhead_paired_median_pct}%, sidecar ${summary.observability.sidecar_overhead_paired_median_pct}%`);
    const spread = (k) => results.on.map((x, i) => (x[k] - results.off[i][k]) / results.off[i][k] * 100).sort((a, b) => a - b).map((v) => v.toFixed(1)).join(' ');
    console.log(`per-round differences, sorted: gateway ${spread('gatewayUs')}; sidecar ${spread('sidecarUs')}`);
    console.log(`(mean of rounds: gateway ${summary.observability.gateway_overhead_mean_pct}%, sidecar ${summary.observability.sidecar_overhead_mean_pct}%; median: gateway ${summary.observability.gateway_overhead_median_pct}%, sidecar ${summary.observability.sidecar_overhead_median_pct}%)`);
    console.log(JSON.stringify(summary));
    return summary;
  } finally {
    await mesh.stop();
    sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- arguments ----
const argv = process.argv.slice(2);
const flag = (f) => argv.includes(f);
const scenarioArg = (() => {
  const i = argv.findIndex((a) => a === '--scenario' || a.startsWith('--scenario='));
  if (i < 0) return undefined;
  const v = argv[i].includes('=') ? argv[i].split('=')[1] : argv[i + 1];
  const ids = (v ?? '').split(',').map((x) => Number(x.trim()));
  const known = SCENARIOS.map((x) => x.id);
  if (ids.length === 0 || ids.some((x) => !known.includes(x))) {
    console.error(`--scenario takes a comma list of ${known.join(', ')} (got ${v ?? 'nothing'})`);
    process.exit(2);
  }
  return ids;
})();
installStopOnSignals();

if (flag('--startup')) {
  const { execFileSync: run } = await import('node:child_process');
  run(process.execPath, [path.join(root, 'scripts', 'bench', 'startup.mjs'), String(process.env.BENCH_ROUNDS ?? 5)], { stdio: 'inherit' });
  process.exit(0);
}
if (flag('--profile')) {
  console.log(JSON.stringify(await runProfile({ cli: CLI, echo: ECHO })));
  process.exit(0);
}
if (flag('--observability-paired')) {
  const paired = await runPaired({ cli: CLI, echo: ECHO, rounds: Number(process.env.BENCH_ROUNDS ?? 8) });
  const git = (...a) => { try { return execFileSync('git', a, { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(); } catch { return ''; } };
  const file = path.join(root, 'bench', 'results', `${new Date().toISOString().slice(0, 10)}-${git('rev-parse', '--short', 'HEAD') || 'nocommit'}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  const old = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  writeFileSync(file, JSON.stringify({ ...old, ...paired, observability_paired_date: new Date().toISOString() }, null, 2) + '\n');
  console.log(`\nresults written to ${path.relative(root, file)}`);
  const { rounds_detail: _detail, ...headline } = paired.observability_paired;
  console.log(JSON.stringify({ observability_paired: headline }));
  process.exit(0);
}
const quick = flag('--quick');
const ids = quick ? [2] : scenarioArg ?? (flag('--observability') ? [] : SCENARIOS.map((x) => x.id));
const observability = quick || scenarioArg ? undefined : await run();
agent.destroy();
const scenarios = ids.length ? await runSideBySide({ root, cli: CLI, ids, quick }) : {};

// ---- results: bench/results/<date>-<commit>.json ----
const git = (...a) => { try { return execFileSync('git', a, { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(); } catch { return ''; } };
const commit = git('rev-parse', '--short', 'HEAD') || 'nocommit';
const file = path.join(root, 'bench', 'results', `${new Date().toISOString().slice(0, 10)}-${commit}.json`);
mkdirSync(path.dirname(file), { recursive: true });
// Runs of the same day and commit add to one file: each scenario keeps its own date; a --quick run goes
// under "quick" so it never replaces a full scenario 2.
const old = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
const cpu = os.cpus()[0];
const summary = scenarios[2] ? meshhopSummary(scenarios[2]) : undefined;
const doc = {
  ...old,
  date: new Date().toISOString(),
  commit,
  dirty: git('status', '--porcelain', '--untracked-files=no') !== '',
  machine: { cpus: os.cpus().length, model: cpu?.model, mhz: cpu?.speed, memGb: Math.round(os.totalmem() / 2 ** 30), kernel: os.release(), node: process.version, loadavg: os.loadavg(), ...toolVersions() },
  ...(observability ?? {}),
  ...(quick ? { quick: { date: new Date().toISOString(), ...summary, scenario2: scenarios[2] } } : { scenarios: { ...(old.scenarios ?? {}), ...scenarios }, ...(summary ?? {}) }),
};
writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
console.log(`\nresults written to ${path.relative(root, file)}`);
// Last line: one JSON object, for scripts and the issue notes.
console.log(JSON.stringify(summary ?? { scenarios: ids, observability: observability?.observability ?? null, results: path.relative(root, file) }));
process.exit(0);
