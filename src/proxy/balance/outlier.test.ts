import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutlierState, outcomeOf } from './outlier.js';
import { HealthyBalancer } from './healthy.js';
import { makeRoundRobin } from './index.js';
import { DEFAULT_OUTLIER, type OutlierDetectionSnap } from '../../api/traffic.js';
import type { EndpointSnap } from '../../api/snapshot.js';
import { ProxyError, RetryableResponse } from '../errors.js';

const ep = (i: number): EndpointSnap => ({ proxy: `p${i}`, address: '127.0.0.1', port: 9000 + i, ready: true, labels: {}, workload: 'api', tls: 'plaintext' });

function setup(n: number, od: Partial<OutlierDetectionSnap> = {}) {
  let now = 1000;
  const state = new OutlierState();
  const ejected: string[] = [];
  state.onEject = (_c, e) => ejected.push(e);
  const eps = Array.from({ length: n }, (_, i) => ep(i));
  const o = { ...DEFAULT_OUTLIER, consecutive5xxErrors: 3, baseEjectionMs: 1000, intervalMs: 1, ...od };
  const b = new HealthyBalancer('api.default:80', eps, (e) => makeRoundRobin(e), { outlier: { od: o, state }, panicThresholdPercent: o.panicThresholdPercent }, () => now);
  const picks = (k: number) => {
    const seen = new Map<number, number>();
    for (let i = 0; i < k; i++) {
      const p = b.pick()!.port;
      seen.set(p, (seen.get(p) ?? 0) + 1);
    }
    return seen;
  };
  return { b, eps, state, ejected, picks, advance: (ms: number) => { now += ms; } };
}

describe('outlier detection', () => {
  it('ejects after consecutive failures, for base x ejections, then brings the endpoint back', () => {
    const t = setup(3);
    t.b.report(t.eps[0]!, '5xx');
    t.b.report(t.eps[0]!, '5xx');
    t.b.report(t.eps[0]!, 'ok'); // a success resets the count
    t.b.report(t.eps[0]!, '5xx');
    t.b.report(t.eps[0]!, 'gateway');
    assert.equal(t.ejected.length, 0);
    t.b.report(t.eps[0]!, '5xx');
    assert.deepEqual(t.ejected, ['127.0.0.1:9000']);
    assert.equal(t.picks(30).get(9000), undefined);
    assert.deepEqual(t.state.ejected(), { 'api.default:80': ['127.0.0.1:9000'] });
    t.advance(1001);
    assert.equal(t.picks(30).get(9000), 10);
    // Ejected again: twice the base this time.
    for (let i = 0; i < 3; i++) t.b.report(t.eps[0]!, '5xx');
    t.advance(1500);
    assert.equal(t.picks(30).get(9000), undefined);
    t.advance(600);
    assert.equal(t.picks(30).get(9000), 10);
  });

  it('interval: an endpoint comes back at the first sweep after its time is up; each sweep in rotation forgives one ejection', () => {
    const t = setup(3, { intervalMs: 700 });
    const eject = () => { for (let i = 0; i < 3; i++) t.b.report(t.eps[0]!, '5xx'); };
    eject();
    t.advance(1001); // time up at 1000, but the sweeps run at 700 and 1400
    assert.equal(t.picks(30).get(9000), undefined, 'still out until the next sweep');
    t.advance(400);
    assert.equal(t.picks(30).get(9000), 10, 'back at the sweep after its time');
    assert.deepEqual(t.state.ejected(), {});
    eject(); // the second ejection lasts 2 x base
    t.advance(2100);
    assert.equal(t.picks(3).get(9000), 1);
    // Two sweeps in rotation forgive both ejections: the next one lasts 1 x base again.
    t.advance(700);
    t.picks(1);
    t.advance(700);
    t.picks(1);
    eject();
    t.advance(1400);
    assert.equal(t.picks(30).get(9000), 10, 'a third ejection after two clean sweeps lasted one base time');
  });

  it('maxEjectionPercent bounds how many are out (at least one), and the panic threshold uses them all', () => {
    const t = setup(4, { maxEjectionPercent: 50, panicThresholdPercent: 0 });
    for (const i of [0, 1, 2]) for (let k = 0; k < 3; k++) t.b.report(t.eps[i]!, 'gateway');
    assert.equal(t.ejected.length, 2);
    assert.deepEqual([...t.picks(40).keys()].sort(), [9002, 9003]);
    const p = setup(2, { maxEjectionPercent: 100, panicThresholdPercent: 60 });
    for (let k = 0; k < 3; k++) p.b.report(p.eps[0]!, '5xx');
    // One of two left is 50 %, under the 60 % threshold: panic, both serve.
    assert.equal(p.ejected.length, 1);
    assert.deepEqual([...p.picks(10).keys()].sort(), [9000, 9001]);
  });

  it('consecutiveGatewayErrors counts only gateway errors; a single endpoint is never ejected', () => {
    const t = setup(2, { consecutive5xxErrors: 0, consecutiveGatewayErrors: 2 });
    t.b.report(t.eps[0]!, '5xx');
    t.b.report(t.eps[0]!, '5xx');
    assert.equal(t.ejected.length, 0);
    t.b.report(t.eps[0]!, 'gateway');
    t.b.report(t.eps[0]!, 'gateway');
    assert.equal(t.ejected.length, 1);
    const one = setup(1);
    for (let k = 0; k < 10; k++) one.b.report(one.eps[0]!, '5xx');
    assert.equal(one.ejected.length, 0);
  });

  it('reads outcomes from statuses and the forwarder\'s errors', () => {
    assert.equal(outcomeOf(200, undefined), 'ok');
    assert.equal(outcomeOf(500, undefined), '5xx');
    assert.equal(outcomeOf(503, undefined), 'gateway');
    assert.equal(outcomeOf(0, new RetryableResponse(500)), '5xx');
    assert.equal(outcomeOf(0, new ProxyError('connect-failure', 'x')), 'gateway');
    assert.equal(outcomeOf(0, new ProxyError('upstream-timeout', 'x')), 'gateway');
    assert.equal(outcomeOf(0, new ProxyError('overflow', 'x')), 'none', 'this proxy refused it: nothing about the endpoint');
    assert.equal(outcomeOf(0, new ProxyError('internal', 'x')), 'ok');
  });
});
