// Joining a host, the control-plane side, against a real running mesh: `weft token create` makes a one-time
// token; POST /v1/join spends it, with a CSR, for the host's identity from the mesh CA; over mTLS with it the
// host reads the config, reports its own endpoints, gets bootstrap credentials for its own Workloads' proxies
// and renews its certificate, and nothing else.
// A Workload assigned to a joined host (`spec.host`) does not run on the control plane's host.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { generateKeyAndCsr } from '../src/identity/index.js';
import { call, ControlError } from '../src/control/client.js';
import type { ControlTarget } from '../src/control/discovery.js';
import type { JoinView } from '../src/api/control-api.js';
import path from 'node:path';
import { type TestMesh, ECHO, startMesh } from './helpers/mesh.js';
import { docs, edgeDocs, meshDoc, serviceDoc, workloadDoc } from './helpers/yaml.js';

const yaml = (gw: number) => docs(
  meshDoc('fleet'),
  workloadDoc('web', { args: [ECHO], probe: '/healthz' }),
  serviceDoc('web'),
  `apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: { name: api, labels: { app: api } }
spec: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(ECHO)}], serviceAccount: api-sa, host: b }
`,
  serviceDoc('api'),
  edgeDocs(gw, 'web'),
);

let mesh: TestMesh;

before(async () => {
  ({ mesh } = await startMesh(yaml));
});

after(async () => {
  await mesh?.stop();
});

async function api(method: string, p: string, auth?: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> & unknown[] }> {
  const r = await fetch(`${mesh.controlUrl}${p}`, { method, headers: { ...(auth ? { authorization: `Bearer ${auth}` } : {}), 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { status: r.status, body: await r.json() as never };
}

test('a Workload assigned to a joined host does not run on the control plane\'s host', async () => {
  const names = (await mesh.status()).proxies.map((p) => p.name);
  assert.ok(names.includes('web-0'));
  assert.ok(!names.some((n) => n.startsWith('api-')), names.join(' '));
  assert.ok(!mesh.runtime().processes.some((p) => p.name.startsWith('api-')));
});

test('join: a one-time token and a CSR for the host\'s identity from the mesh CA; over mTLS with it the host may do its own runtime\'s work, nothing else', async () => {
  const t = await mesh.cli(['token', 'create', '--ttl', '5m']);
  assert.equal(t.code, 0, t.stderr);
  const token = t.stdout.trim();
  assert.match(token, /^wjt\./);
  assert.match(t.stderr, /valid once, until /);

  const { keyPem, csrPem } = await generateKeyAndCsr();
  // A bad request does not spend the token.
  assert.equal((await api('POST', '/v1/join', undefined, { token, host: 'b' })).status, 400);
  assert.equal((await api('POST', '/v1/join', undefined, { token, host: 'b', csr: 'not a csr' })).status, 400);
  const joined = await api('POST', '/v1/join', undefined, { token, host: 'b', csr: csrPem });
  assert.equal(joined.status, 200, JSON.stringify(joined.body));
  const v = joined.body as unknown as JoinView;
  // The host's identity, issued by the mesh CA, for its own key.
  const leaf = new X509Certificate(v.certificate[0]!);
  assert.match(leaf.subjectAltName ?? '', /URI:spiffe:\/\/fleet\.local\/ns\/weft-system\/sa\/host-b/);
  assert.ok(leaf.checkPrivateKey(createPrivateKey(keyPem)));
  assert.match(v.hostApi, /^https:\/\//);
  assert.match(v.xds, /^https:\/\//);
  assert.equal((await api('POST', '/v1/join', undefined, { token, host: 'c', csr: csrPem })).status, 403, 'a token is spent once');

  const as = (cert: string[], key = keyPem): ControlTarget => ({ url: v.hostApi, token: '', tls: { key, cert: cert.join(''), ca: v.bundle, serverId: 'spiffe://fleet.local/ns/weft-system/sa/weft-control' } });
  const host = as(v.certificate);
  // What its runtime needs: the config, its own registry entry, credentials for its own proxies, renewal.
  const objects = await call<{ metadata: { name: string } }[]>(host, 'GET', '/v1/objects?kind=Workload');
  assert.ok(objects.some((o) => o.metadata.name === 'api'));
  const pt = await call<{ token: string }>(host, 'POST', '/v1/hosts/b/proxy-tokens', { name: 'api-0', kind: 'sidecar', workload: 'api', namespace: 'default', serviceAccount: 'api-sa' });
  assert.equal(typeof pt.token, 'string');
  await call(host, 'PUT', '/v1/registry/b', { endpoints: [], proxies: [] });
  const renewal = await generateKeyAndCsr();
  const renewed = await call<{ certificate: string[] }>(host, 'POST', '/v1/hosts/b/certificate', { csr: renewal.csrPem });
  assert.notEqual(new X509Certificate(renewed.certificate[0]!).serialNumber, leaf.serialNumber);
  await call(as(renewed.certificate, renewal.keyPem), 'GET', '/v1/status');

  // Not its own workloads, not another host's entry, not config changes.
  const refused = async (method: 'GET' | 'POST' | 'PUT', p: string, body?: unknown) => {
    const e = await call(host, method, p, body).then(() => undefined, (err: ControlError) => err);
    assert.ok(e instanceof ControlError && e.status === 403, `${method} ${p}: ${String(e)}`);
    return e;
  };
  assert.match((await refused('POST', '/v1/hosts/b/proxy-tokens', { name: 'web-0', kind: 'sidecar', workload: 'web', namespace: 'default', serviceAccount: 'default' })).message, /runs on the control plane's host, not b/);
  await refused('PUT', '/v1/registry/local', { endpoints: [], proxies: [] });
  await refused('POST', '/v1/join-tokens', {});
  await refused('POST', '/v1/apply', { text: '', file: 'x' });
  // The host's certificate without its own key gets nowhere.
  const other = await generateKeyAndCsr();
  await assert.rejects(call(as(v.certificate, other.keyPem), 'GET', '/v1/objects'));
  // The admin sees the host; the plain API takes no host identity.
  const list = await api('GET', '/v1/hosts', adminToken());
  assert.deepEqual((list.body as unknown as { name: string }[]).map((h) => h.name), ['b']);
  const bad = await mesh.cli(['token', 'create', '--ttl', '48h']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /ttl must be a duration between 1s and 24h/);
});

function adminToken(): string {
  return (JSON.parse(readFileSync(path.join(mesh.dir, '.weft', 'secrets.json'), 'utf8')) as { adminToken: string }).adminToken;
}
