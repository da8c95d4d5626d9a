// `npm run bench -- --observability-paired`: the cost of metrics + access logs + 1% traces measured with
// both modes running AT THE SAME TIME. Two identical local meshes (gateway -> mTLS -> sidecar -> echo app)
// take the same constant load side by side, all four proxies on core 1; one mesh has telemetry on, the
// other off, and the roles swap every round. Anything that drifts during a round (another tenant of the
// VM, the host's frequency) hits both modes alike, which the sequential method (off, then on, seconds
// apart) cannot promise; swapping cancels any difference between the two meshes themselves.
// Per round and proxy role (gateway, sidecar): (CPU per request of the mesh with telemetry on) /
// (CPU per request of the mesh with it off) - 1. The headline is the median over rounds.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { cpuSeconds } from './measure.mjs';
import { echoMeshYaml, freePort, pinProxies, startWeft } from './mesh.mjs';
import { applyTelemetry, loadAtRate, startSpanSink, telemetryModes } from './telemetry.mjs';

const median = (v) => { const s = [...v].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

export async function runPaired({ cli, echo, rounds = 8, requests = 6000, rate = 500 }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-obs-paired-'));
  const sink = await startSpanSink();
  const modes = telemetryModes(sink.url);
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
    const diffs = { gateway: [], sidecar: [] };
    const perRound = [];
    for (let round = 1; round <= rounds; round++) {
      const [on, off] = round % 2 === 1 ? [meshes[0], meshes[1]] : [meshes[1], meshes[0]];
      await Promise.all([applyTelemetry({ cli, mesh: on.mesh, dir: on.dir }, modes.on), applyTelemetry({ cli, mesh: off.mesh, dir: off.dir }, modes.off)]);
      // A config change rebuilds the layer stacks: let V8 optimise them again before measuring.
      await Promise.all([loadAtRate(on.agent, on.port, 3000, 2000), loadAtRate(off.agent, off.port, 3000, 2000)]);
      const before = meshes.map((x) => ({ g: cpuSeconds(x.pids.gateway), s: cpuSeconds(x.pids.sidecar) }));
      const failed = (await Promise.all(meshes.map((x) => loadAtRate(x.agent, x.port, requests, rate)))).map((r) => r.failed);
      const us = meshes.map((x, i) => ({ gateway: ((cpuSeconds(x.pids.gateway) - before[i].g) * 1e6) / requests, sidecar: ((cpuSeconds(x.pids.sidecar) - before[i].s) * 1e6) / requests }));
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
