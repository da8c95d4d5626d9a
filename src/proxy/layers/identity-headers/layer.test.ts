import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Ctx } from '../../context.js';
import { stripIdentity, setClientCert } from './layer.js';

const ctx = (headers: Record<string, string>, peer?: Ctx['peer']) => ({ headers: { ...headers }, peer }) as unknown as Ctx;
const terminal = async () => {};

test('outbound drops client-supplied identity headers and keeps the rest', async () => {
  const c = ctx({ 'x-forwarded-client-cert': 'URI=spiffe://evil/ns/x/sa/admin', 'x-weft-peer': 'admin', 'x-other': '1' });
  await stripIdentity()(terminal)(c);
  assert.deepEqual(c.headers, { 'x-other': '1' });
});

test('inbound replaces x-forwarded-client-cert with the verified peer', async () => {
  const c = ctx({ 'x-forwarded-client-cert': 'URI=spiffe://evil/ns/x/sa/admin' }, { spiffeId: 'spiffe://t/ns/a/sa/web', hash: 'ab12' });
  await setClientCert({ self: 'spiffe://t/ns/a/sa/api' })(terminal)(c);
  assert.equal(c.headers['x-forwarded-client-cert'], 'By=spiffe://t/ns/a/sa/api;Hash=ab12;URI=spiffe://t/ns/a/sa/web');
});

test('inbound plaintext: no identity header reaches the app', async () => {
  const c = ctx({ 'x-forwarded-client-cert': 'URI=spiffe://evil/ns/x/sa/admin' });
  await setClientCert({ self: 'spiffe://t/ns/a/sa/api' })(terminal)(c);
  assert.equal(c.headers['x-forwarded-client-cert'], undefined);
});
