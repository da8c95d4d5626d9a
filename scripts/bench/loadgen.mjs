#!/usr/bin/env node
// A constant-rate, open-loop HTTP/1.1 load generator with microsecond latencies, corrected for coordinated
// omission (the method of wrk2; written here, no code taken from it).
//
// Open loop: request i is *due* at t0 + i/rate, whatever happened to the requests before it. A fixed set of
// keep-alive connections (default 8) carries them, one request at a time each (no pipelining). A request
// whose slot comes while every connection is busy waits in a FIFO queue, and its latency is counted from its
// intended send time, not from when a connection freed up. A closed-loop tool (hey, wrk, ab) instead sends
// the next request only when the previous one answered, so during a 50 ms stall it simply sends nothing and
// reports one slow request where a real client at that rate would have seen fifty: the "coordinated
// omission" that makes tail percentiles look far better than they are.
//
// Timing: the clock is process.hrtime.bigint(). Node's timers only resolve to ~1 ms, the whole interval at
// 1000 req/s, so near a slot the scheduler does not use them:
// - nothing in flight: no socket needs this thread, so it blocks (Atomics.wait) until 250 µs before the
//   slot (a futex wake-up on a VM runs ~100 µs late) and spins on the clock to it, then sends;
// - something in flight: it sleeps in the event loop's socket poll and never spins, so the app or a
//   proxy sharing its core runs the moment it is woken (a spinning client there adds up to a scheduler
//   slice, ~1-3 ms, to the requests it is timing); a worker thread (the "alarm") wakes it for the next
//   slot, and an answer that leaves nothing in flight hands back to the precise wait above.
// Its own lateness is reported as `timer_lag_us` (due -> queued): a self-check. On the 2-core VM this was
// written on, its p50 is ~0.1 µs and its p99 0.1-0.6 ms: the VM itself stops for 50 µs - 5 ms ~100 times a
// second (see noiseProbe in measure.mjs), and such a stop counts against whatever was due during it.
//
// A latency includes writing the request, the server's work, and reading and parsing the whole response
// here (status line, headers, Content-Length or chunked body), plus any queueing above. Latencies go into
// a Float64Array (µs), sorted at the end; percentiles are nearest-rank. `service_us` times the same
// requests from their actual write: what a closed-loop tool reports.
//
// Against hey on the same target (the upstream nginx alone, 1000 req/s, 4 s runs, load and app on core 0):
//   hey -c 4 -q 250:  p50 0.1 ms, p90 0.1 ms, p99 0.2 ms, slowest 0.6-1.5 ms (printed to 0.1 ms)
//   loadgen (8 conns): p50 30-45 µs, p90 45-155 µs, p99 0.8-1.5 ms; service_us p99 0.15-0.4 ms
// The middle agrees within hey's 0.1 ms rounding (hey also adds Go's client: goroutine hand-offs, its
// connection pool). The tails differ by design: hey times each request from the moment it actually went
// out, and each of its workers waits for an answer before taking its next tick, dropping the ticks it
// missed; so a stall (of the server or the machine) costs hey one slow sample, while here every request
// that fell due during the stall is counted late by what it waited. loadgen's service_us p99 is close to
// hey's p99; its corrected p99 is what a client sending at 1000 req/s would see.
//
// CLI:  taskset -c 0 node scripts/bench/loadgen.mjs --url http://127.0.0.1:18080/ --rate 1000 --seconds 8
//       [--connections 8] [--method GET] [--body 0] [--warmup 1]   prints one JSON object.
// API:  import { loadgen } from './loadgen.mjs'; await loadgen({ url, rate, seconds, ... })
//       spawnLoadgen(opts, cpu) runs it as its own process pinned to a core (what the bench does).
import { spawn } from 'node:child_process';
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD = 64 * 1024;
// Parser states of one connection.
const IDLE = 0, HEAD = 1, BODY = 2, BODY_EOF = 3, CHUNK_SIZE = 4, CHUNK_DATA = 5, CHUNK_CRLF = 6, TRAILER = 7;

