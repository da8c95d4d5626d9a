// Validation and compile agree: what the validator (src/api/kinds/authorization-policy.ts) accepts compiles,
// and everything compile refuses, the validator has refused first at the same field. That is what lets
// compile trust its input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDocuments } from '../../api/load.js';
import type { AuthorizationPolicy, AuthzRule } from '../../api/types.js';
import { AuthzCompileError, compileAuthz } from './index.js';

/** Validates an AuthorizationPolicy spec (YAML is a superset of JSON); the errors as "path: message". */
function validate(spec: object): { errors: string[]; policy?: AuthorizationPolicy } {
  const text = ['apiVersion: security.istio.io/v1', 'kind: AuthorizationPolicy', 'metadata: {name: a, namespace: ns}', `spec: ${JSON.stringify(spec)}`].join('\n');
  const r = parseDocuments(text, 'p.yaml');
  return { errors: r.errors.map((e) => `${e.path}: ${e.message}`), policy: r.objects[0]?.resource as AuthorizationPolicy | undefined };
}

/** The field compile names in its error, or undefined if it compiled. */
function compileField(spec: { action?: string; rules?: AuthzRule[] }): string | undefined {
  try {
    compileAuthz([{ name: 'ns/a', action: (spec.action ?? 'ALLOW') as 'ALLOW', rules: spec.rules ?? [] }]);
    return undefined;
  } catch (e) {
    assert.ok(e instanceof AuthzCompileError, String(e));
    return e.message.slice('authorization policy ns/a: '.length).split(': ')[0];
  }
}

describe('validation and compile agree', () => {
  it('a policy that validates compiles', () => {
    const specs = [
      {},
      { action: 'DENY', rules: [{}] },
      { action: 'AUDIT', rules: [{ from: [], to: [], when: [] }] },
      {
        selector: { matchLabels: { app: 'catalog' } },
        rules: [{
          from: [
            { source: { principals: ['cluster.local/ns/shop/sa/web', 'spiffe://cluster.local/ns/shop/sa/api'], notNamespaces: ['bank'] } },
            { source: { ipBlocks: ['10.0.0.0/8', '2001:db8::/32', '127.0.0.1'], notIpBlocks: ['10.9.0.0/16'] } },
          ],
          to: [{ operation: { methods: ['GET', 'HEAD'], notMethods: ['*'], paths: ['/api/*', '*.html', '/exact', '*'], notPaths: ['/api/admin*'], hosts: ['*.shop.local', 'shop.local:8080', '[::1]:80'], notHosts: ['x*'], ports: ['8080'], notPorts: ['9090'] } }],
          when: [
            { key: 'request.headers[x-version]', values: ['v1', 'v2*'], notValues: ['*beta'] },
            { key: 'source.namespace', notValues: ['bank'] },
            { key: 'source.ip', values: ['10.0.0.0/8'] },
            { key: 'remote.ip', notValues: ['192.168.0.1', '::1/128'] },
            { key: 'source.principal', values: ['*'] },
            { key: 'destination.port', values: ['8080'] },
          ],
        }],
      },
    ];
    for (const spec of specs) {
      const v = validate(spec);
      assert.deepEqual(v.errors, [], JSON.stringify(spec));
      assert.equal(compileField({ action: v.policy!.spec.action, rules: v.policy!.spec.rules }), undefined, JSON.stringify(spec));
    }
  });

  it('what compile refuses, the validator refuses first, at the same field', () => {
    const bad: { action?: string; rules?: unknown[] }[] = [
      { rules: [{ from: [{ source: { ipBlocks: ['10.0.0.0/33'] } }] }] },
      { rules: [{ from: [{ source: { notIpBlocks: ['10.0.0.300'] } }] }] },
      { rules: [{ from: [{ source: { ipBlocks: ['fe80::1%eth0'] } }] }] },
      { rules: [{ when: [{ key: 'source.ip', values: ['10.0.0.1/40'] }] }] },
      { rules: [{ to: [{ operation: { paths: ['/a*b'] } }] }] },
      { rules: [{ to: [{ operation: { hosts: ['a*b*'] } }] }] },
      { rules: [{ from: [{ source: { principals: ['*a*'] } }] }] },
      { rules: [{ from: [{ source: {} }] }] },
      { rules: [{ from: [{}] }] },
      { rules: [{ to: [{ operation: {} }] }] },
      { rules: [{ from: [{ source: { requestPrincipals: ['*'] } }] }] },
      { rules: [{ to: [{ operation: { ports: ['70000'] } }] }] },
      { rules: [{ when: [{ key: 'destination.port', notValues: ['0'] }] }] },
      { rules: [{ when: [{ key: 'request.auth.claims[iss]', values: ['x'] }] }] },
      { rules: [{ when: [{ key: 'connection.sni', values: ['x'] }] }] },
      { rules: [{ when: [{ key: 'request.method', values: ['GET'] }] }] },
      { rules: [{ when: [{ key: 'request.headers[a b]', values: ['x'] }] }] },
      { rules: [{ when: [{ key: 'source.ip' }] }] },
      { action: 'CUSTOM' },
    ];
    for (const spec of bad) {
      const field = compileField(spec as { action?: string; rules?: AuthzRule[] });
      assert.notEqual(field, undefined, `compile accepts ${JSON.stringify(spec)}`);
      const { errors } = validate(spec);
      assert.ok(errors.some((e) => e.startsWith(`spec.${field}`)), `${JSON.stringify(spec)}: compile refuses ${field}; validation says ${JSON.stringify(errors)}`);
    }
  });
});
