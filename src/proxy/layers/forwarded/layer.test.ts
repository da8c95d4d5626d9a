import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { forwarded } from './layer.js';
import { mockInner, testCtx } from '../../stack/testing.js';
import type { HeaderMap } from '../../context.js';

async function through(edge: boolean, headers: HeaderMap, init: { scheme?: string; authority?: string; remoteAddress?: string } = {}): Promise<HeaderMap> {
  const inner = mockInner();
  const ctx = testCtx({ headers, remoteAddress: '10.1.2.3', authority: 'shop.example:8443', scheme: 'https', ...init });
  await forwarded({ edge })(inner)(ctx);
  assert.equal(inner.calls.length, 1, 'the request goes on to the inner service');
  return inner.headersSeen[0];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('forwarded', () => {
  it('sets x-forwarded-for/-proto/-host from the connection when the client sent none', async () => {
    for (const edge of [true, false]) {
      const h = await through(edge, {});
      assert.equal(h['x-forwarded-for'], '10.1.2.3');
      assert.equal(h['x-forwarded-proto'], 'https');
      assert.equal(h['x-forwarded-host'], 'shop.example:8443');
    }
  });

  it('at the edge, replaces what the client claimed', async () => {
    const h = await through(true, { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'evil.example' });
    assert.equal(h['x-forwarded-for'], '10.1.2.3');
    assert.equal(h['x-forwarded-proto'], 'https');
    assert.equal(h['x-forwarded-host'], 'shop.example:8443');
  });

  it('inside the mesh, appends the peer to x-forwarded-for and keeps -proto and -host', async () => {
    const h = await through(false, { 'x-forwarded-for': '203.0.113.9, 10.0.0.1', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example' }, { scheme: 'http', authority: 'api.shop:80' });
    assert.equal(h['x-forwarded-for'], '203.0.113.9, 10.0.0.1, 10.1.2.3');
    assert.equal(h['x-forwarded-proto'], 'https');
    assert.equal(h['x-forwarded-host'], 'shop.example');
  });

  it('inside the mesh, joins repeated x-forwarded-for headers before appending', async () => {
    const h = await through(false, { 'x-forwarded-for': ['203.0.113.9', '10.0.0.1'] });
    assert.equal(h['x-forwarded-for'], '203.0.113.9, 10.0.0.1, 10.1.2.3');
  });

  it('keeps the request id the client sent, at the edge and inside', async () => {
    for (const edge of [true, false]) {
      const h = await through(edge, { 'x-request-id': 'req-42' });
      assert.equal(h['x-request-id'], 'req-42');
    }
  });

  it('generates a request id when there is none, an empty one or a repeated one', async () => {
    const seen = new Set<string>();
    for (const rid of [undefined, '', ['a', 'b']] as const) {
      const h = await through(false, rid === undefined ? {} : { 'x-request-id': rid as string | string[] });
      assert.match(String(h['x-request-id']), UUID);
      seen.add(String(h['x-request-id']));
    }
    assert.equal(seen.size, 3, 'a fresh id per request');
  });

  it('changes only the upstream headers, not what the client sent', async () => {
    const inner = mockInner();
    const sent = { 'x-forwarded-for': '6.6.6.6' };
    const ctx = testCtx({ headers: sent });
    await forwarded({ edge: true })(inner)(ctx);
    assert.deepEqual(ctx.reqHeaders, { 'x-forwarded-for': '6.6.6.6' });
  });

  it('returns what the inner service returns (errors propagate)', async () => {
    const err = new Error('below');
    await assert.rejects(forwarded({ edge: false })(mockInner(() => Promise.reject(err)))(testCtx()), err);
  });
});