// How long before a slot the scheduler stops sleeping and spins (ns): more than a futex wake-up's lateness.
const EARLY = 250e3;
// The alarm thread's code (see setAlarm below): waits for a target instant, wakes EARLY, spins to it.
const ALARM = `
const { workerData, parentPort } = require('node:worker_threads');
const at = new BigInt64Array(workerData, 0, 1), seq = new Int32Array(workerData, 8, 1);
let seen = 0;
for (;;) {
  Atomics.wait(seq, 0, seen);
  seen = Atomics.load(seq, 0);
  if (seen < 0) break;
  const t = at[0];
  if (t === 0n) continue; // disarmed
  const gap = Number(t - process.hrtime.bigint());
  if (gap > ${EARLY} && Atomics.wait(seq, 0, seen, (gap - ${EARLY}) / 1e6) !== 'timed-out') continue; // re-armed
  while (process.hrtime.bigint() < t && Atomics.load(seq, 0) === seen) {}
  if (Atomics.load(seq, 0) === seen) parentPort.postMessage(0);
}`;

/** Nearest-rank percentile of an ascending array. */
const pct = (sorted, p) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]);
const round = (v, d = 1) => (v === null ? null : +v.toFixed(d));

export async function loadgen({ url, rate = 1000, seconds = 8, connections = 8, method = 'GET', body = 0, warmup = 1 }) {
  const u = new URL(url);
  if (u.protocol !== 'http:') throw new Error(`loadgen: only http:// URLs (got ${url})`);
  if (!(rate > 0) || !(seconds > 0) || !(connections >= 1) || !(body >= 0) || !(warmup >= 0)) throw new Error('loadgen: rate, seconds and connections must be positive; body and warmup not negative');
  const host = u.hostname.replace(/^\[|\]$/g, ''), port = Number(u.port || 80);
  method = method.toUpperCase();
  const isHead = method === 'HEAD';
  // One request, built once: every send writes the same bytes.
  const head = `${method} ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUser-Agent: weft-loadgen\r\n` +
    (body > 0 || method === 'POST' || method === 'PUT' ? `Content-Type: application/octet-stream\r\nContent-Length: ${body}\r\n` : '') + '\r\n';
  const request = Buffer.concat([Buffer.from(head, 'latin1'), Buffer.alloc(body, 'x')]);

  const warm = Math.round(rate * warmup), measured = Math.round(rate * seconds), total = warm + measured;
  const lat = new Float64Array(measured); // µs, measured requests that completed
  const lag = new Float64Array(measured); // µs, due -> queued (the scheduler's own lateness)
  const svc = new Float64Array(measured); // µs, written -> answered (what a closed-loop tool like hey reports)
  let nLat = 0, nLag = 0;
  const status = {};
  const errors = { connect: 0, closed: 0, protocol: 0, timeout: 0 };
  let lastDone = 0, served = 0; // served: responses of any status, warm-up included
  const conns = [];

  const T0 = process.hrtime.bigint();
  const now = () => Number(process.hrtime.bigint() - T0); // ns since T0; a Number holds 104 days of ns
  let start = 0; // ns: slot 0 is due at `start`
  const due = (i) => start + (i * 1e9) / rate;

  // FIFO of due slots waiting for a free connection: slot numbers, at most `total` of them.
  const queue = new Int32Array(total);
  let qHead = 0, qTail = 0, maxQueue = 0;
  const idle = [];
  let inflight = 0, running = true, finished;
  const allDone = new Promise((r) => { finished = r; });

  function record(c, slot, ok, code) {
    if (slot < warm) return;
    if (ok) {
      const t = now();
      svc[nLat] = (t - c.sentAt) / 1000;
      lat[nLat++] = (t - due(slot)) / 1000;
      status[code] = (status[code] ?? 0) + 1;
    }
    lastDone = now();
  }

  function send(c) {
    const slot = queue[qHead++];
    c.slot = slot;
    c.state = HEAD;
    inflight++;
    c.sentAt = now();
    c.sock.write(request);
  }

  function dispatch() {
    while (qHead < qTail && idle.length > 0) send(idle.pop());
  }

  function done(c, ok, code) {
    inflight--;
    record(c, c.slot, ok, code);
    c.slot = -1;
    c.state = IDLE;
    served++;
    if (!c.keep) c.sock.destroy(); // its 'close' opens a new one
    else if (qHead < qTail) send(c);
    else idle.push(c);
    checkEnd();
  }

  function checkEnd() {
    if (next >= total && inflight === 0 && qHead === qTail) finished();
    // The last answer came in while the scheduler slept in the poll: back to its precise wait.
    else if (inflight === 0 && waiting === 'alarm') {
      setAlarm(null); // its spin would compete with this thread's for the core
      tick();
    }
  }
  let tick; // the scheduler, below

  /**
   * Where `sep` starts at or after `i`, or -1 when it has not arrived yet: then the bytes from `i` wait in
   * `c.buf` for the next chunk, or the connection fails if they are already more than a head can be.
   */
  function ended(c, buf, i, sep) {
    const e = buf.indexOf(sep, i);
    if (e < 0) {
      if (buf.length - i > MAX_HEAD) fail(c, 'protocol');
      else c.buf = buf.subarray(i);
    }
    return e;
  }

  /** Feeds received bytes to a connection's response parser; completes its request when the response ends. */
  function feed(c, chunk) {
    let buf = c.buf ? Buffer.concat([c.buf, chunk]) : chunk;
    c.buf = null;
    let i = 0;
    while (i < buf.length) {
      switch (c.state) {
        case HEAD: {
          const e = ended(c, buf, i, HEAD_END);
          if (e < 0) return;
          const lines = buf.toString('latin1', i, e).split('\r\n');
          i = e + 4;
          const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0]);
          if (!m) return fail(c, 'protocol');
          const code = Number(m[2]);
          let length = -1, chunked = false, close = m[1] === '0';
          for (let k = 1; k < lines.length; k++) {
            const colon = lines[k].indexOf(':');
            if (colon <= 0) continue;
            const name = lines[k].slice(0, colon).trim().toLowerCase(), value = lines[k].slice(colon + 1).trim().toLowerCase();
            if (name === 'content-length') length = Number(value);
            else if (name === 'transfer-encoding') chunked = value.split(',').pop().trim() === 'chunked';
            else if (name === 'connection') close = value.split(',').some((t) => t.trim() === 'close') || (m[1] === '0' && !value.includes('keep-alive'));
          }
          if (code >= 100 && code < 200) break; // an interim response: the real one follows
          c.code = code;
          c.keep = !close;
          if (isHead || code === 204 || code === 304) { done(c, true, code); break; }
          if (chunked) c.state = CHUNK_SIZE;
          else if (length >= 0) {
            if (!Number.isSafeInteger(length)) return fail(c, 'protocol');
            if (length === 0) { done(c, true, code); break; }
            c.left = length;
            c.state = BODY;
          } else { c.keep = false; c.state = BODY_EOF; } // delimited by the close
          break;
        }
        case BODY:
        case CHUNK_DATA: {
          const n = Math.min(c.left, buf.length - i);
          c.left -= n;
          i += n;
          if (c.left === 0) {
            if (c.state === BODY) done(c, true, c.code);
            else c.state = CHUNK_CRLF;
          }
          break;
        }
        case BODY_EOF:
          i = buf.length; // everything until the close is body
          break;
        case CHUNK_SIZE:
        case TRAILER: {
          const e = ended(c, buf, i, CRLF);
          if (e < 0) return;
          const line = buf.toString('latin1', i, e);
          i = e + 2;
          if (c.state === TRAILER) {
            if (line === '') done(c, true, c.code); // the empty line ends the trailers and the message
            break;
          }
          const size = parseInt(line.split(';')[0].trim(), 16); // chunk extensions are ignored
          if (!Number.isSafeInteger(size) || size < 0) return fail(c, 'protocol');
          if (size === 0) c.state = TRAILER;
          else { c.left = size; c.state = CHUNK_DATA; }
          break;
        }
        case CHUNK_CRLF:
          if (buf.length - i < 2) { c.buf = buf.subarray(i); return; }
          if (buf[i] !== 13 || buf[i + 1] !== 10) return fail(c, 'protocol');
          i += 2;
          c.state = CHUNK_SIZE;
          break;
        default: // IDLE: bytes nobody asked for
          return fail(c, 'protocol');
      }
    }
  }

  /** A broken connection: its request (if any) fails, and the connection is replaced. */
  function fail(c, kind) {
    if (c.slot >= 0) {
      errors[kind]++;
      inflight--;
      record(c, c.slot, false);
      c.slot = -1;
    }
    c.state = IDLE;
    c.sock.destroy();
    checkEnd();
  }

  const connect = () => new Promise((resolve) => {
    const c = { sock: null, slot: -1, sentAt: 0, state: IDLE, buf: null, left: 0, code: 0, keep: true, failures: 0 };
    conns.push(c);
    const open = () => {
      c.buf = null; c.state = IDLE; c.keep = true;
      const s = net.connect({ host, port, noDelay: true });
      c.sock = s;
      let connected = false;
      s.on('connect', () => { connected = true; c.failures = 0; idle.push(c); dispatch(); resolve(true); });
      s.on('data', (d) => feed(c, d));
      s.on('error', () => { if (!connected) errors.connect++; });
      s.on('close', () => {
        if (c.slot >= 0) {
          if (c.state === BODY_EOF) done(c, true, c.code);
          else fail(c, 'closed');
        }
        const k = idle.indexOf(c);
        if (k >= 0) idle.splice(k, 1);
        if (!connected) { c.failures++; resolve(false); }
        // Replace it while the run lasts; a refused connect backs off (bounded by the run's end).
        if (running) setTimeout(open, connected ? 0 : Math.min(1000, 10 * 2 ** Math.min(c.failures, 6))).unref();
      });
    };
    open();
  });

  // Connections are opened before the clock starts, so connect time is not in any latency.
  const opened = await Promise.all(Array.from({ length: connections }, connect));
  if (!opened.some(Boolean)) { running = false; for (const c of conns) c.sock.destroy(); throw new Error(`loadgen: cannot connect to ${u.host}`); }

  // The alarm: a worker thread that sleeps until just before a given instant, spins to it and posts a
  // message, which wakes this thread out of its socket poll. Used only while requests are in flight.
  const alarmMem = new SharedArrayBuffer(16);
  const alarmAt = new BigInt64Array(alarmMem, 0, 1), alarmSeq = new Int32Array(alarmMem, 8, 1);
  const alarm = new Worker(ALARM, { eval: true, workerData: alarmMem });
  alarm.unref();
  const setAlarm = (ns) => { alarmAt[0] = ns === null ? 0n : T0 + BigInt(Math.round(ns)); Atomics.add(alarmSeq, 0, 1); Atomics.notify(alarmSeq, 0); };
  const wait = new Int32Array(new SharedArrayBuffer(4));
  let next = 0; // the next slot to queue
  let waiting = ''; // how the scheduler waits for the next slot: 'timer', 'spin' or 'alarm'
  start = now();
  await new Promise((resolveSchedule) => {
    tick = () => {
      for (;;) {
        waiting = '';
        const t = now();
        while (next < total && due(next) <= t) {
          if (next >= warm) lag[nLag++] = (t - due(next)) / 1000;
          queue[qTail++] = next++;
        }
        if (qTail - qHead > maxQueue) maxQueue = qTail - qHead;
        dispatch();
        if (next >= total) { resolveSchedule(); return; }
        const gap = due(next) - now(); // ns
        if (gap > 2e6) {
          // Far away (low rates): a timer is exact enough.
          waiting = 'timer';
          setTimeout(tick, (gap - 1.5e6) / 1e6);
          return;
        }
        if (inflight > 0 || qHead < qTail) {
          // Something in flight (or waiting for a connection): sleep in the socket poll, never spin, so
          // the app and proxies sharing this core run the moment they are woken; the alarm thread, or the
          // last answer (checkEnd), wakes this one.
          waiting = 'alarm';
          setAlarm(due(next));
          return;
        }
        // Nothing in flight, so no socket needs this thread: block until EARLY before the slot (a futex
        // wake-up on this VM runs ~100 µs late), then spin on the clock to it, without event-loop turns
        // (each would allocate, and garbage means scavenges: pauses).
        if (gap > EARLY + 50e3) Atomics.wait(wait, 0, 0, (gap - EARLY) / 1e6);
        const at = due(next);
        while (now() < at) { /* spin */ }
      }
    };
    alarm.on('message', () => { if (waiting === 'alarm') tick(); });
    tick();
  });
  waiting = '';
  Atomics.store(alarmSeq, 0, -1);
  Atomics.notify(alarmSeq, 0);
  await alarm.terminate();
  // Requests still out after the schedule get a bounded time to finish; the rest count as timeouts.
  checkEnd();
  const drainMs = 5000;
  const timedOut = await Promise.race([allDone.then(() => false), new Promise((r) => setTimeout(() => r(true), drainMs).unref())]);
  const end = now();
  running = false;
  if (timedOut) errors.timeout += inflight + (qTail - qHead);
  for (const c of conns) c.sock.destroy();

  const sorted = lat.subarray(0, nLat).sort();
  const lagSorted = lag.subarray(0, nLag).sort();
  const svcSorted = svc.subarray(0, nLat).sort();
  let sum = 0;
  for (let k = 0; k < nLat; k++) sum += sorted[k];
  const measuredStart = due(warm);
  // Achieved rate: the measured requests that completed, over the schedule's length or, if answers lagged
  // behind it, until the last answer.
  const span = Math.max(measured * 1e9 / rate, (lastDone || end) - measuredStart);
  const non2xx = Object.entries(status).filter(([k]) => Number(k) < 200 || Number(k) > 299).reduce((n, [, v]) => n + v, 0);
  return {
    url, method, body_bytes: body, rate, seconds, warmup_s: warmup, connections,
    scheduled: measured, completed: nLat, achieved_rps: round(nLat / (span / 1e9), 1),
    latency_us: { min: round(pct(sorted, 0)), p50: round(pct(sorted, 50)), p90: round(pct(sorted, 90)), p99: round(pct(sorted, 99)), p999: round(pct(sorted, 99.9)), max: round(pct(sorted, 100)), mean: round(nLat ? sum / nLat : null) },
    status, non2xx, errors,
    // Diagnostics: the same requests timed from their actual write (no coordinated-omission correction),
    // and the scheduler's own lateness. A p99 here far below latency_us.p99 means queueing or stalls.
    service_us: { p50: round(pct(svcSorted, 50)), p90: round(pct(svcSorted, 90)), p99: round(pct(svcSorted, 99)), p999: round(pct(svcSorted, 99.9)), max: round(pct(svcSorted, 100)) },
    timer_lag_us: { p50: round(pct(lagSorted, 50)), p99: round(pct(lagSorted, 99)), max: round(pct(lagSorted, 100)) },
    max_queue: maxQueue,
    // Every response the target sent, warm-up included: what a proxy's CPU time is divided by.
    served,
  };
}

