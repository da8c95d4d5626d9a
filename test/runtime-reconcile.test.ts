// Workload edits take effect while traffic flows: scaling, a spec change by `weft apply` and by editing
// the watched file, `weft rollout restart`, a new and a deleted Workload. A steady counted load runs
// through the gateway the whole time and every request must succeed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { TestMesh, ROOT, CLI, freePort, waitFor } from './helpers/mesh.js';
import { gatewayDoc } from './helpers/yaml.js';

const APP = path.join(ROOT, 'test', 'fixtures', 'env-echo.mjs');

const workload = (name: string, replicas: number, color: string) => `apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: { name: ${name}, labels: { app: ${name} } }
spec:
  command: ${process.execPath}
  args: [${JSON.stringify(APP)}]
  replicas: ${replicas}
  env: { COLOR: ${color} }
  readinessProbe: { httpGet: { path: /healthz } }
`;

function meshYaml(gw: number, webReplicas: number, webColor: string): string {
  return `apiVersion: weft.dev/v1alpha1
kind: Mesh
metadata: { name: roll }
spec: { trustDomain: roll.local }
---
${workload('web', webReplicas, webColor)}---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  selector: { app: web }
  ports: [{ name: http, port: 80, appProtocol: http }]
---
apiVersion: v1
kind: Service
metadata: { name: api }
spec:
  selector: { app: api }
  ports: [{ name: http, port: 80, appProtocol: http }]
---
${gatewayDoc(gw)}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: r }
spec:
  parentRefs: [{ name: edge }]
  rules:
  - matches: [{ path: { type: PathPrefix, value: /api } }]
    backendRefs: [{ name: api, port: 80 }]
  - backendRefs: [{ name: web, port: 80 }]
`;
}

interface Answer { who: string; workload: string; color: string | null }

/** A steady load through the gateway (one request every `everyMs` to each path), counted, bounded in count and time. */
class Load {
  sent = 0;
  ok = 0;
  failures: string[] = [];
  last = new Map<string, Answer>();
  private timer: NodeJS.Timeout | undefined;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  private inflight = 0;

  constructor(private readonly port: number, private readonly paths: string[], private readonly maxRequests: number, private readonly maxMs: number) {}

  start(everyMs: number): void {
    const end = Date.now() + this.maxMs;
    this.timer = setInterval(() => {
      if (this.sent >= this.maxRequests || Date.now() > end) return this.stopSending();
      for (const p of this.paths) this.one(p);
    }, everyMs);
  }

  private one(p: string): void {
    this.sent++;
    this.inflight++;
    const req = http.get({ host: '127.0.0.1', port: this.port, path: p, agent: this.agent, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        this.inflight--;
        if (res.statusCode === 200) {
          this.ok++;
          try { this.last.set(p, JSON.parse(body) as Answer); } catch { /* counted ok: the status is what matters */ }
        } else this.failures.push(`${p}: HTTP ${res.statusCode} ${res.headers['x-weft-error'] ?? ''} ${body.slice(0, 200)}`);
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => {
      this.inflight--;
      this.failures.push(`${p}: ${e.message}`);
    });
  }

  private stopSending(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async stop(): Promise<void> {
    this.stopSending();
    await waitFor('in-flight requests to finish', () => this.inflight === 0, 10_000);
    this.agent.destroy();
  }
}

let mesh: TestMesh;
let gw: number;
let load: Load;

function replicasOf(s: { proxies: { name: string; workload: string }[] }, w: string): string[] {
  return s.proxies.filter((p) => p.workload === w && p.name !== `gateway-${w}`).map((p) => p.name).sort();
}

/** Distinct answers to `n` requests on one path (one agent-free connection each, so they spread over replicas). */
async function sample(p: string, n: number): Promise<Answer[]> {
  const out: Answer[] = [];
  for (let i = 0; i < n; i++) {
    out.push(await new Promise<Answer>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: gw, path: p, agent: false }, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(b) as Answer) : reject(new Error(`HTTP ${res.statusCode}: ${b}`))));
      }).on('error', reject);
    }));
  }
  return out;
}

before(async () => {
  gw = await freePort();
  mesh = new TestMesh(meshYaml(gw, 2, 'red'));
  await mesh.start();
  await mesh.waitAllSynced();
  // A Workload the file does not define: created, changed and deleted through the API.
  writeFileSync(path.join(mesh.dir, 'api.yaml'), workload('api', 1, 'green'));
  const a = await mesh.cli(['apply', '-f', path.join(mesh.dir, 'api.yaml')]);
  assert.equal(a.code, 0, a.stderr);
  await waitFor('the new api workload to serve', async () => (await sample('/api', 1))[0]?.workload === 'api', 30_000, 200);
  load = new Load(gw, ['/', '/api'], 8000, 80_000);
  load.start(25); // ~80 requests/s over the two paths
});

after(async () => {
  await load?.stop().catch(() => {});
  if (mesh?.proc && mesh.proc.exitCode === null) await mesh.stop();
});

