#!/usr/bin/env node
// `npm run bench -- --profile`: where a proxy's CPU goes, from a V8 CPU profile of the gateway proxy while it
// serves a constant 1000 req/s with observability on (metrics + access log + 1% traces exported). Prints the
// share of busy CPU spent in each observability sink's own code: a finer figure than off/on CPU deltas,
// which on a 2-core machine are noisier than the effect they measure.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { echoMeshYaml, freePort, startWeft } from './mesh.mjs';

const OWN = [
  ['access log', /\/observe\/accesslog\//],
  ['metrics', /\/observe\/metrics\//],
  ['tracing', /\/layers\/trace\//],
  ['observe (records)', /\/proxy\/observe\/[^/]+$/],
];

/** Self time per function, grouped by the file patterns above; idle and GC reported apart. */
export function analyze(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  let busy = 0;
  const groups = new Map(OWN.map(([g]) => [g, 0]));
  let logWrites = 0;
  for (const [id, t] of self) {
    const cf = byId.get(id).callFrame;
    if (cf.functionName === '(idle)' || cf.functionName === '(program)') continue;
    busy += t;
    for (const [g, re] of OWN) if (re.test(cf.url)) groups.set(g, groups.get(g) + t);
    // Encoding access-log lines into the batch buffer is native code called from the access log.
    if (cf.functionName === 'writeUtf8String' || cf.functionName === 'utf8Write') logWrites += t;
  }
  groups.set('access log', groups.get('access log') + logWrites);
  return { busyMs: busy / 1000, groups: [...groups].map(([g, t]) => ({ group: g, ms: t / 1000, pct: (t / busy) * 100 })) };
}

export async function runProfile({ cli, echo, seconds = 10 }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-profile-'));
  const profDir = path.join(dir, 'prof');
  const gw = await freePort();
  const sink = http.createServer((q, s) => { q.resume(); q.on('end', () => s.end()); });
  await new Promise((r) => sink.listen(0, '127.0.0.1', r));
  const tracing = `---
apiVersion: weft.dev/v1alpha1
kind: Telemetry
metadata: { name: default, namespace: weft-system }
spec: { tracing: [{ randomSamplingPercentage: 1, provider: { otlpHttp: { endpoint: "http://127.0.0.1:${sink.address().port}/v1/traces" } } }] }
`;
  // Forked control plane and proxies inherit --cpu-prof from `weft up`'s own exec arguments.
  const mesh = await startWeft({ cli, dir, yaml: echoMeshYaml({ name: 'profile', echo, gwPort: gw, extra: tracing }), execArgv: ['--cpu-prof', `--cpu-prof-dir=${profDir}`] });
  try {
    const gwPid = mesh.pid('gateway-edge');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const get = () => new Promise((res) => http.get({ host: '127.0.0.1', port: gw, path: '/profile', agent }, (r) => { r.resume(); r.on('end', res); }).on('error', res));
    const t0 = Date.now();
    let sent = 0;
    const inflight = new Set();
    while (Date.now() - t0 < seconds * 1000) {
      const due = Date.now() - t0;
      while (sent < due) { sent++; const p = get().finally(() => inflight.delete(p)); inflight.add(p); }
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(inflight);
    agent.destroy();
    await mesh.stop();
    const file = readdirSync(profDir).find((f) => f.includes(`.${gwPid}.`));
    const a = analyze(JSON.parse(readFileSync(path.join(profDir, file), 'utf8')));
    console.log(`\ngateway proxy, ${sent} requests at 1000 req/s, ${a.busyMs.toFixed(0)} ms busy CPU (startup included):`);
    console.log('| observability code | CPU ms | share of busy CPU |\n|---|---|---|');
    let total = 0;
    for (const g of a.groups) { total += g.pct; console.log(`| ${g.group} | ${g.ms.toFixed(1)} | ${g.pct.toFixed(1)}% |`); }
    console.log(`| all | | ${total.toFixed(1)}% |`);
    return { profile: { requests: sent, busy_ms: Math.round(a.busyMs), observability_pct: +total.toFixed(1), ...Object.fromEntries(a.groups.map((g) => [g.group.split(' ')[0], +g.pct.toFixed(1)])) } };
  } finally {
    await mesh.stop();
    sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
