import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { chooseMesh, findControl, findMesh, listRunFiles, MeshChoiceError, writeRunFile, type RunFile } from './discovery.js';

// Real directories, so the choice's realpath comparisons see what a user's shell would.
const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'weft-discovery-')));
const dir = (...p: string[]) => {
  const d = path.join(root, ...p);
  mkdirSync(d, { recursive: true });
  return d;
};
let port = 41000;
const run = (mesh: string, project: string, pid = process.pid): RunFile => ({
  url: `http://127.0.0.1:${++port}`, xds: `https://127.0.0.1:${++port}`, token: `token-${mesh}-${port}`, pid,
  stateDir: dir(project, '.weft'), mesh, startedAt: `2026-12-04T17:0${port % 10}:00.000Z`,
});

const shop = run('shop', 'shop');
const demo = run('demo', 'demo');
const inner = run('inner', 'shop/services/inner');
const q = (o: { cwd: string; mesh?: string; control?: string; envControl?: string; envToken?: string }) => o;

test('one running mesh is chosen from anywhere, and says nothing about it', () => {
  const c = chooseMesh(q({ cwd: dir('elsewhere') }), [shop]);
  assert.equal(c.target.url, shop.url);
  assert.equal(c.target.token, shop.token);
  assert.equal(c.note, undefined);
});

