// Transparent capture end to end: a whole local mesh runs inside a fresh network namespace with
// `weft capture install` rules; the client app (its own uid, no HTTP_PROXY, no <SERVICE>_URL) calls
// http://catalog/ and tcp db:6379 by name, and its sidecar carries both over mTLS by the original destination.
// The Mesh is REGISTRY_ONLY: a destination outside the mesh is refused.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { CLI, ECHO, ROOT, TestMesh, freePort, waitFor } from './helpers/mesh.js';
import { Netns, netnsUnavailable } from './helpers/netns.js';
import { docs, serviceDoc, workloadDoc } from './helpers/yaml.js';

const TCP_COUNT = path.join(ROOT, 'test', 'fixtures', 'tcp-count.mjs');
/** The app runs as nobody: the sidecar (root, like `weft up`) is the uid the rules leave alone. */
const APP_UID = 65534;

// The client: no mesh code and no mesh settings. It calls by name, retrying while the mesh comes up
// (bounded), and prints what it got.
const CLIENT = `
import http from 'node:http';
import net from 'node:net';
http.createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');
console.log('ENV ' + JSON.stringify({ proxy: process.env.HTTP_PROXY ?? null, urls: Object.keys(process.env).filter((k) => k.endsWith('_URL')), uid: process.getuid() }));
const get = (url) => new Promise((resolve) => {
  const r = http.get(url, { agent: false, timeout: 5000 }, (x) => {
    let body = '';
    x.on('data', (d) => (body += d));
    x.on('end', () => resolve({ status: x.statusCode, error: x.headers['x-weft-error'], body }));
  });
  r.on('timeout', () => r.destroy(new Error('timeout')));
  r.on('error', (e) => resolve({ failed: e.code ?? e.message }));
});
const tcp = (host, port) => new Promise((resolve) => {
  let got = '';
  const c = net.connect({ host, port, allowHalfOpen: true });
  const t = setTimeout(() => c.destroy(), 5000);
  c.on('connect', () => c.end('hello'));
  c.on('data', (d) => (got += d));
  c.on('error', (e) => (got += 'error ' + e.code));
  c.on('close', () => { clearTimeout(t); resolve(got); });
});
const pause = () => new Promise((r) => setTimeout(r, 200));
let h;
for (let i = 0; i < 100; i++) { h = await get('http://catalog/hello'); if (h.status === 200) break; await pause(); }
console.log('HTTP ' + JSON.stringify(h));
let t;
for (let i = 0; i < 100; i++) { t = await tcp('db', 6379); if (t.includes('read 5')) break; await pause(); }
console.log('TCP ' + JSON.stringify(t));
console.log('OUTSIDE ' + JSON.stringify(await get('http://192.0.2.7/')));
`;

test('transparent capture: an app calls services by name, its sidecar carries the connections', { skip: netnsUnavailable(), timeout: 120_000 }, async () => {
  const ns = new Netns();
  let mesh: TestMesh | undefined;
  after(async () => {
    await mesh?.stop();
    ns.remove();
  });
  const capturePort = await freePort();
  mesh = new TestMesh(docs(
    `apiVersion: weft.dev/v1alpha1\nkind: Mesh\nmetadata: { name: cap }\nspec: { trustDomain: cap.local, outboundTrafficPolicy: { mode: REGISTRY_ONLY } }\n`,
    serviceDoc('catalog'),
    workloadDoc('catalog', { args: [ECHO] }),
    serviceDoc('db', ['{ port: 6379 }']),
    workloadDoc('db', { args: [TCP_COUNT] }),
    `${workloadDoc('client', { command: '/usr/bin/setpriv', args: [`--reuid=${APP_UID}`, `--regid=${APP_UID}`, '--clear-groups', process.execPath, 'client.mjs'] })}  capture: { outboundPort: ${capturePort} }\n`,
  ));
  // The app's user reads its script in the mesh's directory.
  chmodSync(mesh.dir, 0o755);
  writeFileSync(path.join(mesh.dir, 'client.mjs'), CLIENT, { mode: 0o644 });

  const install = spawnSync(ns.exec[0], [...ns.exec.slice(1), process.execPath, CLI, 'capture', 'install', '--proxy-uid', '0', '--proxy-gid', '0', '--outbound-port', String(capturePort), '--hosts', '-f', mesh.file], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(install.status, 0, install.stderr);
  await mesh.start({}, [...ns.exec, process.execPath, CLI]);

  const line = (tag: string) => waitFor(`the client's ${tag} line`, () => {
    const l = mesh!.logText().split('\n').find((x) => new RegExp(`(^|\\s)${tag} [{"]`).test(x));
    return l === undefined ? undefined : JSON.parse(l.slice(l.indexOf(`${tag} `) + tag.length + 1));
  }, 60_000);

  const env = await line('ENV');
  assert.deepEqual(env, { proxy: null, urls: [], uid: APP_UID }, 'the app has no proxy settings and runs as its own user');

  const http = await line('HTTP');
  assert.equal(http.status, 200, JSON.stringify(http));
  const echoed = JSON.parse(http.body);
  assert.equal(echoed.workload, 'catalog');
  assert.equal(echoed.path, '/hello');
  // Access logs are written in batches: each record is waited for.
  const records = () => mesh!.logText().split('\n').filter((l) => l.includes('{'));
  const entry = (pred: (e: Record<string, unknown>) => boolean) => records().map((l) => { try { return JSON.parse(l.slice(l.indexOf('{'))) as Record<string, unknown>; } catch { return undefined; } }).find((e) => e !== undefined && pred(e));
  const inbound = await waitFor('the catalog sidecar to log the request', () => entry((e) => e.direction === 'inbound' && e.path === '/hello' && e.destination_workload === 'catalog'), 10_000);
  assert.equal(inbound.tls, true, 'over mTLS');
  assert.equal(inbound.source_principal, 'spiffe://cap.local/ns/default/sa/default');
  await waitFor("the client's sidecar to log it going out", () => entry((e) => e.direction === 'outbound' && e.path === '/hello' && e.source_workload === 'client'), 10_000);

  const tcp = await line('TCP');
  assert.match(tcp, /^db-0 read 5\n$/, 'opaque TCP by the original destination, half-close honoured');
  await waitFor('the TCP connection record', () => entry((e) => e.direction === 'outbound' && e.protocol === 'TCP' && e.source_workload === 'client' && e.destination_service === 'db'), 10_000);

  const outside = await line('OUTSIDE');
  assert.ok(outside.failed !== undefined, `REGISTRY_ONLY refuses a destination outside the mesh: ${JSON.stringify(outside)}`);
  const refused = await waitFor('the registry-only record', () => {
    const fresh = mesh!.logText().split('\n').find((l) => l.includes('192.0.2.7:80'));
    return fresh === undefined ? undefined : JSON.parse(fresh.slice(fresh.indexOf('{')));
  }, 10_000);
  assert.equal(refused.response_flags, 'NR');
  console.log(`# captured: HTTP ${http.status} from ${echoed.who} (mTLS ${inbound.tls}), TCP ${JSON.stringify(tcp.trim())}, outside: ${outside.failed}`);
});
