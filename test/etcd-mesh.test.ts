// A whole mesh (`weft up`) whose control plane keeps its store in a real etcd (WEFT_STORE and
// WEFT_STORE_KEY_FILE reach `weft control`): traffic flows, the config and the sealed CA are in etcd, and a
// mesh started again on the same etcd finds the same CA there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Etcd3 } from 'etcd3';
import { startEtcd, type EtcdCluster } from './helpers/etcd.js';
import { TestMesh, ECHO, freePort, httpCall } from './helpers/mesh.js';
import { docs, edgeDocs, meshDoc, serviceDoc, workloadDoc } from './helpers/yaml.js';

let etcd: EtcdCluster;
let keyDir: string;
before(async () => {
  etcd = await startEtcd();
  keyDir = mkdtempSync(path.join(os.tmpdir(), 'weft-etcd-key-'));
});
after(async () => {
  await etcd?.close();
  rmSync(keyDir, { recursive: true, force: true });
});

test('weft up with its store in etcd: traffic flows, config and sealed CA are in etcd, and a restart finds the same CA', async () => {
  const keyFile = path.join(keyDir, 'store.key');
  writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  const prefix = `/weft-mesh-${process.pid}/`;
  const env = { WEFT_STORE: etcd.storeUrl(prefix), WEFT_STORE_KEY_FILE: keyFile };
  const gw = await freePort();
  const yaml = docs(meshDoc('onetcd'), workloadDoc('echo', { args: [ECHO], probe: '/healthz' }), serviceDoc('echo'), edgeDocs(gw, 'echo'));
  const bundles: string[] = [];
  for (const round of [1, 2]) {
    const mesh = new TestMesh(yaml);
    try {
      await mesh.start(env);
      await mesh.waitAllSynced();
      assert.match(readFileSync(path.join(mesh.dir, '.weft', 'logs', 'control.log'), 'utf8'), /store=etcd:\/\/127\.0\.0\.1:\d+\/weft-mesh-\d+\/ store-key=[0-9a-f]{8}/);
      const r = await httpCall(gw, '/hello');
      assert.equal(r.status, 200, `round ${round}: ${r.body}`);
      const client = new Etcd3({ hosts: etcd.endpoints });
      try {
        const kv = await client.getAll().prefix(prefix).strings();
        assert.ok(Object.keys(kv).some((k) => k.startsWith(`${prefix}objects/Workload/`)), Object.keys(kv).join(' '));
        assert.ok(`${prefix}state/registry` in kv, 'the endpoint registry is in etcd');
        const ca = kv[`${prefix}state/ca`];
        assert.doesNotMatch(ca, /PRIVATE KEY/);
        bundles.push(JSON.stringify(JSON.parse(ca).bundle));
      } finally {
        client.close();
      }
    } finally {
      await mesh.stop();
      rmSync(mesh.dir, { recursive: true, force: true });
    }
  }
  assert.equal(bundles[1], bundles[0], 'the second mesh (a fresh state directory) found the CA in etcd');
});
