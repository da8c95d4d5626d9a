import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecks, RestartTracker, RECENT_RESTART_MS, type CheckContext } from './health.js';
import type { AnyResource } from '../api/types.js';
import type { ControlStatus, ProcessReport } from '../api/control-api.js';

type Row = ControlStatus['proxies'][number];
const row = (name: string, state: Row['state'], error?: string): Row => ({ name, kind: 'sidecar', workload: name.replace(/-\d+$/, ''), namespace: 'default', version: 'v', configVersion: 'c', state, ...(error ? { error } : {}) });
const app = (proxy: string, o: Partial<ProcessReport> = {}): ProcessReport & { workload: string } => ({ proxy, role: 'app', pid: 1, running: true, ready: true, restarts: 0, workload: proxy.replace(/-\d+$/, ''), ...o });

function ctx(o: Partial<CheckContext> = {}): CheckContext {
  return { controlVersion: 'v', bundle: [], proxies: [], snapshotOf: () => { throw new Error('unused'); }, now: 1_000_000_000, objects: [], defaultNamespace: 'default', proxyStates: [], processes: [], restartedAt: new Map(), ...o };
}
const result = (c: CheckContext, check: string) => {
  const r = runChecks(c).find((x) => x.check === check);
  assert.ok(r, `no check "${check}"`);
  return r;
};

const SYNC = 'every proxy is connected and SYNCED';
test('sync: PASS when all SYNCED, FAIL naming a NACKed proxy and its error, WARN for STALE', () => {
  assert.equal(result(ctx({ proxyStates: [row('web-0', 'SYNCED')] }), SYNC).status, 'PASS');
  const f = result(ctx({ proxyStates: [row('web-0', 'SYNCED'), row('gateway-ingress', 'NACKED', 'route default/x rule 0 match 0: bad regex')] }), SYNC);
  assert.equal(f.status, 'FAIL');
  assert.match(f.message, /gateway-ingress \(route default\/x rule 0 match 0: bad regex\)/);
  assert.ok(f.hint);
  const w = result(ctx({ proxyStates: [row('web-0', 'STALE', 'not connected')] }), SYNC);
  assert.equal(w.status, 'WARN');
  assert.match(w.message, /web-0 \(not connected\)/);
});

const BIND = 'every gateway listener is bound';
test('listeners: FAIL naming the gateway, listener, address and errno when a bind failed', () => {
  assert.equal(result(ctx({ proxyStates: [row('gateway-ingress', 'SYNCED')] }), BIND).status, 'PASS');
  const f = result(ctx({ proxyStates: [row('gateway-ingress', 'NACKED', 'listener http: cannot listen on 127.0.0.1:8080: EADDRINUSE')] }), BIND);
  assert.equal(f.status, 'FAIL');
  assert.equal(f.message, 'gateway-ingress: listener http cannot bind 127.0.0.1:8080 (EADDRINUSE)');
  assert.match(f.hint!, /another process/);
  // A NACK for another reason is not a bind failure.
  assert.equal(result(ctx({ proxyStates: [row('gateway-ingress', 'NACKED', 'route x: bad regex')] }), BIND).status, 'PASS');
});

const route = (backend: string): AnyResource => ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'split', namespace: 'default' }, spec: { parentRefs: [], rules: [{ matches: [], backendRefs: [{ kind: 'Service', name: backend, port: 80, weight: 1 }] }] } }) as AnyResource;
const svc = (name: string): AnyResource => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { selector: {}, ports: [{ port: 80, protocol: 'TCP' }] } }) as AnyResource;
const REFS = 'routes point at Services, ports and Gateways that exist';
test('references: FAIL naming the route and the missing Service, PASS once it exists', () => {
  const f = result(ctx({ objects: [route('catalog-v3'), svc('catalog-v1')] }), REFS);
  assert.equal(f.status, 'FAIL');
  assert.match(f.message, /HTTPRoute default\/split: .*Service default\/catalog-v3, which does not exist/);
  assert.match(f.hint!, /backend-not-found/);
  assert.equal(result(ctx({ objects: [route('catalog-v1'), svc('catalog-v1')] }), REFS).status, 'PASS');
});

const SELECT = 'policies and Services select a Workload';
test('selectors: WARN for a policy that selects nothing', () => {
  const p = { apiVersion: 'weft.dev/v1alpha1', kind: 'PeerAuthentication', metadata: { name: 'strict', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'nosuch' } }, mtls: { mode: 'STRICT' } } } as AnyResource;
  const w = result(ctx({ objects: [p] }), SELECT);
  assert.equal(w.status, 'WARN');
  assert.match(w.message, /PeerAuthentication default\/strict applies to nothing/);
  assert.equal(result(ctx({ objects: [] }), SELECT).status, 'PASS');
});

const READY = 'every app is running and ready';
test('apps: FAIL naming a crash-looping workload and why, PASS when all are ready', () => {
  assert.equal(result(ctx({ processes: [app('web-0')] }), READY).status, 'PASS');
  const f = result(ctx({ processes: [app('web-0'), app('crash-0', { running: false, ready: false, restarts: 4, lastExit: 'code 1' })] }), READY);
  assert.equal(f.status, 'FAIL');
  assert.equal(f.message, 'not ready: crash (crash-0) (not running, 4 restarts, last exit: code 1)');
  const probe = result(ctx({ processes: [app('slow-0', { ready: false })] }), READY);
  assert.match(probe.message, /slow \(slow-0\) \(failing its readiness probe\)/);
  // Proxies are not apps: a proxy report alone is not judged here.
  assert.equal(result(ctx({ processes: [{ ...app('web-0'), role: 'proxy', ready: undefined }] }), READY).status, 'PASS');
});

const RESTARTS = 'no process restarted recently';
test('restarts: WARN for a restart in the last minutes, PASS for an old one', () => {
  const now = 50 * RECENT_RESTART_MS;
  const p = app('web-0', { restarts: 2, lastExit: 'SIGKILL' });
  const w = result(ctx({ now, processes: [p], restartedAt: new Map([['web-0/app', now - 1000]]) }), RESTARTS);
  assert.equal(w.status, 'WARN');
  assert.equal(w.message, 'restarted in the last 10 minutes: web-0 app 2× (last exit: SIGKILL)');
  assert.equal(result(ctx({ now, processes: [p], restartedAt: new Map([['web-0/app', now - RECENT_RESTART_MS - 1]]) }), RESTARTS).status, 'PASS');
});

test('RestartTracker notes when a restart count grows, not when it stays', () => {
  const t = new RestartTracker();
  assert.deepEqual([...t.observe([app('a-0')], 100)], []);
  assert.deepEqual([...t.observe([app('a-0', { restarts: 1 })], 200)], [['a-0/app', 200]]);
  assert.deepEqual([...t.observe([app('a-0', { restarts: 1 })], 300)], [['a-0/app', 200]]);
  assert.deepEqual([...t.observe([app('a-0', { restarts: 3 })], 400)], [['a-0/app', 400]]);
  // First seen with restarts already: counted from when it was first seen.
  assert.deepEqual([...new RestartTracker().observe([app('b-0', { restarts: 2 })], 500)], [['b-0/app', 500]]);
});
