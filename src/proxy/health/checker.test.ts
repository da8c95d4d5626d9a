import assert from 'node:assert/strict';
import http from 'node:http';
import { after, describe, it } from 'node:test';
import { HealthChecker, poolProbe, type Probe, type ProbeTarget } from './checker.js';
import { Pools } from '../engine/pools.js';
import { waitFor } from '../../util/wait.js';
import type { ClusterSnap, EndpointSnap } from '../../api/snapshot.js';
import type { HealthCheckSnap } from '../../api/traffic.js';

const ep = (port: number, ready = true): EndpointSnap => ({ proxy: `p${port}`, address: '127.0.0.1', port, ready, labels: {}, workload: 'api', tls: 'plaintext' });
const hc = (o: Partial<HealthCheckSnap> = {}): HealthCheckSnap => ({ path: '/healthz', intervalMs: 10, timeoutMs: 100, unhealthyThreshold: 2, healthyThreshold: 2, ...o });
const cluster = (endpoints: EndpointSnap[], check: HealthCheckSnap | null = hc(), name = 'api.default:80'): ClusterSnap => ({
  name, service: 'api', namespace: 'default', port: 80, authority: 'api', identities: [], endpoints, ...(check !== null ? { healthCheck: check } : {}),
});

/** A probe whose answer per port the test sets; it logs every probe, its answer, and the verdict right after. */
function scripted() {
  const answer = new Map<number, boolean>();
  const log: { port: number; pass: boolean; failing?: boolean }[] = [];
  let checker: HealthChecker | undefined;
  const probe: Probe = (t, done) => {
    const pass = answer.get(t.port) ?? true;
    const entry: (typeof log)[number] = { port: t.port, pass };
    log.push(entry);
    setImmediate(() => {
      done(pass);
      entry.failing = checker?.failing('api.default:80', `127.0.0.1:${t.port}`);
    });
  };
  return { answer, log, probe, watch: (c: HealthChecker) => { checker = c; }, count: (port: number) => log.filter((l) => l.port === port).length };
}

