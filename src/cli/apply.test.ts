import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderRefusal, renderResult } from './apply.js';

test('apply: configured and unchanged on stdout, warnings on stderr, exit 0', () => {
  const r = renderResult('apply', { applied: ['HTTPRoute/default/r'], unchanged: ['Service/default/s'], revision: 3, warnings: ['HTTPRoute default/r: rules[0].backendRefs[0] names Service default/x, which does not exist'] });
  assert.equal(r.stdout, 'HTTPRoute/default/r configured\nService/default/s unchanged\n');
  assert.equal(r.stderr, 'warning: HTTPRoute default/r: rules[0].backendRefs[0] names Service default/x, which does not exist\n');
  assert.equal(r.failed, false);
});

test('delete: a missing object is an error on stderr unless --ignore-not-found', () => {
  const r = renderResult('delete', { deleted: ['Service/default/a'], notFound: ['Service/default/b'], revision: 4 });
  assert.equal(r.stdout, 'Service/default/a deleted\n');
  assert.equal(r.stderr, 'Service/default/b not found\n');
  assert.equal(r.failed, true);
  const ignored = renderResult('delete', { deleted: [], notFound: ['Service/default/b'], revision: 4 }, { ignoreNotFound: true });
  assert.deepEqual([ignored.stderr, ignored.failed], ['', false]);
});

test('a refusal prints every reason and that nothing changed', () => {
  assert.equal(renderRefusal('apply', 'x.yaml', ['a', 'b']), 'a\nb\nx.yaml: rejected, nothing applied\n');
  assert.equal(renderRefusal('delete', 'x.yaml', ['a']), 'a\nx.yaml: rejected, nothing deleted\n');
});
