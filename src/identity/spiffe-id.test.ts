import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSpiffeId, spiffeIdFor, SPIFFE_PREFIX } from './index.js';

describe('SPIFFE IDs', () => {
  it('builds the ns/sa form and parses it back', () => {
    const id = spiffeIdFor('mesh.local', 'default', 'web');
    assert.equal(id, `${SPIFFE_PREFIX}mesh.local/ns/default/sa/web`);
    assert.deepEqual(parseSpiffeId(id), { trustDomain: 'mesh.local', path: '/ns/default/sa/web', namespace: 'default', serviceAccount: 'web' });
  });

  it('parses trust-domain IDs and other paths without inventing ns/sa', () => {
    assert.deepEqual(parseSpiffeId('spiffe://mesh.local'), { trustDomain: 'mesh.local', path: '' });
    assert.deepEqual(parseSpiffeId('spiffe://a-b_c.d9/payments/Web-FE.v2'), { trustDomain: 'a-b_c.d9', path: '/payments/Web-FE.v2' });
    assert.deepEqual(parseSpiffeId('spiffe://td/ns/a/sa/b/extra'), { trustDomain: 'td', path: '/ns/a/sa/b/extra' });
  });

  const invalid: Array<[string, string]> = [
    ['empty', ''],
    ['other scheme', 'https://mesh.local/ns/a/sa/b'],
    ['upper-case scheme', 'SPIFFE://mesh.local/ns/a/sa/b'],
    ['empty trust domain', 'spiffe:///ns/a/sa/b'],
    ['upper-case trust domain', 'spiffe://Mesh.local/ns/a/sa/b'],
    ['port', 'spiffe://mesh.local:8443/ns/a/sa/b'],
    ['userinfo', 'spiffe://user@mesh.local/ns/a/sa/b'],
    ['query', 'spiffe://mesh.local/ns/a/sa/b?x=1'],
    ['fragment', 'spiffe://mesh.local/ns/a/sa/b#frag'],
    ['percent-encoding', 'spiffe://mesh.local/ns/a%2Fb/sa/c'],
    ['empty segment', 'spiffe://mesh.local/ns//sa/b'],
    ['trailing slash', 'spiffe://mesh.local/ns/a/sa/b/'],
    ['root path only', 'spiffe://mesh.local/'],
    ['dot segment', 'spiffe://mesh.local/ns/./sa/b'],
    ['dot-dot segment', 'spiffe://mesh.local/ns/../sa/b'],
    ['space', 'spiffe://mesh.local/ns/a b/sa/c'],
    ['too long', `spiffe://mesh.local/${'a'.repeat(2048)}`],
  ];
  for (const [what, id] of invalid) {
    it(`rejects ${what}`, () => assert.equal(parseSpiffeId(id), undefined));
  }

  it('refuses to build IDs from components that cannot appear in one', () => {
    assert.throws(() => spiffeIdFor('Mesh', 'a', 'b'), /trust domain "Mesh" may only contain/);
    assert.throws(() => spiffeIdFor('mesh.local', 'a/b', 'c'), /namespace: path segment "a\/b"/);
    assert.throws(() => spiffeIdFor('mesh.local', 'a', '..'), /service account: path segment "\.\." is not allowed/);
    assert.throws(() => spiffeIdFor('mesh.local', '', 'b'), /namespace: path segment is empty/);
  });
});
