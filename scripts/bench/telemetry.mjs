// What both observability-cost benchmarks need (scripts/bench.mjs --observability, run one mode after the
// other; obs-paired.mjs, both modes at once): the two Telemetry settings compared, a sink for exported
// spans, switching a running mesh between them, and a constant-rate load.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

/** A local OTLP/HTTP receiver that accepts and discards spans, so "tracing on" includes real export work. */
export async function startSpanSink() {
  const server = http.createServer((req, res) => { req.resume(); req.on('end', () => res.end()); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/v1/traces`, close: () => server.close() };
}

/** Telemetry "off" (no metrics, no access log, no sampling) and "on" (the defaults plus 1 % traces exported to `otlp`). */
export const telemetryModes = (otlp) => ({
  off: '{ accessLogging: [{ disabled: true }], metrics: [{ disabled: true }], tracing: [{ randomSamplingPercentage: 0 }] }',
  on: `{ accessLogging: [{ disabled: false }], metrics: [{ disabled: false }], tracing: [{ randomSamplingPercentage: 1, provider: { otlpHttp: { endpoint: "${otlp}" } } }] }`,
});

async function until(what, fn, ms = 60000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Applies a mesh-wide Telemetry with `spec` to the mesh started in `dir` and waits until every proxy has it. */
export async function applyTelemetry({ cli, mesh, dir }, spec) {
  const file = path.join(dir, 'tel.yaml');
  writeFileSync(file, `apiVersion: weft.dev/v1alpha1\nkind: Telemetry\nmetadata: { name: bench, namespace: weft-system }\nspec: ${spec}\n`);
  const run = (args) => execFileSync(process.execPath, [cli, ...args, '--control', mesh.rt.control], { env: mesh.env }).toString();
  run(['apply', '-f', file]);
  await until('every proxy SYNCED', async () => JSON.parse(run(['status', '-o', 'json'])).proxies.every((p) => p.state === 'SYNCED'));
}

/**
 * `n` GETs of /bench at `rate` per second through `agent` (an open loop on 1 ms ticks, so both modes are
 * compared at the same batching conditions); resolves with how long it took and how many failed.
 */
export async function loadAtRate(agent, port, n, rate) {
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
  return { seconds: (Date.now() - t0) / 1000, failed };
}
