import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSockaddrIn } from './origdst.js';
import { CaptureListener } from './listener.js';
import { Netns, netnsUnavailable } from '../../../test/helpers/netns.js';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('original destination', () => {
  it('parses a struct sockaddr_in (family in host order, port and address in network order)', () => {
    const b = Buffer.from([2, 0, 0x1f, 0x90, 240, 240, 7, 9, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(parseSockaddrIn(b), { address: '240.240.7.9', port: 8080 });
    assert.equal(parseSockaddrIn(Buffer.from([10, 0, 0, 80, 0, 0, 0, 0])), undefined, 'AF_INET6 is not read as IPv4');
  });

  it('a connection made straight to the capture port is closed, not routed back to itself', async () => {
    const routed: unknown[] = [];
    const l = new CaptureListener((s, dst) => { routed.push(dst); s.destroy(); });
    const port = await l.listen(0, '127.0.0.1');
    const closed = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      c.on('error', () => {});
      c.on('close', () => resolve(true));
    });
    assert.ok(closed);
    assert.deepEqual(routed, []);
    assert.equal(l.unredirected, 1);
    await l.drain(0);
  });

  it('reads the address an iptables REDIRECT replaced, and routes the connection by it', { skip: netnsUnavailable() }, async () => {
    const ns = new Netns();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-capture-'));
    try {
      // Inside the namespace: a capture listener that answers with the destination it read, and a client
      // that calls a service address and an address outside the mesh; iptables sends both to the listener.
      const script = path.join(dir, 'redirect.mjs');
      writeFileSync(script, `
        import net from 'node:net';
        import { CaptureListener } from ${JSON.stringify(path.join(here, 'listener.js'))};
        const l = new CaptureListener((s, dst) => s.end(JSON.stringify(dst)));
        const port = await l.listen(0, '127.0.0.1');
        const { execFileSync } = await import('node:child_process');
        execFileSync('iptables', ['-t', 'nat', '-A', 'OUTPUT', '-p', 'tcp', '!', '-d', '127.0.0.0/8', '-j', 'REDIRECT', '--to-ports', String(port)]);
        const ask = (host, p) => new Promise((resolve, reject) => {
          let got = '';
          const c = net.connect(p, host);
          c.on('data', (d) => (got += d));
          c.on('end', () => resolve(JSON.parse(got)));
          c.on('error', reject);
        });
        console.log(JSON.stringify([await ask('240.240.1.2', 8080), await ask('192.0.2.7', 443)]));
        await l.drain(0);
      `);
      const out = await new Promise<string>((resolve, reject) => {
        const c = spawn(ns.exec[0], [...ns.exec.slice(1), process.execPath, script], { stdio: ['ignore', 'pipe', 'pipe'] });
        let o = '', e = '';
        const timer = setTimeout(() => c.kill(), 20_000);
        c.stdout.on('data', (d) => (o += d));
        c.stderr.on('data', (d) => (e += d));
        c.on('close', (code) => { clearTimeout(timer); if (code === 0) resolve(o); else reject(new Error(`exit ${code}: ${e}`)); });
      });
      assert.deepEqual(JSON.parse(out), [{ address: '240.240.1.2', port: 8080 }, { address: '192.0.2.7', port: 443 }]);
    } finally {
      ns.remove();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
