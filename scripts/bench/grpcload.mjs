#!/usr/bin/env node
// A gRPC unary load generator: a real @grpc/grpc-js client, one channel (one HTTP/2 connection) to the
// target, `concurrency` unary calls in flight on it at all times (closed loop: a call is sent when one
// answers), bounded by a count and by time, whichever comes first. It calls Unary of the Echo service the
// tests use (test/fixtures/grpc-echo.mjs, served by test/fixtures/grpc-app.mjs).
//
// Before measuring: one call must answer OK within `ready` seconds (else the result says why, with no
// figures), then `warmup` seconds of the same load are not recorded (the channel, TLS sessions between
// proxies, the JIT on both sides). Latency is from the call's start to its status, µs, every call kept
// (Float64Array, sorted at the end, nearest-rank percentiles). A closed loop measures latency at
// saturation; it is not the open-loop, fixed-rate figure loadgen.mjs gives for HTTP/1.
//
// CLI:  taskset -c 0 node scripts/bench/grpcload.mjs --target 127.0.0.1:50051 [--concurrency 16]
//       [--requests 1000000] [--seconds 8] [--warmup 2] [--ready 20] [--deadline 10]   prints one JSON object:
//       { ok, requests, errors: { <status code>: n }, first_error, seconds, rps, latency_us: { p50, p90, p99,
//       p999, max } } or { ok: false, error } when the target never answered OK.
// API:  spawnGrpcload(opts, cpu) runs it as its own process pinned to a core (what the bench does).
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'grpc-echo.mjs');

/** Runs the load in this process; resolves with the result object (never rejects on call errors). */
export async function grpcload({ target, concurrency = 16, requests = 1_000_000, seconds = 8, warmup = 2, ready = 20, deadline = 10, msg = 'hello' }) {
  const grpc = (await import('@grpc/grpc-js')).default;
  const { echoClient } = await import(pathToFileURL(FIXTURE).href);
  const client = echoClient(target);
  const md = new grpc.Metadata();
  const once = () => new Promise((resolve) => {
    client.Unary({ msg }, md, { deadline: new Date(Date.now() + deadline * 1000) }, (err) => resolve(err ?? null));
  });
  try {
    // Ready: one OK answer, bounded; a path that cannot carry gRPC is reported, not measured.
    const readyBy = Date.now() + ready * 1000;
    let last;
    for (;;) {
      last = await once();
      if (!last) break;
      if (Date.now() > readyBy) return { ok: false, target, error: `no OK answer from ${target} within ${ready} s: ${last.code} ${last.details}` };
      await new Promise((r) => setTimeout(r, 200));
    }

    const lat = new Float64Array(requests);
    const errors = {};
    let firstError = null;
    let sent = 0, done = 0, recording = false;
    const now = () => Number(process.hrtime.bigint()) / 1e3;
    const run = async (untilUs, record) => {
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (now() < untilUs && (!record || sent < requests)) {
          if (record) sent++;
          const t0 = now();
          const err = await once();
          if (!record) continue;
          if (err) {
            errors[err.code] = (errors[err.code] ?? 0) + 1;
            firstError ??= `${err.code} ${err.details}`;
          } else {
            lat[done++] = now() - t0;
          }
        }
      }));
    };
    await run(now() + warmup * 1e6, false);
    recording = true;
    const t0 = now();
    await run(t0 + seconds * 1e6, true);
    const elapsed = (now() - t0) / 1e6;
    const ok = lat.subarray(0, done).sort();
    const pct = (p) => (done ? +ok[Math.min(done - 1, Math.ceil((p / 100) * done) - 1)].toFixed(1) : null);
    const failed = Object.values(errors).reduce((a, b) => a + b, 0);
    return {
      ok: recording && done > 0, target, concurrency, requests: done + failed, answered_ok: done, errors, first_error: firstError,
      seconds: +elapsed.toFixed(3), rps: +(done / elapsed).toFixed(1),
      latency_us: { p50: pct(50), p90: pct(90), p99: pct(99), p999: pct(99.9), max: done ? +ok[done - 1].toFixed(1) : null },
    };
  } finally {
    client.close();
  }
}

/**
 * Runs grpcload as its own process pinned to `cpu`. Returns { pid, result }: result resolves with its JSON,
 * and rejects only when the process itself fails (killed past its time bound, a crash).
 */
export function spawnGrpcload(opts, cpu = 0) {
  const args = [fileURLToPath(import.meta.url)];
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) args.push(`--${k}`, String(v));
  const child = spawn('taskset', ['-c', String(cpu), process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err = (err + d).slice(-4000); });
  // Bounded: ready + warm-up + the run + the last calls' deadline + a margin for start-up.
  const limitMs = ((opts.ready ?? 20) + (opts.warmup ?? 2) + (opts.seconds ?? 8) + (opts.deadline ?? 10) + 20) * 1000;
  const result = new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop()));
      else reject(new Error(`grpcload exited with ${signal ?? code}: ${err.trim().slice(-500)}`));
    });
  });
  return { pid: child.pid, result };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const opts = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '');
    opts[k] = k === 'target' || k === 'msg' ? argv[i + 1] : Number(argv[i + 1]);
  }
  if (!opts.target) {
    console.error('grpcload: --target host:port is required');
    process.exit(2);
  }
  console.log(JSON.stringify(await grpcload(opts)));
  process.exit(0);
}
