import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { priorityLoads, priorityOf } from './locality.js';
import { HealthyBalancer, type HealthView } from './healthy.js';
import { OutlierState } from './outlier.js';
import { makeRoundRobin } from './index.js';
import { seeded } from '../../util/prng.js';
import { DEFAULT_OUTLIER } from '../../api/traffic.js';
import type { ClusterSnap, EndpointSnap, Snapshot } from '../../api/snapshot.js';
import { compileConfig } from '../config.js';

const pct = (r: { load: number[] }) => r.load.map((l) => Math.round(l * 100));
const lv = (healthy: number, total: number, ready = total) => ({ healthy, ready, total });

describe('priority levels (Envoy priority load, overprovisioning 1.4)', () => {
  it('orders endpoints by the caller\'s zone, region, failover region, then the rest', () => {
    const self = { region: 'eu-west', zone: 'eu-west-1a' };
    const failover = [{ from: 'eu-west', to: 'eu-central' }, { from: 'us-east', to: 'us-west' }];
    assert.equal(priorityOf(self, { region: 'eu-west', zone: 'eu-west-1a' }, failover), 0);
    assert.equal(priorityOf(self, { region: 'eu-west', zone: 'eu-west-1b' }, failover), 1);
    assert.equal(priorityOf(self, { region: 'eu-west' }, failover), 1);
    assert.equal(priorityOf(self, { region: 'eu-central', zone: 'x' }, failover), 2);
    assert.equal(priorityOf(self, { region: 'us-west' }, failover), 3, 'another region\'s failover is not ours');
    assert.equal(priorityOf(self, undefined, failover), 3);
    assert.equal(priorityOf({ region: 'eu-west' }, { region: 'eu-west', zone: 'eu-west-1a' }, []), 1, 'a caller with no zone has no same-zone level');
    assert.equal(priorityOf(undefined, { region: 'eu-west', zone: 'eu-west-1a' }, []), 0, 'a caller with no locality sees one level');
  });

  it('a level keeps all traffic while >= ~72 % of it is healthy, then spills healthy x 1.4 (Envoy\'s table)', () => {
    assert.deepEqual(pct(priorityLoads([lv(2, 2), lv(1, 1)], 50)), [100, 0], '100 % healthy zone keeps everything');
    assert.deepEqual(pct(priorityLoads([lv(72, 100), lv(1, 1)], 50)), [100, 0]);
    assert.deepEqual(pct(priorityLoads([lv(71, 100), lv(1, 1)], 50)), [99, 1]);
    assert.deepEqual(pct(priorityLoads([lv(1, 2), lv(1, 1)], 50)), [70, 30], 'half of a zone of 2: 70 % stays, 30 % spills');
    assert.deepEqual(pct(priorityLoads([lv(1, 4), lv(4, 4)], 50)), [35, 65]);
    assert.deepEqual(pct(priorityLoads([lv(0, 2), lv(1, 1)], 50)), [0, 100], 'zone down: all to the region');
    assert.deepEqual(pct(priorityLoads([lv(0, 2), lv(0, 1), lv(3, 3)], 50)), [0, 0, 100], 'zone and region down: the next level');
    assert.deepEqual(priorityLoads([lv(1, 2), lv(1, 1)], 50).panic, [false, false], 'enough healthy endpoints overall: no panic');
  });

  it('normalizes when all levels together are short, with panic per level (Envoy\'s examples)', () => {
    assert.deepEqual(pct(priorityLoads([lv(1, 4), lv(1, 4)], 50)), [50, 50]);
    // Envoy's integer arithmetic gives 36/36/28; weft keeps the fractions.
    assert.deepEqual(priorityLoads([lv(25, 100), lv(25, 100), lv(20, 100)], 50).load.map((l) => Math.round(l * 1000) / 10), [35.7, 35.7, 28.6]);
    assert.deepEqual(priorityLoads([lv(1, 4), lv(1, 4)], 50).panic, [true, true]);
    const r = priorityLoads([lv(5, 100), lv(65, 100)], 50);
    assert.deepEqual(pct(r), [7, 93]);
    assert.deepEqual(r.panic, [true, false]);
    assert.deepEqual(priorityLoads([lv(1, 4), lv(1, 4)], 0).panic, [false, false], 'threshold 0: never panic');
  });

  it('with nothing healthy, the first level with a ready endpoint takes all, in panic; empty levels take nothing', () => {
    const r = priorityLoads([lv(0, 0), lv(0, 2, 0), lv(0, 2, 2), lv(0, 1)], 50);
    assert.deepEqual(pct(r), [0, 0, 100, 0]);
    assert.deepEqual(r.panic, [false, false, true, false]);
    assert.deepEqual(pct(priorityLoads([lv(0, 0), lv(3, 3)], 50)), [0, 100]);
    assert.deepEqual(pct(priorityLoads([], 50)), []);
  });
});

const ep = (i: number, zone: string, ready = true): EndpointSnap => ({ proxy: `p${i}`, address: '127.0.0.1', port: 9000 + i, ready, labels: {}, workload: zone, tls: 'plaintext', locality: { region: 'r', zone } });
const self = { region: 'r', zone: 'a' };

