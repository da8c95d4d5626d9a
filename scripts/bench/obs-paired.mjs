// `npm run bench -- --observability-paired`: the cost of metrics + access logs + 1% traces measured with
// both modes running AT THE SAME TIME. Two identical local meshes (gateway -> mTLS -> sidecar -> echo app)
// take the same constant load side by side, all four proxies on core 1; one mesh has telemetry on, the
// other off, and the roles swap every round. Anything that drifts during a round (another tenant of the
// VM, the host's frequency) hits both modes alike, which the sequential method (off, then on, seconds
// apart) cannot promise; swapping cancels any difference between the two meshes themselves.
// Per round and proxy role (gateway, sidecar): (CPU per request of the mesh with telemetry on) /
// (CPU per request of the mesh with it off) - 1. The headline is the median over rounds.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { echoMeshYaml, freePort, pinProxies, startWeft } from './mesh.mjs';

const cpuMs = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
const until = async (what, fn, ms = 60000) => { const end = Date.now() + ms; for (;;) { const v = await fn().catch(() => undefined); if (v) return v; if (Date.now() > end) throw new Error(`timed out waiting for ${what}`); await new Promise((r) => setTimeout(r, 100)); } };
const median = (v) => { const s = [...v].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

/** `n` GETs at `rate` per second (open loop, 1 ms ticks) through `agent`; resolves with the failures. */
async function loadAtRate(agent, port, n, rate) {
  let failed = 0, sent = 0;
  const t0 = Date.now();
  const inflight = new Set();
  const get = () => new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port, path: '/bench', agent }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode === 200)); }).on('error', () => resolve(false));
  });
  while (sent < n) {
    const due = Math.min(n, Math.floor(((Date.now() - t0) / 1000) * rate));
    while (sent < due) {
      sent++;
      const p = get().then((ok) => { if (!ok) failed++; }).finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inflight);
  return failed;
}