test('scaling by editing the watched file: 2 -> 3 -> 1, drained without a failed request', async () => {
  const good = readFileSync(mesh.file, 'utf8');
  // `weft logs -f` on the workload picks up the replica that does not exist yet.
  const follow = spawn(process.execPath, [CLI, 'logs', 'web', '--app', '-f'], { cwd: mesh.dir, env: { ...process.env, ...mesh.env } });
  let followed = '';
  follow.stdout.on('data', (d) => (followed += d));
  try {
    await waitFor('weft logs -f to start', () => followed.includes('web-1 | web-1 listening'));
    writeFileSync(mesh.file, good.replace('replicas: 2', 'replicas: 3'));
    await waitFor('web scaled to 3', () => mesh.output.includes('web: scaled to 3'), 30_000);
    assert.equal(replicasOf(await mesh.waitAllSynced(), 'web').length, 3);
    await waitFor('the new replica\'s first line through weft logs -f', () => followed.includes('web-2 | web-2 listening'), 10_000);
  } finally {
    follow.kill();
  }
  writeFileSync(mesh.file, good.replace('replicas: 2', 'replicas: 1'));
  await waitFor('web scaled down to 1', async () => replicasOf(await mesh.status(), 'web').length === 1 ? true : undefined, 30_000, 200);
  assert.match(mesh.output, /web: scaling 3 -> 1/);
  assert.deepEqual(load.failures, []);
});

test('a spec change by weft apply replaces replicas one at a time; every answer then shows it', async () => {
  const before = replicasOf(await mesh.status(), 'api');
  writeFileSync(path.join(mesh.dir, 'api.yaml'), workload('api', 2, 'blue'));
  const a = await mesh.cli(['apply', '-f', path.join(mesh.dir, 'api.yaml')]);
  assert.equal(a.code, 0, a.stderr);
  await waitFor('the api rollout to complete', () => mesh.output.includes('api: rollout complete'), 45_000, 100);
  assert.match(mesh.output, /api: replacing api-0 with api-\d \(spec changed: env\)/);
  const after = replicasOf(await mesh.waitAllSynced(), 'api');
  assert.equal(after.length, 2);
  assert.ok((await sample('/api', 12)).every((x) => x.color === 'blue'), 'every api replica runs the new env');
  assert.notDeepEqual(after, before);
  assert.deepEqual(load.failures, []);
});

test('a spec change by editing the watched file rolls too', async () => {
  writeFileSync(mesh.file, readFileSync(mesh.file, 'utf8').replace('COLOR: red', 'COLOR: yellow'));
  await waitFor('the web rollout to complete', () => /web: replacing web-\d with web-\d \(spec changed: env\)[\s\S]*web: rollout complete/.test(mesh.output), 45_000, 100);
  await mesh.waitAllSynced();
  assert.ok((await sample('/', 6)).every((x) => x.color === 'yellow'));
  assert.deepEqual(load.failures, []);
});

test('weft rollout restart replaces every replica; an unknown workload is a 404 with a suggestion', async () => {
  const before = replicasOf(await mesh.status(), 'api');
  const marker = mesh.output.length;
  const sentBefore = load.sent;
  const failedBefore = load.failures.length;
  const t0 = Date.now();
  const r = await mesh.cli(['rollout', 'restart', 'api']);
  assert.equal(r.code, 0, r.stderr);
  await waitFor('the restart to complete', () => mesh.output.slice(marker).includes('api: rollout complete'), 45_000, 100);
  const log = mesh.output.slice(marker);
  for (const name of before) assert.match(log, new RegExp(`api: replacing ${name} with api-\\d \\(rollout restart\\)`));
  console.log(`# rolling restart of api (2 replicas) under a steady load: ${load.sent - sentBefore} requests sent over ${((Date.now() - t0) / 1000).toFixed(1)} s, ${load.failures.length - failedBefore} lost`);
  assert.equal(replicasOf(await mesh.waitAllSynced(), 'api').length, 2);
  const bad = await mesh.cli(['rollout', 'restart', 'apii']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /no Workload apii in namespace default; did you mean "api"\?/);
  assert.deepEqual(load.failures, []);
});

test('a deleted Workload stops all its replicas', async () => {
  // The route to api goes first (no traffic to a service with no endpoints is expected to succeed).
  await load.stop();
  assert.deepEqual(load.failures, []);
  assert.ok(load.ok > 300, `a real load ran: ${load.ok} of ${load.sent} requests`);
  const d = await mesh.cli(['delete', '-f', path.join(mesh.dir, 'api.yaml')]);
  assert.equal(d.code, 0, d.stderr);
  await waitFor('the api replicas to go', async () => replicasOf(await mesh.status(), 'api').length === 0 ? true : undefined, 30_000, 200);
  assert.match(mesh.output, /api: deleted; stopping api-\d, api-\d/);
  await waitFor('api processes gone', () => !mesh.runtime().processes.some((p) => p.name.startsWith('api-')), 10_000);
});
