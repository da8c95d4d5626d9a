// The lifecycle of a replica in a real mesh: an app starts only once its sidecar can carry its calls; a
// replica being stopped finishes the requests it carries even when its app dies at SIGTERM; an app still
// reaches the mesh while it shuts down; one-shot workloads (restartPolicy Never / OnFailure) end with their
// sidecar and are not replaced.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { TestMesh, ECHO, ROOT, freePort, httpCall, waitFor } from './helpers/mesh.js';
import { docs, gatewayDoc, meshDoc, serviceDoc, workloadDoc } from './helpers/yaml.js';

const APP = path.join(ROOT, 'test', 'fixtures', 'lifecycle-app.mjs');

function yaml(gw: number, dir: string, replicas = 1): string {
  return docs(
    meshDoc('life'),
    workloadDoc('api', { args: [ECHO], probe: '/healthz' }),
    serviceDoc('api'),
    // Dies at once on SIGTERM (no handler): only a drain before the signal saves its requests in flight.
    workloadDoc('slow', { args: [APP], probe: '/healthz', replicas }),
    serviceDoc('slow'),
    // Calls api while it shuts down.
    workloadDoc('web', { args: [APP], probe: '/healthz', replicas, env: { CALL_ON_STOP: 'api' } }),
    serviceDoc('web'),
    // Calls api the moment it starts.
    workloadDoc('starter', { args: [APP], probe: '/healthz', env: { CALL_ON_START: 'api' } }),
    workloadDoc('once', { args: [APP], restartPolicy: 'Never', env: { JOB: '1', CALL_ON_START: 'api' } }),
    workloadDoc('flaky', { args: [APP], restartPolicy: 'OnFailure', env: { JOB: '1', FAIL_ONCE: path.join(dir, 'flaky-failed') } }),
    gatewayDoc(gw),
    `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: edge }
spec:
  parentRefs: [{ name: edge }]
  rules:
  - matches: [{ path: { type: PathPrefix, value: /slow } }]
    backendRefs: [{ name: slow, port: 80 }]
  - backendRefs: [{ name: web, port: 80 }]
`,
  );
}

let mesh: TestMesh;
let gw: number;
const appLog = (replica: string) => {
  const f = path.join(mesh.dir, '.weft', 'logs', replica, 'app.log');
  return existsSync(f) ? readFileSync(f, 'utf8') : '';
};
const row = async (name: string) => (await mesh.status()).proxies.find((p) => p.name === name);

before(async () => {
  gw = await freePort();
  mesh = new TestMesh('');
  writeFileSync(mesh.file, yaml(gw, mesh.dir));
  await mesh.start();
  await mesh.waitAllSynced();
});

after(async () => {
  await mesh?.stop();
});

test('an app starts only once its sidecar carries its calls: a call made at start-up is answered by the mesh and succeeds', async () => {
  for (const replica of ['starter-0', 'once-0']) {
    await waitFor(`${replica} to make its call`, () => /call on start: /.test(appLog(replica)), 20_000);
    const log = appLog(replica);
    // The very first call reached a sidecar with its config: no refused connection, no "proxy not ready".
    // (It may find api not ready yet when both start together: 503 no-healthy-endpoint, and it asks again.)
    assert.match(log, /first answer: (200|503 no-healthy-endpoint)\n/, log);
    assert.match(log, /call on start: 200\n/, log);
  }
});

test('a one-shot job (restartPolicy Never) ends with its sidecar, shows DONE, and is not restarted or replaced', async () => {
  const done = await waitFor('once-0 to be DONE', async () => {
    const r = await row('once-0');
    return r?.state === 'DONE' ? r : undefined;
  }, 20_000, 100);
  assert.equal(done.app?.completed, true);
  assert.equal(done.app?.lastExit, 'code 0');
  assert.equal(done.app?.restarts, 0);
  assert.equal(done.app?.running, false);
  assert.match(mesh.output + appLog('once-0'), /completed \(code 0\); stopping its sidecar/);
  // Its sidecar exited with it (the runtime's process table has no live pid for it).
  const proxyPid = mesh.runtime().processes.find((p) => p.name === 'once-0/proxy')?.pid;
  if (proxyPid !== undefined) assert.throws(() => process.kill(proxyPid, 0), 'the job\'s sidecar is gone');
  // `weft status` says so in words.
  const st = await mesh.cli(['status']);
  assert.match(st.stdout, /once-0 .*done \(completed\).*DONE/);
  // The mesh is healthy with a finished job in it, and a later pass does not start another.
  const check = await mesh.cli(['check']);
  assert.doesNotMatch(check.stdout, /FAIL/, check.stdout);
  await mesh.waitAllSynced();
  assert.deepEqual((await mesh.status()).proxies.filter((p) => p.workload === 'once').map((p) => p.name), ['once-0']);
});

test('restartPolicy OnFailure: a job that fails is restarted, and done once it succeeds', async () => {
  const done = await waitFor('flaky-0 to be DONE', async () => {
    const r = await row('flaky-0');
    return r?.state === 'DONE' ? r : undefined;
  }, 30_000, 100);
  assert.equal(done.app?.lastExit, 'code 0');
  assert.equal(done.app?.restarts, 1);
  assert.match(appLog('flaky-0'), /failing on purpose[\s\S]*exited \(code 1\); restarting/);
});

test('stopping a replica: its requests in flight finish (its app dies at SIGTERM), and an app still reaches the mesh while it shuts down', async () => {
  const inflight = httpCall(gw, '/slow?delay=1500');
  await waitFor('the slow request to reach the app', () => /request \/slow/.test(appLog('slow-0')), 10_000);
  writeFileSync(mesh.file, yaml(gw, mesh.dir, 0));
  await waitFor('slow and web scaled to 0', async () => {
    const names = (await mesh.status()).proxies.map((p) => p.name);
    return !names.includes('slow-0') && !names.includes('web-0') ? true : undefined;
  }, 30_000, 200);
  const r = await inflight;
  assert.equal(r.status, 200, `the request in flight was cut: ${r.status} ${r.body}`);
  assert.match(r.body, /served by slow-0/);
  assert.match(appLog('web-0'), /call on stop: 200/);
  assert.match(mesh.output, /slow: scaling 1 -> 0/);
});
