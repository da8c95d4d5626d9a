import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry, type RuntimeReport } from './index.js';
import { createMemoryStore, openFileStore } from '../store/store.js';
import type { RegisteredEndpoint } from '../../api/control-api.js';

function ep(proxy: string, port: number, ready = true): RegisteredEndpoint {
  return { proxy, workload: proxy.replace(/-\d+$/, ''), namespace: 'shop', serviceAccount: 'default', address: '127.0.0.1', port, ready, labels: { app: 'x' } };
}

function report(...eps: RegisteredEndpoint[]): RuntimeReport {
  return {
    endpoints: eps,
    proxies: eps.map((e) => ({ name: e.proxy, kind: 'sidecar' as const, workload: e.workload, namespace: e.namespace, serviceAccount: e.serviceAccount })),
    processes: eps.map((e) => ({ proxy: e.proxy, role: 'proxy' as const, pid: 100 + e.port, running: true, restarts: 0 })),
  };
}

function counting(r: Registry): { n: number } {
  const c = { n: 0 };
  r.onChange(() => c.n++);
  return c;
}

describe('Registry', () => {
  it('starts empty on an empty store', () => {
    const r = new Registry(createMemoryStore());
    assert.deepEqual(r.endpoints(), []);
    assert.deepEqual(r.expectedProxies(), []);
    assert.deepEqual(r.processes(), []);
  });

  it("a report replaces everything that runtime said before, and leaves other runtimes' reports alone", async () => {
    const r = new Registry(createMemoryStore());
    assert.equal(await r.report('a', report(ep('web-0', 1001), ep('web-1', 1002))), true);
    assert.equal(await r.report('b', report(ep('api-0', 2001))), true);
    assert.deepEqual(r.endpoints().map((e) => e.proxy).sort(), ['api-0', 'web-0', 'web-1']);
    // Runtime a now runs one replica, not ready: web-1 is gone, web-0 changed.
    assert.equal(await r.report('a', report(ep('web-0', 1001, false))), true);
    assert.deepEqual(r.endpoints().map((e) => [e.proxy, e.ready]).sort(), [['api-0', true], ['web-0', false]]);
    assert.deepEqual(r.expectedProxies().map((p) => p.name).sort(), ['api-0', 'web-0']);
    assert.deepEqual(r.processes().map((p) => p.proxy).sort(), ['api-0', 'web-0']);
  });

  it('a repeated identical report changes nothing and does not fire', async () => {
    const r = new Registry(createMemoryStore());
    const c = counting(r);
    assert.equal(await r.report('a', report(ep('web-0', 1001))), true);
    assert.equal(c.n, 1);
    // A structurally equal copy, not the same object.
    assert.equal(await r.report('a', report(ep('web-0', 1001))), false);
    assert.equal(c.n, 1);
    assert.equal(await r.report('a', report(ep('web-0', 1002))), true);
    assert.equal(c.n, 2);
  });

  it("forget drops one runtime's report and fires; forgetting an unknown runtime does nothing", async () => {
    const r = new Registry(createMemoryStore());
    await r.report('a', report(ep('web-0', 1001)));
    await r.report('b', report(ep('api-0', 2001)));
    const c = counting(r);
    await r.forget('nobody');
    assert.equal(c.n, 0);
    await r.forget('a');
    assert.equal(c.n, 1);
    assert.deepEqual(r.endpoints().map((e) => e.proxy), ['api-0']);
    assert.deepEqual(r.expectedProxies().map((p) => p.name), ['api-0']);
    // Reporting again after forget is a change.
    assert.equal(await r.report('a', report(ep('web-0', 1001))), true);
  });

  it('every listener hears every change', async () => {
    const r = new Registry(createMemoryStore());
    const a = counting(r), b = counting(r);
    await r.report('a', report(ep('web-0', 1001)));
    await r.forget('a');
    assert.deepEqual([a.n, b.n], [2, 2]);
  });

  it('persists through the store: a new Registry on the same store sees the reports', async () => {
    const store = createMemoryStore();
    const r = new Registry(store);
    await r.report('a', report(ep('web-0', 1001)));
    await r.report('b', report(ep('api-0', 2001)));
    await r.forget('b');
    const again = new Registry(store);
    assert.deepEqual(again.endpoints(), [ep('web-0', 1001)]);
    assert.deepEqual(again.expectedProxies().map((p) => p.name), ['web-0']);
    // And it compares against what it loaded: the same report is no change.
    assert.equal(await again.report('a', report(ep('web-0', 1001))), false);
  });

  it('persists across a restart of a file store (the control plane restarting)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-registry-'));
    try {
      const s1 = await openFileStore(dir);
      await new Registry(s1).report('local', report(ep('web-0', 1001), ep('web-1', 1002)));
      await s1.close();
      const s2 = await openFileStore(dir);
      try {
        const r = new Registry(s2);
        assert.deepEqual(r.endpoints().map((e) => e.proxy).sort(), ['web-0', 'web-1']);
        assert.equal(r.processes().length, 2);
      } finally {
        await s2.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
