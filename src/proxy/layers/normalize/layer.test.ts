// The normalize layer wires the engine (src/policy/normalize, tested there) into the stack: the inner
// service sees the canonical path, and a path with no canonical form is a 400 before anything else runs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Ctx } from '../../context.js';
import { ProxyError } from '../../errors.js';
import { normalize } from './layer.js';

describe('normalize layer', () => {
  it('the inner service sees the canonical path', async () => {
    const seen: string[] = [];
    const svc = normalize()(async (c) => { seen.push(c.path); });
    for (const p of ['/admin', '//admin', '/a/../admin', '/%61dmin', '\\admin']) await svc({ path: p } as Ctx);
    assert.deepEqual(seen, ['/admin', '/admin', '/admin', '/admin', '/admin']);
  });

  it('a path with no canonical form is a 400 and the inner service does not run', async () => {
    let ran = false;
    const svc = normalize()(async () => { ran = true; });
    await assert.rejects(svc({ path: '/a%2Fb' } as Ctx), (e: unknown) => e instanceof ProxyError && e.code === 'bad-request' && e.status === 400 && /escaped slash/.test(e.message));
    assert.equal(ran, false);
  });

  it('passes its options to the engine', async () => {
    const seen: string[] = [];
    await normalize({ escapedSlashes: 'keep' })(async (c) => { seen.push(c.path); })({ path: '/a%2fb' } as Ctx);
    assert.deepEqual(seen, ['/a%2Fb']);
  });
});