/**
 * Runs the generator as its own process pinned to `cpu` (taskset), so it never shares a core with the bench
 * driver or the proxies. Returns the child (its pid, to watch) and a promise of the parsed result.
 */
export function spawnLoadgen(opts, cpu = 0) {
  const args = [fileURLToPath(import.meta.url)];
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) args.push(`--${k}`, String(v));
  const child = spawn('taskset', ['-c', String(cpu), process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  // Bounded: the schedule, the warm-up, the 5 s drain and a margin for start-up.
  const limitMs = ((opts.seconds ?? 8) + (opts.warmup ?? 1) + 20) * 1000;
  const result = new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop()));
      else reject(new Error(`loadgen exited with ${signal ?? code}: ${err.trim().slice(-500)}`));
    });
  });
  return { child, result };
}

// As a CLI: flags named as the options above, one JSON object out.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const opts = {};
  const names = { url: String, rate: Number, seconds: Number, connections: Number, method: String, body: Number, warmup: Number };
  const argv = process.argv.slice(2);
  for (let k = 0; k < argv.length; k++) {
    const m = /^--([a-z]+)(?:=(.*))?$/.exec(argv[k]);
    if (!m || !(m[1] in names)) { console.error(`loadgen: unknown argument ${argv[k]} (use --${Object.keys(names).join(' --')})`); process.exit(2); }
    const v = m[2] ?? argv[++k];
    if (v === undefined) { console.error(`loadgen: --${m[1]} needs a value`); process.exit(2); }
    opts[m[1]] = names[m[1]](v);
    if (Number.isNaN(opts[m[1]])) { console.error(`loadgen: --${m[1]} ${v} is not a number`); process.exit(2); }
  }
  if (!opts.url) { console.error('usage: loadgen.mjs --url http://host:port/path [--rate 1000] [--seconds 8] [--connections 8] [--method GET] [--body 0] [--warmup 1]'); process.exit(2); }
  try {
    console.log(JSON.stringify(await loadgen(opts)));
    process.exit(0);
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