function mesh(eps: EndpointSnap[], checks?: HealthView) {
  let now = 1000;
  const state = new OutlierState();
  const od = { ...DEFAULT_OUTLIER, consecutive5xxErrors: 1, baseEjectionMs: 1000, intervalMs: 1, maxEjectionPercent: 100 };
  const b = new HealthyBalancer('api', eps, (e) => makeRoundRobin(e, undefined, undefined, seeded(1)), {
    outlier: { od, state }, panicThresholdPercent: 50, priorities: eps.map((e) => priorityOf(self, e.locality, [])), random: seeded(2), ...(checks !== undefined ? { checks } : {}),
  }, () => now);
  const share = (n = 4000) => {
    const byZone: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const z = b.pick()!.workload;
      byZone[z] = (byZone[z] ?? 0) + 1;
    }
    for (const z in byZone) byZone[z] = Math.round((byZone[z]! / n) * 1000) / 1000;
    return byZone;
  };
  return { b, share, advance: (ms: number) => { now += ms; } };
}

describe('HealthyBalancer with locality failover', () => {
  it('keeps all traffic in the caller\'s zone while it is healthy', () => {
    const m = mesh([ep(0, 'a'), ep(1, 'a'), ep(2, 'b'), ep(3, 'b')]);
    assert.deepEqual(m.share(), { a: 1 });
  });

  it('half of a zone of 2 ejected: ~70 % stays, ~30 % fails over to the next zone; back when it returns', () => {
    const eps = [ep(0, 'a'), ep(1, 'a'), ep(2, 'b')];
    const m = mesh(eps);
    m.b.report(eps[0]!, '5xx');
    const s = m.share();
    assert.ok(Math.abs(s['a']! - 0.7) < 0.04 && Math.abs(s['b']! - 0.3) < 0.04, JSON.stringify(s));
    assert.deepEqual(m.b.describe().map((l) => [l.priority, l.healthy, l.percent, l.panic]), [[0, 1, 70, false], [1, 1, 30, false]]);
    m.advance(1001);
    assert.deepEqual(m.share(), { a: 1 }, 'fail back when the ejection is over');
  });

  it('the whole zone down: everything to the region, no panic (the region can carry it); fail back', () => {
    const eps = [ep(0, 'a'), ep(1, 'a'), ep(2, 'b')];
    const m = mesh(eps);
    m.b.report(eps[0]!, 'gateway');
    m.b.report(eps[1]!, 'gateway');
    assert.deepEqual(m.share(), { b: 1 });
    m.advance(1001);
    assert.deepEqual(m.share(), { a: 1 });
  });

  it('not ready counts as not healthy: a zone of 3 with one starting keeps ~93 %', () => {
    const m = mesh([ep(0, 'a'), ep(1, 'a'), ep(2, 'a', false), ep(3, 'b')]);
    const s = m.share();
    assert.ok(Math.abs(s['a']! - 0.933) < 0.03, JSON.stringify(s));
  });

  it('endpoints failing active health checks are left out the same way, and back when they pass', () => {
    const failing = new Set<string>();
    const checks = { version: 0, failing: (_c: string, e: string) => failing.has(e) };
    const m = mesh([ep(0, 'a'), ep(1, 'b')], checks);
    assert.deepEqual(m.share(100), { a: 1 });
    failing.add('127.0.0.1:9000');
    checks.version++;
    assert.deepEqual(m.share(100), { b: 1 });
    failing.clear();
    checks.version++;
    assert.deepEqual(m.share(100), { a: 1 });
  });

  it('a hashed request\'s level follows its key', () => {
    const eps = [ep(0, 'a'), ep(1, 'a'), ep(2, 'b')];
    const m = mesh(eps);
    m.b.report(eps[0]!, '5xx');
    for (const h of [1, 77, 123456789]) {
      const first = m.b.pick(h)!.workload;
      for (let i = 0; i < 20; i++) assert.equal(m.b.pick(h)!.workload, first);
    }
  });
});

describe('compileConfig: what each cluster\'s balancer is', () => {
  const snap = (self: { region: string; zone?: string } | undefined, clusters: Partial<ClusterSnap>[]) => ({
    proxy: { name: 'web-0', kind: 'sidecar', workload: 'web', namespace: 'default', ...(self ? { locality: self } : {}) }, services: [], listeners: [],
    clusters: clusters.map((c, i) => ({ name: `c${i}`, service: 'api', namespace: 'default', port: 80, authority: 'api', identities: [], endpoints: [ep(0, 'a'), ep(1, 'b')], ...c })),
  }) as unknown as Snapshot;
  const kinds = (s: Snapshot) => [...compileConfig(s).balancers.values()].map((b) => (b instanceof HealthyBalancer ? (b.leveled ? 'levels' : 'healthy') : 'plain'));
  it('plain when nothing is configured, or when locality failover leaves every endpoint in one level', () => {
    const lf = { localityFailover: { failover: [] } };
    assert.deepEqual(kinds(snap(self, [{}, lf, { ...lf, endpoints: [ep(0, 'a'), ep(1, 'a')] }])), ['plain', 'levels', 'plain']);
    assert.deepEqual(kinds(snap(undefined, [lf])), ['plain'], 'a caller with no locality: one level');
    assert.deepEqual(kinds(snap(self, [{ outlierDetection: DEFAULT_OUTLIER }])), ['healthy']);
  });
});
