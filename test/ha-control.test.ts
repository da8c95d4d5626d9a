// An HA control plane: `weft up --control-replicas 2` on a real etcd store. Under a steady counted load
// through the gateway: one replica is killed (its proxies move to the other, a config change still reaches
// every proxy), then both (the data plane keeps serving its last good config and resyncs when they come
// back), then etcd is restarted (nothing is lost). Every request must succeed. It also measures how long a
// config change takes to reach every proxy (`weft apply` -> every proxy SYNCED on it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEtcd, type EtcdCluster } from './helpers/etcd.js';
import { TestMesh, CLI, ECHO, freePort, httpCall, waitFor } from './helpers/mesh.js';
import { docs, edgeDocs, meshDoc, serviceDoc, workloadDoc } from './helpers/yaml.js';
import { call } from '../src/control/client.js';
import type { ControlStatus } from '../src/api/control-api.js';

let etcd: EtcdCluster;
let keyDir: string;
let mesh: TestMesh;
let gw: number;

interface Runtime { processes: { name: string; pid?: number; api?: string }[] }
const runtime = () => JSON.parse(readFileSync(path.join(mesh.dir, '.weft', 'runtime.json'), 'utf8')) as Runtime;
const adminToken = () => (JSON.parse(readFileSync(path.join(mesh.dir, '.weft', 'secrets.json'), 'utf8')) as { adminToken: string }).adminToken;
const replica = (name: string) => {
  const p = runtime().processes.find((x) => x.name === name);
  assert.ok(p?.pid !== undefined && p.api !== undefined, `${name} runs: ${JSON.stringify(runtime().processes.filter((x) => x.name.startsWith('control')))}`);
  return { pid: p.pid, api: p.api };
};
const statusAt = (api: string) => call<ControlStatus>({ url: api, token: adminToken() }, 'GET', '/v1/status', undefined, 3000);
/** Until `api`'s status has every proxy of this mesh SYNCED (it covers proxies served by the other replica too). */
async function allSyncedAt(api: string, what: string, timeoutMs = 30_000, version?: string): Promise<ControlStatus> {
  return waitFor(what, async () => {
    const s = await statusAt(api).catch(() => undefined);
    if (s === undefined || s.proxies.length < 3) return undefined;
    return s.proxies.every((p) => p.state === 'SYNCED' && (version === undefined || p.configVersion !== version)) ? s : undefined;
  }, timeoutMs, 100);
}

