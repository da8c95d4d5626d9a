import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kindArg } from './get.js';
import { UsageError } from './common.js';

test('weft get takes a kind in any case, singular or plural, and suggests one for a typo', () => {
  for (const v of ['GRPCRoute', 'grpcroute', 'grpcroutes', 'GRPCRoutes']) assert.equal(kindArg(v), 'GRPCRoute', v);
  assert.equal(kindArg('httproutes'), 'HTTPRoute');
  assert.equal(kindArg('trafficpolicies'), 'TrafficPolicy');
  assert.throws(() => kindArg('grpcroots'), (e: unknown) => e instanceof UsageError && /did you mean "GRPCRoute"\?/.test(e.message));
});