test('no running mesh: an error that says how to start one', () => {
  assert.throws(() => chooseMesh(q({ cwd: root }), []), (e: Error) => e instanceof MeshChoiceError && /no running mesh found: start one with `weft up/.test(e.message));
});

test('several running: the mesh of the current directory (or a subdirectory of it) wins, and is named on stderr', () => {
  for (const cwd of [dir('shop'), dir('shop', 'src', 'deep'), shop.stateDir]) {
    const c = chooseMesh(q({ cwd }), [demo, shop]);
    assert.equal(c.target.url, shop.url, cwd);
    assert.equal(c.note, `mesh shop (${shop.stateDir})`);
  }
});

test('nested projects: the closest mesh around the cwd wins', () => {
  assert.equal(chooseMesh(q({ cwd: dir('shop', 'services', 'inner', 'src') }), [shop, inner, demo]).run, inner);
  assert.equal(chooseMesh(q({ cwd: dir('shop', 'services') }), [shop, inner, demo]).run, shop);
});

test('a directory whose name only starts like a project is not inside it', () => {
  assert.throws(() => chooseMesh(q({ cwd: dir('shop2') }), [shop, demo]), MeshChoiceError);
});

test('no mesh around the cwd: the closest state dir below it', () => {
  const other = run('other', 'far/away/other');
  assert.equal(chooseMesh(q({ cwd: root }), [other, shop]).run, shop);
});

test('several running and none here: refuses to guess, lists each (name, state dir, url) and says how to choose', () => {
  const away = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'weft-elsewhere-')));
  assert.throws(() => chooseMesh(q({ cwd: away }), [shop, demo]), (e: Error) => {
    assert.ok(e instanceof MeshChoiceError);
    assert.match(e.message, /2 meshes are running and none belongs to the current directory; choose one with --mesh NAME/);
    for (const r of [shop, demo]) assert.match(e.message, new RegExp(`${r.mesh}\\s+${r.stateDir}\\s+${r.url}`));
    return true;
  });
});

test('--mesh by name, by state dir, by project dir (relative to the cwd)', () => {
  const live = [shop, demo, inner];
  assert.equal(chooseMesh(q({ cwd: root, mesh: 'demo' }), live).run, demo);
  assert.equal(chooseMesh(q({ cwd: dir('shop'), mesh: 'demo' }), live).run, demo, 'the flag beats the current directory');
  assert.equal(chooseMesh(q({ cwd: root, mesh: demo.stateDir }), live).run, demo);
  assert.equal(chooseMesh(q({ cwd: root, mesh: 'shop/.weft' }), live).run, shop);
  assert.equal(chooseMesh(q({ cwd: dir('shop'), mesh: 'services/inner' }), live).run, inner);
  assert.equal(chooseMesh(q({ cwd: root, mesh: 'demo' }), live).note, `mesh demo (${demo.stateDir})`);
});

test('--mesh that matches nothing running: lists what runs; one whose control plane exited says so', () => {
  assert.throws(() => chooseMesh(q({ cwd: root, mesh: 'nosuch' }), [shop, demo]), /no running mesh matches --mesh nosuch[^]*demo[^]*shop/);
  const dead = run('old', 'old', 999_999_999);
  assert.throws(() => chooseMesh(q({ cwd: root, mesh: 'old' }), [shop], [shop, dead]), /mesh old is not running \(its control plane, pid 999999999, has exited\)/);
});

test('two running meshes with one name: --mesh NAME asks for the state dir', () => {
  const twin = run('shop', 'copy-of-shop');
  assert.throws(() => chooseMesh(q({ cwd: root, mesh: 'shop' }), [shop, twin]), /2 running meshes match --mesh shop; pass the state dir instead/);
  assert.equal(chooseMesh(q({ cwd: root, mesh: twin.stateDir }), [shop, twin]).run, twin);
});

test('--control, then --mesh, then WEFT_CONTROL; the token comes from the run file or WEFT_TOKEN', () => {
  const live = [shop, demo];
  const c = chooseMesh(q({ cwd: dir('shop'), envControl: `${demo.url}/` }), live);
  assert.deepEqual(c.target, { url: demo.url, token: demo.token });
  assert.equal(chooseMesh(q({ cwd: root, control: shop.url, envControl: demo.url }), live).target.url, shop.url);
  assert.equal(chooseMesh(q({ cwd: root, mesh: 'shop', envControl: demo.url }), live).target.url, shop.url);
  assert.deepEqual(chooseMesh(q({ cwd: root, control: 'http://10.0.0.9:7000', envToken: 't0k' }), live).target, { url: 'http://10.0.0.9:7000', token: 't0k' });
  assert.throws(() => chooseMesh(q({ cwd: root, control: 'http://10.0.0.9:7000' }), live), /no credential for control plane http:\/\/10\.0\.0\.9:7000: set WEFT_TOKEN/);
  assert.throws(() => chooseMesh(q({ cwd: root, control: shop.url, mesh: 'shop' }), live), /--control and --mesh both given/);
});

test('findMesh reads run files under WEFT_HOME, skips those whose pid has exited, and uses the cwd', () => {
  const home = dir('home');
  const saved = { home: process.env.WEFT_HOME, control: process.env.WEFT_CONTROL, token: process.env.WEFT_TOKEN, cwd: process.cwd() };
  process.env.WEFT_HOME = home;
  delete process.env.WEFT_CONTROL;
  delete process.env.WEFT_TOKEN;
  try {
    // A pid that surely exited: a child we waited for.
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
    writeRunFile(shop);
    writeRunFile({ ...demo, pid: deadPid });
    assert.equal(listRunFiles().length, 1);
    assert.equal(listRunFiles(true).length, 2);
    process.chdir(root);
    const one = findMesh();
    assert.equal(one.target.url, shop.url, 'the only live mesh, although the other run file is there');
    assert.equal(one.note, undefined);
    assert.throws(() => findMesh({ mesh: 'demo' }), /mesh demo is not running/);

    writeRunFile(demo); // demo is back, with a live pid
    const away = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'weft-elsewhere-')));
    process.chdir(away);
    assert.throws(() => findMesh(), /2 meshes are running/);
    assert.equal(findControl(shop.url).token, shop.token, 'a --control URL finds its token in the run file');
    process.chdir(dir('demo', 'src'));
    assert.equal(findMesh().target.url, demo.url);
    assert.equal(findMesh().note, `mesh demo (${demo.stateDir})`);
    process.env.WEFT_CONTROL = shop.url;
    assert.equal(findMesh().target.token, shop.token);
    assert.equal(findMesh({ mesh: 'demo' }).target.url, demo.url);
  } finally {
    process.chdir(saved.cwd);
    for (const [k, v] of [['WEFT_HOME', saved.home], ['WEFT_CONTROL', saved.control], ['WEFT_TOKEN', saved.token]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});
