#!/usr/bin/env node
// Start-up time of `weft demo`: from the command's start to the first 200 through the gateway, the moment
// it prints "ready", and the latency of the first requests after that. Each line weft prints is stamped
// with the time it arrived, so the phases (control plane, proxies, apps ready) show where the time goes.
// Usage: node scripts/bench/startup.mjs [runs=3]   (stops each demo before the next; uses the demo's port 8080)
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const runs = Number(process.argv[2] ?? 3);
const GATEWAY = 'http://127.0.0.1:8080/';

function get(url, timeoutMs = 5000) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - t0 }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t0 }));
  });
}

async function once() {
  const t0 = performance.now();
  const child = spawn(process.execPath, [path.join(root, 'bin', 'weft'), 'demo', '--rps', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const marks = [];
  let readyAt;
  let buf = '';
  const onData = (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const at = performance.now() - t0;
      if (readyAt === undefined && /weft: ready|weft demo:/.test(line)) readyAt = at;
      if (marks.length < 200) marks.push([at, line.slice(0, 120)]);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let first200;
  const deadline = Date.now() + 60_000;
  while (first200 === undefined && Date.now() < deadline) {
    const r = await get(GATEWAY, 1000);
    if (r.status === 200) first200 = performance.now() - t0;
    else await new Promise((res) => setTimeout(res, 20));
  }
  // Wait for "ready" (bounded), then time the first requests on each path.
  while (readyAt === undefined && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
  const after = [];
  for (let i = 0; i < 20; i++) after.push((await get(i % 2 ? `${GATEWAY}api/products` : GATEWAY)).ms);
  process.kill(-child.pid, 'SIGTERM');
  await new Promise((res) => child.once('exit', res));
  return { first200, readyAt, after, marks };
}

const results = [];
for (let i = 0; i < runs; i++) {
  const r = await once();
  results.push(r);
  console.log(`run ${i + 1}: first 200 at ${r.first200?.toFixed(0)} ms, "ready" at ${r.readyAt?.toFixed(0)} ms, first 20 requests after: max ${Math.max(...r.after).toFixed(1)} ms, ${r.after.map((x) => x.toFixed(0)).join(' ')}`);
  if (process.env.VERBOSE) for (const [at, line] of r.marks) console.log(`  ${at.toFixed(0).padStart(6)} ${line}`);
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`median of ${runs}: first 200 ${med(results.map((r) => r.first200 ?? Infinity)).toFixed(0)} ms, ready ${med(results.map((r) => r.readyAt ?? Infinity)).toFixed(0)} ms, worst request after ready ${med(results.map((r) => Math.max(...r.after))).toFixed(1)} ms`);