describe('active health checks', () => {
  it('unhealthy after unhealthyThreshold failures in a row, healthy after healthyThreshold passes', async () => {
    const s = scripted();
    const c = new HealthChecker(s.probe);
    s.watch(c);
    c.update([cluster([ep(1), ep(2)])]);
    await waitFor('a few passing probes', () => s.count(1) >= 3);
    assert.equal(c.failing('api.default:80', '127.0.0.1:1'), false);
    s.answer.set(1, false);
    const v = c.version;
    await waitFor('endpoint 1 marked unhealthy', () => c.failing('api.default:80', '127.0.0.1:1'));
    assert.equal(c.version, v + 1, 'the version moved once, so balancers rebuild');
    // It flipped on its second failure in a row, not its first.
    const mine = s.log.filter((l) => l.port === 1);
    const firstFail = mine.findIndex((l) => !l.pass);
    assert.deepEqual(mine.slice(firstFail, firstFail + 2).map((l) => l.failing), [false, true]);
    assert.deepEqual(c.unhealthy(), { 'api.default:80': ['127.0.0.1:1'] });
    assert.equal(c.failing('api.default:80', '127.0.0.1:2'), false);
    s.answer.set(1, true);
    await waitFor('endpoint 1 healthy again', () => !c.failing('api.default:80', '127.0.0.1:1'));
    const firstPass = s.log.findIndex((l, i) => l.port === 1 && l.pass && i > s.log.indexOf(mine[firstFail]!));
    assert.deepEqual(s.log.slice(firstPass).filter((l) => l.port === 1).slice(0, 2).map((l) => l.failing), [true, false], 'healthy on the second pass in a row');
    assert.deepEqual(c.unhealthy(), {});
    c.stop();
  });

  it('stops probing endpoints that left the snapshot or stopped being ready, and clusters without a check', async () => {
    const s = scripted();
    const c = new HealthChecker(s.probe);
    c.update([cluster([ep(1), ep(2), ep(3, false)]), cluster([ep(4)], null, 'other.default:80')]);
    await waitFor('both ready endpoints probed', () => s.count(1) >= 2 && s.count(2) >= 2);
    assert.equal(s.count(3), 0, 'not ready: not probed');
    assert.equal(s.count(4), 0, 'no healthCheck: not probed');
    s.answer.set(2, false);
    await waitFor('endpoint 2 unhealthy', () => c.failing('api.default:80', '127.0.0.1:2'));
    const v = c.version;
    c.update([cluster([ep(1)])]);
    assert.equal(c.version, v + 1, 'an unhealthy endpoint leaving changes what balancers see');
    assert.equal(c.failing('api.default:80', '127.0.0.1:2'), false, 'and it is forgotten');
    const gone = s.count(2);
    const kept = s.count(1);
    await waitFor('endpoint 1 probed 5 more times', () => s.count(1) >= kept + 5);
    assert.ok(s.count(2) <= gone + 1, `endpoint 2 got ${s.count(2) - gone} probes after it left (at most the one in flight)`);
    c.stop();
  });

  it('a config change to the check starts the record over; stop() leaves no timer and drops results in flight', async () => {
    const s = scripted();
    s.answer.set(1, false);
    const c = new HealthChecker(s.probe);
    c.update([cluster([ep(1)])]);
    await waitFor('unhealthy', () => c.failing('api.default:80', '127.0.0.1:1'));
    c.update([cluster([ep(1)], hc({ path: '/ready' }))]);
    assert.equal(c.failing('api.default:80', '127.0.0.1:1'), false, 'a new check starts healthy');
    const timer = (c as unknown as { timer: NodeJS.Timeout | undefined }).timer;
    assert.ok(timer === undefined || !timer.hasRef(), 'the timer never holds the process open');
    c.stop();
    assert.equal((c as unknown as { timer: NodeJS.Timeout | undefined }).timer, undefined);
    const n = s.log.length;
    // Another checker makes progress meanwhile: the stopped one sent nothing more.
    const t = scripted();
    const other = new HealthChecker(t.probe);
    other.update([cluster([ep(9)])]);
    await waitFor('the other checker probing', () => t.count(9) >= 5);
    other.stop();
    assert.ok(s.log.length <= n + 1, 'nothing after stop (but the one in flight)');
    assert.deepEqual(c.unhealthy(), {});
  });

  it('bounds the probes in flight', async () => {
    const pending: (() => void)[] = [];
    let inFlight = 0;
    let most = 0;
    const probe: Probe = (_t, done) => {
      inFlight++;
      most = Math.max(most, inFlight);
      pending.push(() => { inFlight--; done(true); });
    };
    const c = new HealthChecker(probe, { maxInFlight: 3 });
    c.update([cluster(Array.from({ length: 20 }, (_, i) => ep(100 + i)))]);
    let released = 0;
    await waitFor('40 probes done', () => {
      while (pending.length > 0) { pending.shift()!(); released++; }
      return released >= 40;
    }, 10_000, 5);
    c.stop();
    assert.equal(most, 3);
  });
});

describe('poolProbe: a GET to the endpoint through the proxy\'s pools', () => {
  let mode = '200';
  const server = http.createServer((req, res) => {
    assert.equal(req.headers['user-agent'], 'weft-health-check');
    if (mode === 'hang') return; // never answers
    if (mode === '204') { res.writeHead(204); return res.end(); }
    res.writeHead(Number(mode), { 'content-type': 'text/plain' });
    res.end(`${req.url} ${req.headers.host}`);
  });
  const pools = new Pools();
  after(() => {
    pools.close();
    server.closeAllConnections();
    server.close();
  });

  it('passes on 200-399 (204 included), fails on 5xx, on a timeout and on a refused connection', async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const probe = poolProbe(pools);
    const run = (t: Partial<ProbeTarget> = {}) => new Promise<{ pass: boolean | undefined; ms: number }>((resolve) => {
      const t0 = performance.now();
      probe({ address: '127.0.0.1', port, tls: 'plaintext', authority: 'api', path: '/healthz', timeoutMs: 300, ...t }, (pass) => resolve({ pass, ms: performance.now() - t0 }));
    });
    for (const [m, want] of [['200', true], ['204', true], ['302', true], ['503', false], ['404', false]] as const) {
      mode = m;
      assert.equal((await run()).pass, want, `status ${m}`);
    }
    mode = 'hang';
    const hung = await run({ timeoutMs: 200 });
    assert.equal(hung.pass, false);
    assert.ok(hung.ms >= 190 && hung.ms < 2000, `timed out after ${hung.ms.toFixed(0)} ms`);
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const dead = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    assert.equal((await run({ port: dead })).pass, false, 'connection refused');
    const noCert = await new Promise<boolean | undefined>((resolve) => poolProbe(pools, () => false)({ address: '127.0.0.1', port, tls: 'mtls', authority: 'api', path: '/healthz', timeoutMs: 300 }, resolve));
    assert.equal(noCert, undefined, 'no certificate of our own yet: no verdict, not a failure');
  });
});
