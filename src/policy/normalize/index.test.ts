import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizePath, type NormalizeOptions } from './index.js';

/** [input, expected path, or "!" + the start of the rejection reason] */
const CASES: [string, string][] = [
  // The cases that matter for authorization: each names /admin (or is refused).
  ['//admin', '/admin'],
  ['/a/../admin', '/admin'],
  ['/%61dmin', '/admin'],
  ['/admin%2Fx', '!escaped slash in path'],
  ['\\admin', '/admin'],
  ['/ADMIN', '/ADMIN'],
  ['/a/./b/', '/a/b/'],
  ['/../..', '/'],
  ['/%2e%2e/admin', '/admin'],
  ['/a%2fb', '!escaped slash in path'],
  ['/a%5Cb', '!escaped slash in path'],
  ['/a%5cb', '!escaped slash in path'],
  ['/%7Euser', '/~user'],
  ['/a%20b', '/a%20b'],
  // Unchanged.
  ['/', '/'],
  ['/a/b/c', '/a/b/c'],
  ['/a/b/', '/a/b/'],
  ['/a.b/c..d/.e/', '/a.b/c..d/.e/'],
  ['/.well-known/x', '/.well-known/x'],
  ['/a;b=c', '/a;b=c'],
  ['*', '*'],
  // Slashes and dot segments.
  ['///', '/'],
  ['/a//b///c', '/a/b/c'],
  ['/a/b/..', '/a/'],
  ['/a/b/.', '/a/b/'],
  ['/a/.', '/a/'],
  ['/..', '/'],
  ['/.', '/'],
  ['/a/b/../../../../c', '/c'],
  ['/a/..b/c', '/a/..b/c'],
  ['/a\\..\\admin', '/admin'],
  ['\\\\admin', '/admin'],
  ['/.%2E/admin', '/admin'],
  ['/%2E./admin', '/admin'],
  // Escapes: unreserved decoded once, the rest upper-cased.
  ['/%41%5a%30%2D%5F%7e', '/AZ0-_~'],
  ['/a%3ab', '/a%3Ab'],
  ['/a%3Ab', '/a%3Ab'],
  ['/%252e%252e/admin', '/%252e%252e/admin'],
  ['/%25', '/%25'],
  ['/%e2%82%ac', '/%E2%82%AC'],
  ['/%01', '/%01'],
  // Bytes that have no place unescaped in a path.
  ['/a b', '/a%20b'],
  ['/caf\u00e9', '/caf%E9'],
  ['/\u20ac', '/%E2%82%AC'],
  // Refused.
  ['', '!empty path'],
  ['admin', '!path must start with "/"'],
  ['http://x/admin', '!path must start with "/"'],
  ['/%G1', '!invalid percent-encoding'],
  ['/%4', '!invalid percent-encoding'],
  ['/%', '!invalid percent-encoding'],
  ['/a%zz', '!invalid percent-encoding'],
  ['/%00', '!encoded NUL'],
  ['/a\u0000b', '!control character'],
  ['/a\nb', '!control character'],
  ['/a\u007fb', '!control character'],
  ['/admin#x', '!fragment'],
  ['/a/\ud800', '!invalid character'],
];

describe('normalizePath', () => {
  for (const [input, want] of CASES) {
    it(`${JSON.stringify(input)} -> ${want}`, () => {
      const r = normalizePath(input);
      if (want.startsWith('!')) {
        assert.equal(r.ok, false, `expected a rejection, got ${JSON.stringify(r)}`);
        if (!r.ok) assert.ok(r.reason.startsWith(want.slice(1)), r.reason);
      } else {
        assert.deepEqual(r, { ok: true, path: want });
      }
    });
  }

  it('is idempotent on what it accepts', () => {
    for (const [input] of CASES) {
      const once = normalizePath(input);
      if (!once.ok) continue;
      assert.deepEqual(normalizePath(once.path), once, input);
    }
  });

  it('handles escaped slashes as configured', () => {
    const keep: NormalizeOptions = { escapedSlashes: 'keep' };
    const unescape: NormalizeOptions = { escapedSlashes: 'unescape' };
    assert.deepEqual(normalizePath('/admin%2fx', keep), { ok: true, path: '/admin%2Fx' });
    assert.deepEqual(normalizePath('/a%5c..%2F..%2fadmin', keep), { ok: true, path: '/a%5C..%2F..%2Fadmin' });
    assert.deepEqual(normalizePath('/admin%2Fx', unescape), { ok: true, path: '/admin/x' });
    assert.deepEqual(normalizePath('/a%2F..%2Fadmin', unescape), { ok: true, path: '/admin' });
    assert.deepEqual(normalizePath('/a%5C..%5Cadmin', unescape), { ok: true, path: '/admin' });
    assert.deepEqual(normalizePath('/a%2F%2Fb', unescape), { ok: true, path: '/a/b' });
    assert.deepEqual(normalizePath('/admin%2Fx', { escapedSlashes: 'reject' }), { ok: false, reason: 'escaped slash in path' });
  });

  it('returns the very input string when nothing changes', () => {
    const plain = `/api/v1/${'x'.repeat(50)}`;
    const r = normalizePath(plain);
    assert.ok(r.ok && r.path === plain);
    // Slow path, but already normal: still the input.
    const escaped = '/a%20b';
    const e = normalizePath(escaped);
    assert.ok(e.ok && e.path === escaped);
  });
});