/** A steady load through the gateway, bounded in count and time; every answer but a 200 is a failure. */
class Load {
  sent = 0;
  ok = 0;
  failures: string[] = [];
  private inflight = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  start(rps: number, maxRequests: number): void {
    this.timer = setInterval(() => {
      if (this.sent >= maxRequests) return this.stopSending();
      this.sent++;
      this.inflight++;
      const req = http.get({ host: '127.0.0.1', port: gw, path: '/ha', agent: this.agent, timeout: 5000 }, (res) => {
        res.resume();
        res.on('end', () => {
          this.inflight--;
          if (res.statusCode === 200) this.ok++;
          else this.failures.push(`HTTP ${res.statusCode} ${res.headers['x-weft-error'] ?? ''}`);
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => {
        this.inflight--;
        this.failures.push(e.message);
      });
    }, 1000 / rps);
  }
  private stopSending(): void {
    clearInterval(this.timer);
  }
  async stop(): Promise<void> {
    this.stopSending();
    await waitFor('requests in flight to finish', () => this.inflight === 0, 10_000);
    this.agent.destroy();
  }
}

before(async () => {
  etcd = await startEtcd();
  keyDir = mkdtempSync(path.join(os.tmpdir(), 'weft-ha-key-'));
  const keyFile = path.join(keyDir, 'store.key');
  writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  gw = await freePort();
  mesh = new TestMesh(docs(meshDoc('ha'), workloadDoc('api', { args: [ECHO], probe: '/healthz', replicas: 2 }), serviceDoc('api'), edgeDocs(gw, 'api')));
  await mesh.start({ WEFT_STORE: etcd.storeUrl(`/weft-ha-${process.pid}/`), WEFT_STORE_KEY_FILE: keyFile, WEFT_CONTROL_RESTART_DELAY_MS: '1500' }, [process.execPath, CLI], ['--control-replicas', '2']);
  await mesh.waitAllSynced();
});

after(async () => {
  await mesh?.stop();
  await etcd?.close();
  if (keyDir) rmSync(keyDir, { recursive: true, force: true });
});

test('two replicas run; each one\'s status covers every proxy, whichever replica serves it', async () => {
  const a = replica('control');
  const b = replica('control-1');
  assert.notEqual(a.api, b.api);
  const served = new Set<string>();
  for (const api of [a.api, b.api]) {
    const s = await allSyncedAt(api, `every proxy SYNCED in ${api}'s status`);
    assert.deepEqual(s.proxies.map((p) => p.name).sort(), ['api-0', 'api-1', 'gateway-edge']);
    for (const p of s.proxies) served.add(String(p.servedBy));
  }
  // Proxies start on different replicas (by name), so with three proxies both replicas serve some.
  assert.equal(served.size, 2, [...served].join(' '));
  assert.equal((await httpCall(gw, '/ha')).status, 200);
});

test('control-plane faults under load: kill one replica, kill both, restart etcd; no request fails, config changes keep reaching every proxy', { timeout: 120_000 }, async () => {
  const load = new Load();
  load.start(50, 4000);
  const changes: number[] = [];
  /**
   * A config change (a new route at the gateway, /extra-<n>) and the time until every proxy runs it, by
   * `api`'s status; then the route answers.
   */
  const change = async (api: string, n: number) => {
    const file = path.join(mesh.dir, `route-${n}.yaml`);
    writeFileSync(file, `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: extra-${n} }
spec:
  parentRefs: [{ name: edge }]
  rules: [{ matches: [{ path: { type: PathPrefix, value: /extra-${n} } }], backendRefs: [{ name: api, port: 80 }] }]
`);
    const before = (await statusAt(api)).proxies.find((p) => p.name === 'gateway-edge')?.configVersion ?? undefined;
    const t0 = performance.now();
    const r = await mesh.cli(['apply', '-f', file]);
    assert.equal(r.code, 0, r.stderr);
    await allSyncedAt(api, `change ${n} on every proxy`, 30_000, before);
    changes.push(performance.now() - t0);
    const got = await httpCall(gw, `/extra-${n}/x`);
    assert.equal(got.status, 200, `the new route answers: ${got.status} ${got.body}`);
  };
  try {
    for (let i = 0; i < 10; i++) await change(replica('control').api, i);

    // One replica gone: its proxies reconnect to the other; config changes still reach every proxy.
    const b = replica('control-1');
    const t0 = performance.now();
    process.kill(b.pid, 'SIGKILL');
    const a = replica('control').api;
    const aName = (await statusAt(a)).control.replica;
    assert.ok(aName !== undefined);
    // Failed over: every proxy's stream is on the remaining replica, SYNCED there.
    await waitFor('every proxy on the remaining replica', async () => {
      const s = await statusAt(a).catch(() => undefined);
      return s !== undefined && s.proxies.length === 3 && s.proxies.every((p) => p.servedBy === aName && p.state === 'SYNCED') ? true : undefined;
    }, 30_000, 50);
    const failover = performance.now() - t0;
    await change(a, 100);
    await waitFor('control-1 back', () => runtime().processes.find((p) => p.name === 'control-1')?.pid !== b.pid, 20_000, 100);

    // Both gone: the data plane keeps serving its last good config; they come back and resync.
    const pids = ['control', 'control-1'].map((n) => replica(n).pid);
    const sentBefore = load.sent;
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    await waitFor('load to run on while no control plane is up', () => load.sent >= sentBefore + 50, 20_000, 50);
    await waitFor('both replicas restarted', () => ['control', 'control-1'].every((n) => { const p = runtime().processes.find((x) => x.name === n); return p?.pid !== undefined && !pids.includes(p.pid); }), 30_000, 100);
    await allSyncedAt(replica('control').api, 'every proxy SYNCED after both replicas returned');
    await change(replica('control').api, 200);

    // etcd restarted: nothing lost (the config and the registry are there), changes go on.
    await etcd.stop(0);
    await waitFor('load to run on while etcd is down', () => load.sent >= sentBefore + 150, 20_000, 50);
    await etcd.restart(0);
    await change(replica('control-1').api, 300);
    const objects = await mesh.cli(['get']);
    assert.match(objects.stdout, /extra-0\b/);
    assert.match(objects.stdout, /extra-300\b/);

    await load.stop();
    const sorted = [...changes].sort((x, y) => x - y);
    const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
    console.log(`# HA control plane under load: ${load.sent} requests, ${load.failures.length} failed; proxies of a killed replica SYNCED on the other after ${failover.toFixed(0)} ms`);
    console.log(`# config change (weft apply -> every proxy SYNCED), ${changes.length} changes: p50 ${pct(50).toFixed(0)} ms, p99 ${pct(99).toFixed(0)} ms`);
    assert.deepEqual(load.failures, []);
    assert.ok(load.ok >= 300, `a real load ran: ${load.ok}`);
  } finally {
    await load.stop().catch(() => {});
  }
});
