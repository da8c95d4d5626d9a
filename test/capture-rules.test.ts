// `weft capture install|remove` against real iptables in a fresh network namespace: one set of rules however
// often it runs, nothing left after remove, and the Services' names in the namespace's hosts file.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { CLI } from './helpers/mesh.js';
import { Netns, netnsUnavailable } from './helpers/netns.js';
import { captureRules, withHostsBlock } from '../src/cli/capture.js';
import { serviceAddresses } from '../src/api/vip.js';
import { meshDoc, serviceDoc } from './helpers/yaml.js';

describe('capture rules (pure)', () => {
  it('return early for loopback, the proxy uid and excluded ports, then redirect TCP', () => {
    const r = captureRules({ proxyUid: 1337, outboundPort: 15001, inboundPort: 15006, appPorts: [8080], excludePorts: [5432] });
    assert.deepEqual(r.output.map((x) => x.join(' ')), [
      '-o lo -m owner ! --uid-owner 1337 -j RETURN',
      '-m owner --uid-owner 1337 -j RETURN',
      '-d 127.0.0.1/32 -j RETURN',
      '-p tcp --dport 5432 -j RETURN',
      '-p tcp -j REDIRECT --to-ports 15001',
    ]);
    assert.deepEqual(r.inbound.map((x) => x.join(' ')), ['-p tcp --dport 8080 -j REDIRECT --to-ports 15006']);
    assert.deepEqual(captureRules({ proxyUid: 1, outboundPort: 2, appPorts: [], excludePorts: [] }).inbound, []);
  });

  it("the hosts block is replaced, not added twice, and removal keeps the file's own lines", () => {
    const base = '127.0.0.1 localhost\n';
    const once = withHostsBlock(base, ['240.240.0.9 catalog']);
    assert.equal(withHostsBlock(once, ['240.240.0.9 catalog']), once);
    assert.equal(withHostsBlock(withHostsBlock(once, ['240.240.0.7 web']), []), base);
  });
});

describe('weft capture in a network namespace', { skip: netnsUnavailable() }, () => {
  let ns: Netns;
  let dir: string;
  before(() => {
    ns = new Netns();
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-capture-rules-'));
    writeFileSync(path.join(dir, 'mesh.yaml'), [meshDoc('rules'), serviceDoc('catalog'), serviceDoc('db', ['{ port: 6379 }'])].join('---\n'));
  });
  after(() => {
    ns.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  const weft = (...args: string[]) => {
    const r = spawnSync(ns.exec[0], [...ns.exec.slice(1), process.execPath, CLI, 'capture', ...args], { encoding: 'utf8', cwd: dir, timeout: 30_000 });
    assert.equal(r.status, 0, `weft capture ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const rules = () => ns.run('iptables', '-t', 'nat', '-S');

  it('install twice leaves one set of rules; remove (twice) leaves no WEFT chain', () => {
    const empty = rules();
    const install = ['install', '--proxy-uid', '1337', '--outbound-port', '15001', '--inbound-port', '15006', '--app-ports', '8080,9090', '--exclude-ports', '5432', '--hosts', '-f', 'mesh.yaml'];
    weft(...install);
    const first = rules();
    assert.match(first, /^-A OUTPUT -p tcp -j WEFT_OUTPUT$/m);
    assert.match(first, /^-A PREROUTING -p tcp -j WEFT_INBOUND$/m);
    assert.match(first, /^-A WEFT_OUTPUT -m owner --uid-owner 1337 -j RETURN$/m);
    assert.match(first, /^-A WEFT_OUTPUT -p tcp -j REDIRECT --to-ports 15001$/m);
    assert.match(first, /^-A WEFT_INBOUND -p tcp -m tcp --dport 9090 -j REDIRECT --to-ports 15006$/m);
    weft(...install);
    assert.equal(rules(), first, 'a second install changes nothing');
    assert.equal(first.match(/-j WEFT_OUTPUT/g)?.length, 1);

    const hosts = readFileSync(ns.hostsFile, 'utf8');
    const vip = serviceAddresses([{ namespace: 'default', name: 'catalog' }, { namespace: 'default', name: 'db' }]).get('default/catalog');
    assert.match(hosts, new RegExp(`^${vip!.replace(/\./g, '\\.')} catalog catalog\\.default `, 'm'));
    assert.match(hosts, /^127\.0\.0\.1 localhost$/m);
    weft('install', '--proxy-uid', '1337', '--outbound-port', '15001', '--hosts', '-f', 'mesh.yaml');
    assert.equal(readFileSync(ns.hostsFile, 'utf8'), hosts, 'the hosts block is replaced, not repeated');
    assert.doesNotMatch(rules(), /WEFT_INBOUND/, 'an install without inbound capture takes the earlier one away');

    weft('remove');
    assert.doesNotMatch(rules(), /WEFT/);
    assert.equal(rules(), empty);
    weft('remove');
    assert.equal(rules(), empty);
    assert.ok(existsSync(ns.hostsFile));
    assert.doesNotMatch(readFileSync(ns.hostsFile, 'utf8'), /weft|catalog/);
  });

  it('refuses --inbound-port without --app-ports, and --hosts without files (exit 2)', () => {
    for (const args of [['--inbound-port', '15006'], ['--hosts']]) {
      const r = spawnSync(ns.exec[0], [...ns.exec.slice(1), process.execPath, CLI, 'capture', 'install', '--proxy-uid', '1', '--outbound-port', '15001', ...args], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /--app-ports|-f/);
    }
    assert.doesNotMatch(rules(), /WEFT/, 'a refused install sets nothing');
  });
});
