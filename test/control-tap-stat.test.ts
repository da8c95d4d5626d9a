// tap and stat by the name callers use, on a real mesh: callers call Service catalog, a route attached to
// it splits the calls across catalog-v1 and catalog-v2. `stat` has a catalog row aggregated over both
// backends (and lists them on request); a tap of catalog sees requests that went to either; a tap of a
// name that is nothing is refused at once with a suggestion; a valid tap answers before any request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { TestMesh, freePort, httpCall, waitFor, ECHO } from './helpers/mesh.js';
import { gatewayDoc } from './helpers/yaml.js';
import { findControl } from '../src/control/discovery.js';
import type { ApiError, StatRow, TapEvent } from '../src/api/control-api.js';

const wl = (name: string, labels: string) => `---
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: { name: ${name}, labels: ${labels} }
spec:
  command: ${process.execPath}
  args: [${JSON.stringify(ECHO)}]
  readinessProbe: { httpGet: { path: /healthz } }
`;
const svc = (name: string, selector: string) => `---
apiVersion: v1
kind: Service
metadata: { name: ${name} }
spec:
  selector: ${selector}
  ports: [{ port: 80 }]
`;
const yaml = (gw: number) => `apiVersion: weft.dev/v1alpha1
kind: Mesh
metadata: { name: split }
spec: { trustDomain: split.local }
${wl('front', '{ app: front }')}${wl('catalog-v1', '{ app: catalog, version: v1 }')}${wl('catalog-v2', '{ app: catalog, version: v2 }')}\
${svc('front', '{ app: front }')}${svc('catalog', '{ app: catalog }')}${svc('catalog-v1', '{ app: catalog, version: v1 }')}${svc('catalog-v2', '{ app: catalog, version: v2 }')}---
${gatewayDoc(gw)}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: edge }
spec:
  parentRefs: [{ name: edge }]
  rules:
  - backendRefs: [{ name: front, port: 80 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: catalog-split }
spec:
  parentRefs: [{ kind: Service, name: catalog, port: 80 }]
  rules:
  - backendRefs:
    - { name: catalog-v1, port: 80, weight: 50 }
    - { name: catalog-v2, port: 80, weight: 50 }
`;

let mesh: TestMesh;
let gw: number;
let control: { url: string; token: string };

before(async () => {
  gw = await freePort();
  mesh = new TestMesh(yaml(gw));
  await mesh.start({ WEFT_METRICS_INTERVAL_MS: '500' });
  await mesh.waitAllSynced();
  const prev = process.env.WEFT_HOME;
  process.env.WEFT_HOME = mesh.home;
  control = findControl(mesh.controlUrl);
  process.env.WEFT_HOME = prev;
  await waitFor('a call through the split', async () => (await httpCall(gw, '/call/catalog/products')).status === 200);
});

after(async () => {
  if (mesh?.proc && mesh.proc.exitCode === null) await mesh.stop();
});

/** Opens GET /v1/tap; resolves when the response head arrives (status, and a reader of its NDJSON lines). */
function openTap(query: string): Promise<{ status: number; res: http.IncomingMessage; req: http.ClientRequest; events: TapEvent[]; body: () => string; ended: Promise<void> }> {
  const u = new URL(`${control.url}/v1/tap?${query}`);
  return new Promise((resolve, reject) => {
    const req = http.get({ host: u.hostname, port: Number(u.port), path: `${u.pathname}${u.search}`, headers: { authorization: `Bearer ${control.token}` }, agent: false }, (res) => {
      const events: TapEvent[] = [];
      let buf = '';
      let all = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        all += d;
        buf += d;
        let nl: number;
        while ((nl = buf.indexOf('\n')) !== -1) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (res.statusCode === 200 && line.trim() !== '') events.push(JSON.parse(line) as TapEvent);
        }
      });
      res.on('error', () => {});
      // Listened to now: a short answer can end before the caller's await resumes.
      const ended = new Promise<void>((r) => res.on('end', () => r()));
      resolve({ status: res.statusCode ?? 0, res, req, events, body: () => all, ended });
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('no response head within 10 s')));
  });
}

test('a tap answers at once, before any request, then sees calls to catalog that went to either backend', async () => {
  // No traffic yet: the head must still arrive (the CLI says "waiting for requests" on it).
  const tap = await openTap('target=catalog');
  assert.equal(tap.status, 200);
  assert.equal(tap.res.headers['content-type'], 'application/x-ndjson');
  try {
    const seen = await waitFor('tap events from both backends', async () => {
      await Promise.all(Array.from({ length: 5 }, () => httpCall(gw, '/call/catalog/products')));
      const to = new Set(tap.events.filter((e) => e.direction === 'inbound').map((e) => e.destinationWorkload));
      return to.has('catalog-v1') && to.has('catalog-v2') ? tap.events : undefined;
    }, 20_000, 100);
    // The caller's side: front called catalog, the route sent it to a backend; the event says both.
    const out = seen.filter((e) => e.direction === 'outbound' && e.proxy.startsWith('front-'));
    assert.ok(out.length > 0, JSON.stringify(seen.slice(0, 3)));
    for (const e of out) {
      assert.equal(e.service, 'catalog');
      assert.match(String(e.destinationService), /^catalog-v[12]$/);
      assert.equal(e.route, 'default/catalog-split');
    }
    // Nothing that is not catalog's traffic: the gateway's call to front is not in it.
    assert.ok(seen.every((e) => e.destinationService !== 'front' && e.destinationWorkload !== 'front'), JSON.stringify(seen.find((e) => e.destinationWorkload === 'front')));
  } finally {
    tap.req.destroy();
  }
});

test('a tap of a name that is no workload or service is a 404 with a suggestion, at once', async () => {
  const t = await openTap('target=catlog');
  await t.ended;
  assert.equal(t.status, 404);
  const body = JSON.parse(t.body()) as ApiError;
  assert.deepEqual(body, { error: 'no workload or service named "catlog"', suggestion: 'catalog' });
  const none = await openTap('target=nosuch');
  await none.ended;
  assert.equal(none.status, 404);
  assert.deepEqual(JSON.parse(none.body()), { error: 'no workload or service named "nosuch"' });
});

test('stat by service has the name callers use, aggregated over its backends, which it lists on request', async () => {
  const get = async (q: string) => {
    const r = await fetch(`${control.url}/v1/stat?${q}`, { headers: { authorization: `Bearer ${control.token}` } });
    assert.equal(r.status, 200);
    return (await r.json()) as StatRow[];
  };
  const row = await waitFor('a catalog row with both backends', async () => {
    await Promise.all(Array.from({ length: 10 }, () => httpCall(gw, '/call/catalog/products')));
    const rows = await get('by=service&window=1m&backends=1');
    const c = rows.find((r) => r.name === 'catalog');
    return c?.backends?.length === 2 && c.backends.every((b) => b.requests > 0) ? c : undefined;
  }, 20_000, 200);
  assert.deepEqual(row.backends!.map((b) => b.name), ['catalog-v1', 'catalog-v2']);
  assert.equal(row.backends!.reduce((n, b) => n + b.requests, 0), row.requests);
  assert.equal(row.successRate, 1);
  const plain = await get('by=service&window=1m');
  assert.ok(plain.some((r) => r.name === 'catalog' && r.backends === undefined));
  assert.ok(!plain.some((r) => r.name === 'catalog-v1'), 'nobody called catalog-v1 by name');
  assert.ok(plain.some((r) => r.name === 'front'));
});