export async function runPaired({ cli, echo, rounds = 8, requests = 6000, rate = 500 }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-obs-paired-'));
  // A span sink that accepts OTLP and discards it, so tracing on means real export work.
  const sink = http.createServer((req, res) => { req.resume(); req.on('end', () => res.end()); });
  await new Promise((r) => sink.listen(0, '127.0.0.1', r));
  const otlp = `http://127.0.0.1:${sink.address().port}/v1/traces`;
  const modes = {
    off: '{ accessLogging: [{ disabled: true }], metrics: [{ disabled: true }], tracing: [{ randomSamplingPercentage: 0 }] }',
    on: `{ accessLogging: [{ disabled: false }], metrics: [{ disabled: false }], tracing: [{ randomSamplingPercentage: 1, provider: { otlpHttp: { endpoint: "${otlp}" } } }] }`,
  };
  const meshes = [];
  try {
    for (const name of ['a', 'b']) {
      const d = path.join(dir, name);
      mkdirSync(d);
      const port = await freePort();
      const m = await startWeft({ cli, dir: d, yaml: echoMeshYaml({ name: `obs-${name}`, echo, gwPort: port }) });
      meshes.push({ name, dir: d, port, mesh: m, agent: new http.Agent({ keepAlive: true, maxSockets: 8 }), pids: { gateway: m.pid('gateway-edge'), sidecar: m.pid('api-0/proxy') } });
    }
    // Every proxy of both meshes on core 1; everything else (apps, runtimes, control planes, this load) on core 0.
    for (const x of meshes) pinProxies(x.mesh.rt, meshes.flatMap((y) => Object.values(y.pids)));
    const apply = (x, mode) => {
      writeFileSync(path.join(x.dir, 'tel.yaml'), `apiVersion: weft.dev/v1alpha1\nkind: Telemetry\nmetadata: { name: bench, namespace: weft-system }\nspec: ${modes[mode]}\n`);
      execFileSync(process.execPath, [cli, 'apply', '-f', path.join(x.dir, 'tel.yaml'), '--control', x.mesh.rt.control], { env: x.mesh.env });
    };
    const synced = (x) => until('SYNCED', async () => JSON.parse(execFileSync(process.execPath, [cli, 'status', '-o', 'json', '--control', x.mesh.rt.control], { env: x.mesh.env }).toString()).proxies.every((p) => p.state === 'SYNCED'));
    const diffs = { gateway: [], sidecar: [] };
    const perRound = [];
    for (let round = 1; round <= rounds; round++) {
      const [on, off] = round % 2 === 1 ? [meshes[0], meshes[1]] : [meshes[1], meshes[0]];
      apply(on, 'on');
      apply(off, 'off');
      await Promise.all([synced(on), synced(off)]);
      // A config change rebuilds the layer stacks: let V8 optimise them again before measuring.
      await Promise.all([loadAtRate(on.agent, on.port, 3000, 2000), loadAtRate(off.agent, off.port, 3000, 2000)]);
      const before = meshes.map((x) => ({ g: cpuMs(x.pids.gateway), s: cpuMs(x.pids.sidecar) }));
      const failed = await Promise.all(meshes.map((x) => loadAtRate(x.agent, x.port, requests, rate)));
      const us = meshes.map((x, i) => ({ gateway: ((cpuMs(x.pids.gateway) - before[i].g) * 1000) / requests, sidecar: ((cpuMs(x.pids.sidecar) - before[i].s) * 1000) / requests }));
      const uOn = us[meshes.indexOf(on)], uOff = us[meshes.indexOf(off)];
      for (const k of ['gateway', 'sidecar']) diffs[k].push(((uOn[k] - uOff[k]) / uOff[k]) * 100);
      perRound.push({ on: on.name, gateway_us: { on: uOn.gateway, off: uOff.gateway }, sidecar_us: { on: uOn.sidecar, off: uOff.sidecar }, failed: failed[0] + failed[1] });
      console.log(`round ${round} (telemetry on in mesh ${on.name}): gateway on ${uOn.gateway.toFixed(1)} / off ${uOff.gateway.toFixed(1)} us/req (${diffs.gateway.at(-1).toFixed(1)}%), sidecar on ${uOn.sidecar.toFixed(1)} / off ${uOff.sidecar.toFixed(1)} us/req (${diffs.sidecar.at(-1).toFixed(1)}%), ${failed[0] + failed[1]} failed`);
    }
    const sorted = (v) => [...v].sort((a, b) => a - b).map((x) => x.toFixed(1)).join(' ');
    const summary = {
      observability_paired: {
        rounds, requests_per_mesh: requests, rate_per_mesh: rate,
        gateway_overhead_median_pct: +median(diffs.gateway).toFixed(1),
        sidecar_overhead_median_pct: +median(diffs.sidecar).toFixed(1),
        gateway_us_off_median: +median(perRound.map((r) => r.gateway_us.off)).toFixed(1),
        gateway_us_on_median: +median(perRound.map((r) => r.gateway_us.on)).toFixed(1),
        sidecar_us_off_median: +median(perRound.map((r) => r.sidecar_us.off)).toFixed(1),
        sidecar_us_on_median: +median(perRound.map((r) => r.sidecar_us.on)).toFixed(1),
        rounds_detail: perRound,
      },
    };
    const s = summary.observability_paired;
    console.log('\n| proxy | CPU/request, off (median) | on (median) | overhead, median of paired rounds |\n|---|---|---|---|');
    console.log(`| gateway | ${s.gateway_us_off_median} us | ${s.gateway_us_on_median} us | ${s.gateway_overhead_median_pct}% |`);
    console.log(`| sidecar (inbound) | ${s.sidecar_us_off_median} us | ${s.sidecar_us_on_median} us | ${s.sidecar_overhead_median_pct}% |`);
    console.log(`per-round differences, sorted: gateway ${sorted(diffs.gateway)}; sidecar ${sorted(diffs.sidecar)}`);
    return summary;
  } finally {
    for (const x of meshes) x.agent.destroy();
    await Promise.allSettled(meshes.map((x) => x.mesh.stop()));
    sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
