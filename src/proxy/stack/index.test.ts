import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stack, fromMiddleware, type Layer } from './index.js';

type C = { trace: string[] };
const tag = (name: string): Layer<C> => (inner) => async (ctx) => { ctx.trace.push(`>${name}`); await inner(ctx); ctx.trace.push(`<${name}`); };

test('stack runs layers outermost first around the terminal', async () => {
  const svc = stack<C>([tag('a'), tag('b')], async (ctx) => { ctx.trace.push('t'); });
  const ctx = { trace: [] as string[] };
  await svc(ctx);
  assert.deepEqual(ctx.trace, ['>a', '>b', 't', '<b', '<a']);
});

test('errors from the terminal propagate through every layer', async () => {
  const svc = stack<C>([tag('a')], async () => { throw new Error('boom'); });
  const ctx = { trace: [] as string[] };
  await assert.rejects(svc(ctx), /boom/);
  assert.deepEqual(ctx.trace, ['>a']);
});

test('a layer that returns no service fails at build time', () => {
  const bad = (() => undefined) as unknown as Layer<C>;
  assert.throws(() => stack<C>([bad], async () => {}), /did not return a service/);
});

test('middleware next() cannot dispatch twice', async () => {
  let calls = 0;
  const twice = fromMiddleware<C>(async (_ctx, next) => { await next(); await next(); });
  const svc = stack<C>([twice], async () => { calls++; });
  await assert.rejects(svc({ trace: [] }), /more than once/);
  assert.equal(calls, 1);
});
