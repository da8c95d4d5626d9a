import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { circuit } from './layer.js';
import { testCtx, mockInner } from '../../stack/testing.js';
import { ProxyError } from '../../errors.js';

describe('circuit layer (maxRequests)', () => {
  function setup(max: number | undefined) {
    const active = new Map<string, number>();
    const overflows: string[] = [];
    const release: (() => void)[] = [];
    let fail = false;
    const inner = mockInner(() => new Promise<void>((resolve, reject) => release.push(() => (fail ? reject(new Error('upstream broke')) : resolve()))));
    const svc = circuit({ limitOf: (c) => (c === 'api.default:80' ? max : undefined), active, overflow: (c, l) => overflows.push(`${c} ${l}`) })(inner);
    const call = (cluster = 'api.default:80') => {
      const ctx = testCtx();
      ctx.cluster = cluster;
      return svc(ctx);
    };
    return { active, overflows, release, inner, call, setFail: (f: boolean) => { fail = f; } };
  }

  it('passes maxRequests requests, refuses the next with overflow at once, and takes one again as one finishes', async () => {
    const t = setup(2);
    const a = t.call();
    const b = t.call();
    await assert.rejects(t.call(), (e: unknown) => e instanceof ProxyError && e.code === 'overflow' && /maxRequests \(2\)/.test(e.message));
    assert.equal(t.inner.calls.length, 2);
    assert.deepEqual(t.overflows, ['api.default:80 max_requests']);
    t.release.shift()!();
    await a;
    const c = t.call();
    assert.equal(t.inner.calls.length, 3);
    t.release.splice(0).forEach((r) => r());
    await Promise.all([b, c]);
    assert.equal(t.active.size, 0);
  });

  it('a failed request frees its place too', async () => {
    const t = setup(1);
    t.setFail(true);
    const a = t.call();
    t.release.shift()!();
    await assert.rejects(a, /upstream broke/);
    assert.equal(t.active.size, 0);
    t.setFail(false);
    const b = t.call();
    t.release.shift()!();
    await b;
  });

  it('clusters without a limit, and other clusters, are not counted', async () => {
    const t = setup(1);
    const held = t.call();
    const other = t.call('web.default:80');
    assert.equal(t.inner.calls.length, 2);
    assert.deepEqual([...t.active.keys()], ['api.default:80']);
    t.release.splice(0).forEach((r) => r());
    await Promise.all([held, other]);
    const none = setup(undefined);
    const x = [none.call(), none.call(), none.call()];
    assert.equal(none.inner.calls.length, 3);
    none.release.splice(0).forEach((r) => r());
    await Promise.all(x);
  });
});
