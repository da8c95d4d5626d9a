import assert from 'node:assert/strict';
import { test } from 'node:test';
import type tls from 'node:tls';
import { compileServerNames, selectContext, type ServerNames } from './gateway.js';

// selectContext only hands back what the table holds: plain tokens stand in for secure contexts.
const ctx = (name: string) => ({ name }) as unknown as tls.SecureContext;
const table = (fallback: boolean): ServerNames => ({
  exact: new Map([['shop.example.com', ctx('exact')]]),
  wildcards: [{ suffix: '.api.example.com', ctx: ctx('api-wildcard') }, { suffix: '.example.com', ctx: ctx('wildcard') }],
  fallback: fallback ? { ctx: ctx('default'), options: {} } : undefined,
});
const pick = (t: ServerNames, name: string) => (selectContext(t, name) as unknown as { name: string } | undefined)?.name;

test('server names: exact first, then the longest wildcard, then the listener without hostname', () => {
  const t = table(true);
  assert.equal(pick(t, 'shop.example.com'), 'exact');
  assert.equal(pick(t, 'SHOP.Example.com.'), 'exact');
  assert.equal(pick(t, 'v1.api.example.com'), 'api-wildcard');
  // Gateway API wildcards cover every name below the suffix, not the suffix itself.
  assert.equal(pick(t, 'a.b.example.com'), 'wildcard');
  assert.equal(pick(t, 'api.example.com'), 'wildcard');
  assert.equal(pick(t, 'example.com'), 'default');
  assert.equal(pick(t, 'elsewhere.org'), 'default');
  // No default listener: a name nothing covers gets no certificate (the handshake fails).
  assert.equal(pick(table(false), 'elsewhere.org'), undefined);
});

test('compileServerNames: a listener without certificates is left out; a bad certificate throws without quoting the key', () => {
  const t = compileServerNames([{ name: 'a', hostname: 'a.example.com', certificates: [] }]);
  assert.equal(t.exact.size, 0);
  assert.equal(t.fallback, undefined);
  const key = '-----BEGIN PRIVATE KEY-----\nTUlJQ2VRSUJBREFOQmdrcWhraUc5dzBCQVFFRkFBU0NBbU13Z2dKZkFnRUFBb0dCQUxT\n-----END PRIVATE KEY-----\n';
  assert.throws(() => compileServerNames([{ name: 'b', certificates: [{ secret: 'default/b', certPem: 'nope', keyPem: key }] }]), (e: Error) => {
    assert.match(e.message, /^listener b: certificate from Secret default\/b refused: /);
    assert.doesNotMatch(e.message, /TUlJ|PRIVATE/);
    return true;
  });
});
