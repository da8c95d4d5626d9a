// What every bench scenario needs around a real local mesh: its config, starting `weft up` and waiting
// until it is ready, pinning processes to cores, and stopping it.
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A free port outside the kernel's ephemeral range (src/runtime/ports.ts: why); loaded late, as dist/ is built by the bench itself. */
export const freePort = async () => (await import('../../dist/src/runtime/ports.js')).freePort();

/** A gateway `edge` on `gwPort` routing everything to the workload `api` (the echo test app), plus `extra` YAML. */
export function echoMeshYaml({ name, echo, gwPort, extra = '' }) {
  return `apiVersion: weft.dev/v1alpha1
kind: Mesh
metadata: { name: ${name} }
---
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: { name: api, labels: { app: api } }
spec: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(echo)}], readinessProbe: { httpGet: { path: /healthz } } }
---
apiVersion: v1
kind: Service
metadata: { name: api }
spec: { selector: { app: api }, ports: [{ port: 80 }] }
---
${gatewayYaml({ name: 'edge', port: gwPort, service: 'api' })}${extra}`;
}

/** A Gateway `name` listening on `port` (HTTP) and an HTTPRoute sending everything to `service` port 80. */
export function gatewayYaml({ name, port, service }) {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: ${name} }
spec: { listeners: [{ name: http, port: ${port}, protocol: HTTP }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name} }
spec: { parentRefs: [{ name: ${name} }], rules: [{ backendRefs: [{ name: ${service}, port: 80 }] }] }
`;
}

/**
 * Everything a bench started that must be stopped even when it fails or is interrupted: stop functions,
 * run by `stopAll()` (on SIGINT/SIGTERM, see installStopOnSignals) and by the scenario's own `finally`.
 */
const running = new Set();
export function track(stop) {
  let stopping;
  // Once only: a signal and a `finally` may both ask.
  const entry = () => (stopping ??= (async () => { running.delete(entry); await stop(); })());
  running.add(entry);
  return entry;
}
export async function stopAll() {
  await Promise.allSettled([...running].map((s) => s()));
}
export function installStopOnSignals() {
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      console.error(`\n${sig}: stopping what the bench started`);
      stopAll().finally(() => process.exit(130));
    });
  }
}

/** Runs `weft up` on `yaml` in `dir` and resolves once it reports ready, with its runtime file. */
export async function startWeft({ cli, dir, yaml, execArgv = [] }) {
  writeFileSync(path.join(dir, 'mesh.yaml'), yaml);
  const env = { ...process.env, WEFT_HOME: path.join(dir, 'home'), NO_COLOR: '1' };
  const up = spawn(process.execPath, [...execArgv, cli, 'up', '-f', path.join(dir, 'mesh.yaml')], { cwd: dir, env, stdio: ['ignore', 'pipe', 'inherit'] });
  // The runtime writes every proxy's access log (on by default) to its file and prints lifecycle lines only;
  // the output is still read all the time, as a terminal would, so the runtime never blocks on a full pipe.
  let out = '';
  up.stdout.on('data', (d) => { out = out.length > 20000 ? out.slice(-10000) + d : out + d; });
  let rt;
  const exited = new Promise((r) => up.once('exit', r));
  // Bounded: weft's own stop drains gateways, apps and sidecars (at most ~15 s each step); past 40 s the
  // runtime and every process it listed are killed.
  const stop = track(async () => {
    if (up.exitCode !== null || up.signalCode !== null) return;
    // SIGTERM, not SIGINT: after a Ctrl-C the terminal has already sent `weft up` a SIGINT, and a second
    // one would make it exit at once without stopping its children.
    up.kill('SIGTERM');
    const timedOut = await Promise.race([exited.then(() => false), new Promise((r) => setTimeout(() => r(true), 40000).unref())]);
    if (timedOut) {
      for (const p of [up.pid, ...(rt?.processes ?? []).map((x) => x.pid)]) { try { if (p) process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
      await exited;
    }
  });
  const end = Date.now() + 60000;
  while (!out.includes('weft: ready')) {
    if (Date.now() > end || up.exitCode !== null) {
      await stop();
      throw new Error(`weft did not start:\n${out.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  rt = JSON.parse(readFileSync(path.join(dir, '.weft/runtime.json'), 'utf8'));
  return { rt, env, stop, pid: (name) => rt.processes.find((p) => p.name === name).pid };
}

/**
 * Proxies on core 1; the load generator (this process), apps, runtime and control plane on core 0, so the
 * proxies' CPU is not shared with the load, as ../shared/bench runs its anchors.
 */
export function pinProxies(rt, proxyPids) {
  if (os.cpus().length < 2) return;
  // -a: every thread of the process, not only its main one. A Node process already runs V8's GC and
  // compiler threads and libuv's pool when it is pinned here; without -a those stay where they started
  // (with the load, on core 0), and a proxy's garbage collection would compete with the load generator.
  const pin = (cpu, pid) => { try { execFileSync('taskset', ['-a', '-pc', String(cpu), String(pid)], { stdio: 'ignore' }); } catch { /* no taskset: unpinned */ } };
  for (const p of rt.processes) pin(proxyPids.includes(p.pid) ? 1 : 0, p.pid);
  pin(0, rt.pid);
  pin(0, process.pid);
}
