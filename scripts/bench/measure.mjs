// The figures of the side-by-side scenarios, each from one tool: max rps from wrk (closed loop, as many
// requests as 16 connections carry), latency at a fixed rate from loadgen.mjs (open loop, corrected for
// coordinated omission), CPU time and RSS of the proxies from /proc. Load always runs on core 0.
// Everything here is asynchronous: the bench keeps reading weft's output (its access logs) while a
// tool runs, as a terminal would, so no proxy ever waits on a full pipe.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { spawnLoadgen } from './loadgen.mjs';

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat (clock ticks: 100 a second). */
export function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** Resident set size in MiB (VmRSS), or null if the process is gone. */
export function rssMb(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
  } catch {
    return null;
  }
}

/**
 * The anonymous part of RSS in MiB (RssAnon: heap, stacks, malloc), or null if the process is gone. The
 * rest of RSS is file pages, mostly the program's own code, which every process running the same binary
 * shares: for a Node process that is 34 MiB of a bare http server's 43 MiB on this machine.
 */
export function anonMb(pid) {
  try {
    return Number(/RssAnon:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
  } catch {
    return null;
  }
}

/** A process and its children (an nginx master and its worker), from /proc/<pid>/task/<pid>/children. */
export function processTree(pid) {
  let kids = [];
  try { kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number); } catch { /* gone */ }
  return [pid, ...kids.flatMap(processTree)];
}

/** Waits (bounded) until `port` accepts a TCP connection. */
export async function waitPort(port, ms = 30000) {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((r) => { const s = net.connect(port, '127.0.0.1'); s.once('connect', () => { s.destroy(); r(true); }); s.once('error', () => r(false)); });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listening on 127.0.0.1:${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits (bounded) until `url` answers 200: the whole path through the proxies works, mTLS included. */
export async function waitOk(url, ms = 30000) {
  const end = Date.now() + ms;
  let last = '';
  for (;;) {
    last = await new Promise((r) => {
      const req = http.get(url, { agent: false, timeout: 2000 }, (res) => { res.resume(); res.on('end', () => r(res.statusCode === 200 ? 'ok' : `status ${res.statusCode}`)); });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => r(e.message));
    });
    if (last === 'ok') return;
    if (Date.now() > end) throw new Error(`${url} did not answer 200 within ${ms} ms (last: ${last})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs a command to its end (bounded by `limitMs`) without blocking the event loop; resolves its stdout. */
function run(cmd, args, limitMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} exited with ${signal ?? code}: ${(err || out).trim().slice(-500)}`));
    });
  });
}

/**
 * The wrk script of a run: counts errors (wrk's `status` errors are responses >= 400) and, for a request
 * body, sets method and body. Written into the bench's temp dir.
 */
export function wrkScript(dir, { method = 'GET', body = 0 } = {}) {
  const file = path.join(dir, `wrk-${method.toLowerCase()}-${body}.lua`);
  writeFileSync(file, `${body > 0 ? `wrk.method = "${method}"
wrk.body = string.rep("x", ${body})
wrk.headers["Content-Type"] = "application/octet-stream"
` : ''}done = function(summary, latency, requests)
  io.write(string.format("errors: connect=%d read=%d write=%d status=%d timeout=%d\\n", summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout))
end
`);
  return file;
}

/** Max throughput: wrk, one thread on core 0, `connections` keep-alive connections, `seconds` long. */
export async function maxRps(url, { seconds, connections = 16, script }) {
  const out = await run('taskset', ['-c', '0', 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '-s', script, url], (seconds + 30) * 1000);
  const e = /errors: connect=(\d+) read=(\d+) write=(\d+) status=(\d+) timeout=(\d+)/.exec(out);
  const errors = e ? { connect: +e[1], read: +e[2], write: +e[3], status: +e[4], timeout: +e[5] } : null;
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
    non2xx: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0),
    errors,
  };
}

/**
 * Latency at a fixed rate (loadgen.mjs as its own process on core 0) and, over the same run, the CPU time
 * and the peak RSS of each watched process. `procs` maps a name to the pids that make up that proxy
 * (an nginx master and worker count as one). CPU per 1000 requests divides by every response the
 * generator got, warm-up included, since the CPU window covers the warm-up too.
 */
