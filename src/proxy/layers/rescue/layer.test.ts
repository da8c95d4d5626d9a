import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rescue, respondError } from './layer.js';
import { ERRORS, ProxyError, type ErrorCode } from '../../errors.js';
import { failingInner, mockInner, testCtx } from '../../stack/testing.js';

function setup() {
  const logs: string[] = [];
  return { logs, layer: rescue({ log: (m) => logs.push(m) }) };
}

describe('rescue', () => {
  it('passes a request the inner service answers through untouched', async () => {
    const { logs, layer } = setup();
    const inner = mockInner();
    const ctx = testCtx();
    await layer(inner)(ctx);
    assert.equal(inner.calls.length, 1);
    assert.equal(ctx.res.answer.status, 200);
    assert.equal(ctx.res.answer.body, 'ok');
    assert.equal(ctx.error, undefined);
    assert.deepEqual(logs, []);
  });

  for (const code of Object.keys(ERRORS) as ErrorCode[]) {
    it(`answers ProxyError "${code}" with ${ERRORS[code].status}, x-weft-error and the code's text`, async () => {
      const { logs, layer } = setup();
      const ctx = testCtx({ method: 'POST', url: '/x' });
      await layer(failingInner(new ProxyError(code, 'secret detail 10.0.0.7:8080')))(ctx);
      const a = ctx.res.answer;
      assert.equal(a.status, ERRORS[code].status);
      assert.equal(a.headers?.['x-weft-error'], code);
      assert.equal(a.headers?.['content-type'], 'text/plain; charset=utf-8');
      const body = `${code}: ${ERRORS[code].text}\n`;
      assert.equal(a.body, body);
      assert.equal(a.headers?.['content-length'], String(Buffer.byteLength(body)));
      assert.doesNotMatch(a.body!, /secret detail/, 'the private detail stays out of the body');
      assert.equal(ctx.error, code);
      // Only errors the proxy did not expect are logged as bugs.
      assert.equal(logs.length, code === 'internal' ? 1 : 0);
    });
  }

  it('shows the public detail of an error, and only that', async () => {
    const { layer } = setup();
    const ctx = testCtx();
    await layer(failingInner(new ProxyError('rbac-denied', 'policy ns/deny-all matched peer x', { public: 'ns/deny-all' })))(ctx);
    assert.equal(ctx.res.answer.status, 403);
    assert.equal(ctx.res.answer.body, `rbac-denied: ${ERRORS['rbac-denied'].text} (ns/deny-all)\n`);
  });

  it('answers any other error as 500 internal and logs it with the request', async () => {
    for (const how of ['reject', 'throw'] as const) {
      const { logs, layer } = setup();
      const ctx = testCtx({ method: 'PUT', url: '/things/1?x=1' });
      await layer(failingInner(new TypeError('boom in a layer'), how))(ctx);
      assert.equal(ctx.res.answer.status, 500, how);
      assert.equal(ctx.res.answer.headers?.['x-weft-error'], 'internal');
      assert.equal(ctx.res.answer.body, `internal: ${ERRORS.internal.text}\n`);
      assert.doesNotMatch(ctx.res.answer.body!, /boom/);
      assert.equal(ctx.error, 'internal');
      assert.equal(logs.length, 1);
      assert.match(logs[0], /^internal error on PUT \/things\/1: .*TypeError: boom in a layer/);
    }
  });

  it('turns a non-Error rejection into 500 internal too', async () => {
    const { logs, layer } = setup();
    const ctx = testCtx();
    await layer(failingInner('a string'))(ctx);
    assert.equal(ctx.res.answer.status, 500);
    assert.match(logs[0], /a string/);
  });

  it('cuts the connection when part of the response is already out', async () => {
    const { layer } = setup();
    const ctx = testCtx();
    const err = new ProxyError('upstream-reset', 'endpoint closed mid-body');
    await layer(mockInner(() => {
      ctx.res.sendHead(200);
      throw err;
    }))(ctx);
    assert.equal(ctx.res.answer.destroyed, err);
    assert.equal(ctx.res.answer.ended, false, 'no second response is written');
    assert.equal(ctx.res.answer.status, undefined);
    assert.equal(ctx.error, 'upstream-reset');
  });

  it('answers HEAD with the status and headers but no body', async () => {
    const { layer } = setup();
    const ctx = testCtx({ method: 'HEAD' });
    await layer(failingInner(new ProxyError('no-route', 'nothing for svc.test')))(ctx);
    assert.equal(ctx.res.answer.status, 404);
    assert.equal(ctx.res.answer.headers?.['x-weft-error'], 'no-route');
    // content-length still says what a GET would carry.
    assert.equal(ctx.res.answer.headers?.['content-length'], String(Buffer.byteLength(`no-route: ${ERRORS['no-route'].text}\n`)));
    assert.equal(ctx.res.answer.ended, true);
    assert.equal(ctx.res.answer.body, '');
  });

  it('respondError is the same answer for callers outside the stack', () => {
    const ctx = testCtx();
    respondError(ctx, new ProxyError('proxy-not-ready', 'no snapshot yet'));
    assert.equal(ctx.res.answer.status, 503);
    assert.equal(ctx.res.answer.headers?.['x-weft-error'], 'proxy-not-ready');
    assert.equal(ctx.error, 'proxy-not-ready');
  });
});
