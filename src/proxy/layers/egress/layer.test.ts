import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { egress } from './layer.js';
import { ProxyError } from '../../errors.js';
import { mockInner, testCtx } from '../../stack/testing.js';
import type { RouteTable } from '../route/layer.js';
import type { CompiledRoute } from '../route/compile.js';

/** A route table that knows one mesh host: what the route layer would route on. */
const table: RouteTable = (ctx) => (ctx.authority.split(':')[0] === 'reviews.shop' ? ([] as CompiledRoute[]) : undefined);

function setup(policy: 'ALLOW_ANY' | 'REGISTRY_ONLY') {
  const routing = mockInner();
  const passthrough = mockInner();
  return { routing, passthrough, svc: egress({ table, policy, passthrough })(routing) };
}

describe('egress', () => {
  for (const policy of ['ALLOW_ANY', 'REGISTRY_ONLY'] as const) {
    it(`${policy}: a mesh host goes on to routing, not to passthrough`, async () => {
      const { routing, passthrough, svc } = setup(policy);
      const ctx = testCtx({ authority: 'reviews.shop:9080' });
      await svc(ctx);
      assert.equal(routing.calls.length, 1);
      assert.equal(passthrough.calls.length, 0);
      assert.equal(ctx.endpoint, undefined, 'routing picks the endpoint, not egress');
    });
  }

  it('ALLOW_ANY: a non-mesh host passes through to the host and port the app named', async () => {
    const { routing, passthrough, svc } = setup('ALLOW_ANY');
    const ctx = testCtx({ authority: 'api.example.com:8080' });
    await svc(ctx);
    assert.equal(routing.calls.length, 0);
    assert.equal(passthrough.calls.length, 1);
    assert.deepEqual(ctx.endpoint, { proxy: '', address: 'api.example.com', port: 8080, ready: true, labels: {}, workload: '', tls: 'plaintext' });
    assert.equal(ctx.res.answer.status, 200, 'the passthrough service answers');
  });

  it('ALLOW_ANY: without a port the passthrough goes to 80; IPv6 literals lose their brackets', async () => {
    const { passthrough, svc } = setup('ALLOW_ANY');
    const a = testCtx({ authority: 'example.org' });
    await svc(a);
    assert.equal(a.endpoint?.address, 'example.org');
    assert.equal(a.endpoint?.port, 80);
    const b = testCtx({ authority: '[::1]:9000' });
    await svc(b);
    assert.equal(b.endpoint?.address, '::1');
    assert.equal(b.endpoint?.port, 9000);
    assert.equal(passthrough.calls.length, 2);
  });

  it('REGISTRY_ONLY: a non-mesh host is refused with registry-only, and nothing is called', async () => {
    const { routing, passthrough, svc } = setup('REGISTRY_ONLY');
    const ctx = testCtx({ authority: 'api.example.com' });
    await assert.rejects(svc(ctx), (e: unknown) => {
      assert.ok(e instanceof ProxyError);
      assert.equal(e.code, 'registry-only');
      assert.equal(e.status, 502);
      assert.match(e.message, /api\.example\.com is not a mesh service/);
      return true;
    });
    assert.equal(routing.calls.length, 0);
    assert.equal(passthrough.calls.length, 0);
    assert.equal(ctx.endpoint, undefined);
  });
});