// The warm-up is 6 s: a freshly started weft mesh hop needs more than 2 s at 1000 rps before V8 has compiled
// its hot paths and the backlog of the slow first requests is gone. On a slow VM (2026-12-02) a 2 s warm-up
// left that backlog in the measured seconds: p99 1.5-2.1 s, against 11-13 ms after 6 s (interleaved runs).
export async function fixedRate(url, { rate = 1000, seconds, warmup = 6, connections = 8, procs = {} }) {
  const cpu0 = Object.fromEntries(Object.entries(procs).map(([n, pids]) => [n, pids.reduce((s, p) => s + cpuSeconds(p), 0)]));
  const peak = Object.fromEntries(Object.keys(procs).map((n) => [n, 0]));
  const peakAnon = Object.fromEntries(Object.keys(procs).map((n) => [n, 0]));
  const sample = () => {
    for (const [n, pids] of Object.entries(procs)) {
      peak[n] = Math.max(peak[n], pids.reduce((s, p) => s + (rssMb(p) ?? 0), 0));
      peakAnon[n] = Math.max(peakAnon[n], pids.reduce((s, p) => s + (anonMb(p) ?? 0), 0));
    }
  };
  const { result } = spawnLoadgen({ url, rate, seconds, warmup, connections }, 0);
  // RSS "under load": sampled every 250 ms over the measured seconds (after the warm-up), the peak kept.
  // Not during the warm-up: a Node proxy's first few hundred requests make V8 compile its hot paths, and
  // the compiler's working memory lifts anonymous RSS by 20-25 MiB for 100-200 ms before it is freed;
  // a 250 ms sampler caught that or not by chance, which made the figure jump between ~80 and ~105 MiB.
  let timer;
  const begin = setTimeout(() => { timer = setInterval(sample, 250); }, warmup * 1000 + 250);
  let r;
  try {
    r = await result;
  } finally {
    clearTimeout(begin);
    clearInterval(timer);
  }
  sample();
  const cpuPer1k = Object.fromEntries(Object.entries(procs).map(([n, pids]) => [n, +(((pids.reduce((s, p) => s + cpuSeconds(p), 0) - cpu0[n]) * 1000) / Math.max(1, r.served)).toFixed(4)]));
  const ms = (us) => (us === null ? null : +(us / 1000).toFixed(3));
  return {
    achieved_rps: r.achieved_rps,
    p50_ms: ms(r.latency_us.p50), p90_ms: ms(r.latency_us.p90), p99_ms: ms(r.latency_us.p99), p999_ms: ms(r.latency_us.p999), max_ms: ms(r.latency_us.max),
    non2xx: r.non2xx, errors: r.errors,
    // The generator's diagnostics (see loadgen.mjs): uncorrected service time, its own scheduling lateness.
    service_p99_ms: ms(r.service_us.p99), timer_lag_p99_ms: ms(r.timer_lag_us.p99), max_queue: r.max_queue,
    cpu_s_per_1k: cpuPer1k,
    rss_load_mb: Object.fromEntries(Object.entries(peak).map(([n, v]) => [n, +v.toFixed(1)])),
    rss_anon_load_mb: Object.fromEntries(Object.entries(peakAnon).map(([n, v]) => [n, +v.toFixed(1)])),
  };
}

/** Idle RSS of each watched process, MiB. */
export const rssOf = (procs) => Object.fromEntries(Object.entries(procs).map(([n, pids]) => [n, +pids.reduce((s, p) => s + (rssMb(p) ?? 0), 0).toFixed(1)]));

/**
 * How much of a core this process would really get right now: a synchronous spin of `ms` on `cpu` (its own
 * process, pinned) reading the clock; every gap over 50 µs is time it did not run (another task here, or
 * the hypervisor running someone else's vCPU). Printed with every scenario: on a shared 2-core VM this,
 * not the proxy, is often what moves a p99 at 1000 rps.
 */
export async function noiseProbe(cpu, ms = 1000) {
  const code = `const now=()=>Number(process.hrtime.bigint());const t0=now();let last=t0,lost=0,max=0,n=0;const end=t0+${ms}e6;for(;;){const t=now();const g=t-last;if(g>50e3){lost+=g;n++;if(g>max)max=g;}last=t;if(t>end)break;}console.log(JSON.stringify({lost_pct:+(lost/(last-t0)*100).toFixed(2),stalls:n,max_stall_ms:+(max/1e6).toFixed(2)}))`;
  try {
    return JSON.parse((await run('taskset', ['-c', String(cpu), process.execPath, '-e', code], ms + 10000)).trim());
  } catch {
    return null;
  }
}
