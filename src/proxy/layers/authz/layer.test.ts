// The authz layer wires the request into the engine (src/policy/authz, tested there): what the layer adds is
// which request attributes it passes, the 403 it raises, what the caller may see, and what it logs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthzPolicySnap } from '../../../api/snapshot.js';
import type { Ctx } from '../../context.js';
import { ProxyError } from '../../errors.js';
import { authz } from './layer.js';

const WEB = 'spiffe://cluster.local/ns/shop/sa/web';

function ctx(o: { peer?: string; ip?: string; method?: string; path?: string; host?: string; headers?: Record<string, string | string[]> } = {}): Ctx {
  return {
    peer: o.peer === undefined ? undefined : { spiffeId: o.peer, hash: 'ab' },
    conn: { remoteAddress: o.ip ?? '10.0.0.5' },
    method: o.method ?? 'GET',
    path: o.path ?? '/',
    authority: o.host ?? 'shop.local',
    reqHeaders: o.headers ?? {},
  } as unknown as Ctx;
}

/** Runs one request through the layer: "passed" when the inner service ran, else the error's code and public detail. */
async function run(policies: AuthzPolicySnap[], c: Ctx, log: string[] = [], port = 8080): Promise<string> {
  const svc = authz({ policies, port, log: (m) => log.push(m) })(async () => {});
  try {
    await svc(c);
    return 'passed';
  } catch (e) {
    assert.ok(e instanceof ProxyError, String(e));
    return `${e.code} ${e.status} ${e.publicDetail ?? ''}`;
  }
}

describe('authz layer', () => {
  it('with no policy the inner service is the stack itself', () => {
    const inner = async () => {};
    assert.equal(authz({ policies: [], port: 8080, log: () => {} })(inner), inner);
  });

  it('passes the peer, address, method, path, Host, port and headers to the policy', async () => {
    const allow: AuthzPolicySnap = {
      name: 'shop/allow', action: 'ALLOW', rules: [{
        from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'], ipBlocks: ['10.0.0.0/24'] } }],
        to: [{ operation: { methods: ['POST'], paths: ['/orders'], hosts: ['shop.local'], ports: ['8080'] } }],
        when: [{ key: 'request.headers[x-tenant]', values: ['a'] }],
      }],
    };
    const ok = { peer: WEB, method: 'POST', path: '/orders', headers: { 'x-tenant': ['b', 'a'] } };
    assert.equal(await run([allow], ctx(ok)), 'passed');
    for (const [what, over] of [
      ['plaintext', { peer: undefined }], ['other address', { ip: '10.0.1.5' }], ['method', { method: 'GET' }], ['path', { path: '/orders/1' }],
      ['host', { host: 'other.local' }], ['header', { headers: { 'x-tenant': 'b' } }],
    ] as const) {
      assert.equal(await run([allow], ctx({ ...ok, ...over })), 'rbac-denied 403 no ALLOW policy matched', what);
    }
    assert.equal(await run([allow], ctx(ok), [], 9090), 'rbac-denied 403 no ALLOW policy matched', 'port');
  });

  it('a denial names the policy to the caller and in the log, never its contents', async () => {
    const log: string[] = [];
    const deny: AuthzPolicySnap = { name: 'shop/deny-admin', action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }] };
    assert.equal(await run([deny], ctx({ peer: WEB, path: '/admin/x' }), log), 'rbac-denied 403 policy shop/deny-admin');
    assert.deepEqual(log, [`denied GET /admin/x from ${WEB}: policy shop/deny-admin`]);
  });

  it('logs AUDIT matches whatever the decision', async () => {
    const log: string[] = [];
    const audit: AuthzPolicySnap = { name: 'shop/audit', action: 'AUDIT', rules: [{}] };
    assert.equal(await run([audit], ctx({ path: '/x' }), log), 'passed');
    assert.deepEqual(log, ['audit shop/audit: GET /x from plaintext -> allowed']);
  });
});
