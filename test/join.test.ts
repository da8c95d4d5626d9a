// Joining a host, the control-plane side, against a real running mesh: `weft token create` makes a one-time
// token; POST /v1/join spends it for a host credential; with that credential the host reads the config,
// reports its own endpoints and gets bootstrap credentials for its own Workloads' proxies, and nothing else.
// A Workload assigned to a joined host (`spec.host`) does not run on the control plane's host.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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

test('join: a one-time token for a host credential scoped to that host\'s own workloads', async () => {
  const t = await mesh.cli(['token', 'create', '--ttl', '5m']);
  assert.equal(t.code, 0, t.stderr);
  const token = t.stdout.trim();
  assert.match(token, /^wjt\./);
  assert.match(t.stderr, /valid once, until /);

  const joined = await api('POST', '/v1/join', undefined, { token, host: 'b' });
  assert.equal(joined.status, 200, JSON.stringify(joined.body));
  const cred = String(joined.body.credential);
  assert.match(cred, /^host\.b\./);
  assert.match(String(joined.body.xds), /^https:\/\//);
  assert.ok(Array.isArray(joined.body.bundle) && (joined.body.bundle as unknown[]).length > 0);
  assert.equal((await api('POST', '/v1/join', undefined, { token, host: 'c' })).status, 403, 'a token is spent once');

  // What its runtime needs: the config, its own registry entry, credentials for its own proxies.
  const objects = await api('GET', '/v1/objects?kind=Workload', cred);
  assert.equal(objects.status, 200);
  assert.ok((objects.body as unknown as { metadata: { name: string } }[]).some((o) => o.metadata.name === 'api'));
  const pt = await api('POST', '/v1/hosts/b/proxy-tokens', cred, { name: 'api-0', kind: 'sidecar', workload: 'api', namespace: 'default', serviceAccount: 'api-sa' });
  assert.equal(pt.status, 200, JSON.stringify(pt.body));
  assert.equal(typeof pt.body.token, 'string');
  const reg = await api('PUT', '/v1/registry/b', cred, { endpoints: [], proxies: [] });
  assert.equal(reg.status, 200);

  // Not its own workloads, not another host's entry, not config changes.
  const web = await api('POST', '/v1/hosts/b/proxy-tokens', cred, { name: 'web-0', kind: 'sidecar', workload: 'web', namespace: 'default', serviceAccount: 'default' });
  assert.equal(web.status, 403);
  assert.match(String(web.body.error), /runs on the control plane's host, not b/);
  assert.equal((await api('PUT', '/v1/registry/local', cred, { endpoints: [], proxies: [] })).status, 403);
  assert.equal((await api('POST', '/v1/join-tokens', cred, {})).status, 403);
  // The admin sees the host.
  const list = await api('GET', '/v1/hosts', adminToken());
  assert.deepEqual((list.body as unknown as { name: string }[]).map((h) => h.name), ['b']);
  // A bad ttl is refused with what is allowed.
  const bad = await mesh.cli(['token', 'create', '--ttl', '48h']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /ttl must be a duration between 1s and 24h/);
});

function adminToken(): string {
  return (JSON.parse(readFileSync(path.join(mesh.dir, '.weft', 'secrets.json'), 'utf8')) as { adminToken: string }).adminToken;
}
