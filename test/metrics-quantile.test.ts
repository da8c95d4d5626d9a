// The control plane's quantile (src/control/metrics/aggregator.ts, behind `weft stat`'s p50/p95/p99) against
// a real Prometheus: both read the same histogram, exposed by a /metrics endpoint as a proxy's admin would,
// and histogram_quantile must agree with quantile() within float tolerance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, httpCall, waitFor } from './helpers/mesh.js';
import { parsePrometheus } from '../src/control/metrics/parse.js';
import { quantile } from '../src/control/metrics/aggregator.js';

// Cumulative counts, as ProxyMetrics renders them (its bucket bounds), uneven on purpose.
const BUCKETS: [string, number][] = [['0.5', 3], ['1', 7], ['2.5', 20], ['5', 41], ['10', 80], ['25', 130], ['50', 171], ['100', 190], ['250', 196], ['500', 198], ['1000', 199], ['+Inf', 201]];
const LABELS = 'direction="inbound",destination_workload="api",destination_namespace="shop",path="C:\\\\new"';
const TEXT = [
  '# HELP weft_request_duration_ms Request duration.',
  '# TYPE weft_request_duration_ms histogram',
  ...BUCKETS.map(([le, n]) => `weft_request_duration_ms_bucket{${LABELS},le="${le}"} ${n}`),
  `weft_request_duration_ms_sum{${LABELS}} 5123.5`,
  `weft_request_duration_ms_count{${LABELS}} 201`,
  '',
].join('\n');
const QUANTILES = [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999];

test('quantile() agrees with Prometheus histogram_quantile on the same histogram', { timeout: 60_000 }, async (t) => {
  if (!existsSync('/usr/bin/prometheus')) {
    const r = spawnSync('bash', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus'], { stdio: 'inherit' });
    assert.equal(r.status, 0, 'installing prometheus from Debian');
  }
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(TEXT);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const target = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-prom-quantile-'));
  writeFileSync(path.join(dir, 'prometheus.yml'), `global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
- job_name: proxy
  static_configs: [{ targets: ['${target}'] }]
`);
  const port = await freePort();
  const prom: ChildProcess = spawn('/usr/bin/prometheus', [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let promLog = '';
  prom.stderr!.on('data', (d) => { if (promLog.length < 20_000) promLog += d; });
  const exited = new Promise<void>((r) => prom.once('exit', () => r()));
  t.after(async () => {
    if (prom.exitCode === null) {
      prom.kill('SIGTERM');
      await exited;
    }
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ask = async (q: number): Promise<number | undefined> => {
    const r = await httpCall(port, `/api/v1/query?query=${encodeURIComponent(`histogram_quantile(${q}, weft_request_duration_ms_bucket)`)}`);
    const v = r.json?.data?.result?.[0]?.value?.[1];
    return v === undefined ? undefined : Number(v);
  };
  await waitFor('Prometheus to scrape the histogram', () => ask(0.5), 30_000, 250).catch((e: Error) => {
    throw new Error(`${e.message}\nprometheus log:\n${promLog.split('\n').filter((l) => /error|listen/i.test(l)).slice(0, 6).join('\n')}`);
  });

  // Ours reads the same text through the control plane's own parser, as it reads a proxy's /metrics.
  const samples = parsePrometheus(TEXT, (n) => n === 'weft_request_duration_ms_bucket');
  assert.equal(samples[0].labels.path, 'C:\\new');
  const buckets = samples.map((s): [number, number] => [s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), s.value]);
  for (const q of QUANTILES) {
    const theirs = await ask(q);
    const ours = quantile(buckets, q);
    assert.ok(theirs !== undefined && ours !== null, `q=${q}: ${theirs} / ${ours}`);
    assert.ok(Math.abs(theirs - ours) <= 1e-9 * Math.max(1, Math.abs(theirs)), `q=${q}: Prometheus ${theirs}, quantile() ${ours}`);
  }
});
