// Certificates over time on a real mesh with short-lived certificates: renewal and CA rotation under a
// steady counted load lose no request; expiry with the control plane away fails closed and recovers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestMesh, freePort, httpCall, waitFor } from './helpers/mesh.js';
import { securityYaml } from './helpers/yaml.js';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createAuthority } from '../src/control/ca/authority.js';

let mesh: TestMesh;
let gw: number;

async function steady(ms: number, concurrency = 4): Promise<{ ok: number; failed: number; sample: string[] }> {
  const end = Date.now() + ms;
  let ok = 0, failed = 0;
  const sample: string[] = [];
  await Promise.all(Array.from({ length: concurrency }, async (_, i) => {
    while (Date.now() < end) {
      try {
        const r = await httpCall(gw, i % 2 ? '/call/api/x' : '/steady');
        if (r.status === 200) ok++;
        else { failed++; if (sample.length < 5) sample.push(`${r.status} ${r.headers['x-weft-error'] ?? ''} ${r.body.slice(0, 100)}`); }
      } catch (e) {
        failed++;
        if (sample.length < 5) sample.push(String(e));
      }
    }
  }));
  return { ok, failed, sample };
}

const serials = async () => {
  const s = await mesh.status();
  const out: Record<string, string> = {};
  for (const p of s.proxies) {
    const r = await mesh.cli(['identity', p.name, '-o', 'json']);
    out[p.name] = JSON.parse(r.stdout).certificate?.serial;
  }
  return out;
};

before(async () => {
  gw = await freePort();
  mesh = new TestMesh(securityYaml(gw));
  // 12 s certificates: renewal every ~6 s.
  await mesh.start({ WEFT_CERT_LIFETIME: '12s', WEFT_CONTROL_RESTART_DELAY_MS: '15000' });
  await mesh.waitAllSynced();
  await waitFor('traffic', async () => (await httpCall(gw, '/hello')).status === 200);
});

after(async () => {
  if (mesh?.proc && mesh.proc.exitCode === null) await mesh.stop();
});

test('renewal under steady load loses no request and changes every serial', async () => {
  const first = await serials();
  const load = await steady(9000);
  const second = await serials();
  console.log(`# renewal under load: ${load.ok} ok, ${load.failed} failed over 9 s`);
  assert.equal(load.failed, 0, load.sample.join('\n'));
  assert.ok(load.ok > 200);
  for (const [name, serial] of Object.entries(first)) assert.notEqual(second[name], serial, `${name} renewed`);
});

test('CA rotation under steady load loses no request', async () => {
  const loading = steady(8000);
  const r = await mesh.cli(['ca', 'rotate']);
  const load = await loading;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /old root removed from every proxy/);
  console.log(`# CA rotation under load: ${load.ok} ok, ${load.failed} failed`);
  assert.equal(load.failed, 0, load.sample.join('\n'));
  const check = JSON.parse((await mesh.cli(['check', '-o', 'json'])).stdout) as { check: string; status: string; message: string }[];
  const bundle = check.find((c) => c.check.includes('same bundle'))!;
  assert.equal(bundle.status, 'PASS', bundle.message);
  assert.match(bundle.message, /^1 root/);
});

test("weft ca import switches the mesh to an organisation's own CA", async () => {
  const org = await createAuthority('sec.local', new Date());
  const files = { root: path.join(mesh.dir, 'org-root.pem'), cert: path.join(mesh.dir, 'org-int.pem'), key: path.join(mesh.dir, 'org-int.key') };
  writeFileSync(files.root, org.rootCertPem);
  writeFileSync(files.cert, org.intermediateCertPem);
  writeFileSync(files.key, org.intermediateKeyPem, { mode: 0o600 });
  const bad = await mesh.cli(['ca', 'import', '--root', files.root, '--cert', files.root, '--key', files.key]);
  assert.equal(bad.code, 1, 'a root is not a signing intermediate for that key');
  const r = await mesh.cli(['ca', 'import', '--root', files.root, '--cert', files.cert, '--key', files.key]);
  assert.equal(r.code, 0, r.stderr);
  const bundle = (await mesh.cli(['ca', 'bundle'])).stdout;
  assert.equal(bundle.trim(), org.rootCertPem.trim());
  await waitFor('traffic on certificates from the imported CA', async () => (await httpCall(gw, '/hello')).status === 200, 20_000, 100);
  const check = JSON.parse((await mesh.cli(['check', '-o', 'json'])).stdout) as { check: string; status: string; message: string }[];
  assert.equal(check.find((c) => c.check.includes('same bundle'))!.status, 'PASS');
});

test('with the control plane away past expiry the mesh fails closed, then recovers by itself', async () => {
  const st = await mesh.status();
  process.kill(st.control.pid, 'SIGKILL');
  await waitFor('a proxy to report its certificate expired', () => /certificate expired at .* failing closed/.test(mesh.output), 30_000, 100);
  await waitFor('requests to fail closed', async () => (await httpCall(gw, '/hello')).status === 503, 15_000, 100);
  const r = await httpCall(gw, '/hello');
  assert.equal(r.status, 503);
  assert.equal(r.headers['x-weft-error'], 'connect-failure');
  await waitFor('recovery after the control plane returns', async () => (await httpCall(gw, '/hello')).status === 200, 40_000, 200);
  assert.match(mesh.output, /recovered: certificate/);
  await mesh.waitAllSynced();
});
