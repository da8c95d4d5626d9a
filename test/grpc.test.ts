// gRPC end to end through a real local mesh, with real @grpc/grpc-js clients and server
// (test/fixtures/grpc-echo.mjs): unary with request metadata, response headers and trailers; a server
// stream; a bidirectional stream; a client deadline and a cancel that the server must see; an error status
// with its message and trailers; 1 MiB each way. Every case runs on two paths:
//   gateway        a gRPC client in this process -> the gateway's HTTP listener (h2c) -> the server's sidecar
//                  -> the server app
//   two sidecars   HTTP/1 GETs to a client workload (grpc-client-app.mjs), whose gRPC client calls through
//                  its own sidecar (ECHO_URL) -> the server's sidecar -> the server app
// DIRECT=1 runs the same cases with no mesh (this process and the client app straight to the server): it
// proves the harness and the assertions, whatever state the mesh is in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TestMesh, ROOT, freePort, waitFor } from './helpers/mesh.js';
import { docs, meshDoc, serviceDoc, workloadDoc } from './helpers/yaml.js';

const DIRECT = process.env.DIRECT === '1';

const FIXTURES = path.join(ROOT, 'test', 'fixtures');
const SERVER_APP = path.join(FIXTURES, 'grpc-app.mjs');
const CLIENT_APP = path.join(FIXTURES, 'grpc-client-app.mjs');

// ---- what the calls of grpc-echo.mjs observe (plain JSON, the same from either path) ----

type Md = Record<string, string | string[]>;
interface Status { code: number; details: string; trailers: Md; elapsedMs: number }
interface UnaryResult extends Status { headers: Md; response: { echo: string; replica: string; metadata: Md } | null }
interface StreamResult extends Status { headers: Md; received: number; inOrder: boolean }
interface BidiResult extends Status { matched: number; mismatched: number }
interface LargeResult { code: number; details: string; sent: number; received: number; intact: boolean }
interface Stats { replica: string; outcomes: Record<string, 'cancelled' | 'done'>; failed: number }
interface Calls {
  unary(c: unknown, a: object): Promise<UnaryResult>;
  serverStream(c: unknown, a: object): Promise<StreamResult>;
  bidi(c: unknown, a: object): Promise<BidiResult>;
  slow(c: unknown, a: object): Promise<Status>;
  fail(c: unknown, a: object): Promise<Status>;
  large(c: unknown, a: object): Promise<LargeResult>;
  stats(c: unknown, a?: object): Promise<Stats>;
}
interface EchoModule { calls: Calls; echoClient(address: string): { close(): void } }
type CallName = keyof Calls;

/** One way of making the calls: what it is called and how a call is made on it. */
interface Route { name: string; call<K extends CallName>(name: K, args: object): ReturnType<Calls[K]> }

// ---- the mesh (or, with DIRECT=1, the two apps alone) ----

function meshYaml(gwPort: number, flakyPort: number): string {
  return docs(
    meshDoc('grpc'),
    // No readiness path: the server speaks only HTTP/2, so the runtime's TCP check says it is up.
    workloadDoc('echo', { args: [SERVER_APP] }),
    serviceDoc('echo', ['{ name: grpc, port: 50051, appProtocol: grpc }']),
    workloadDoc('caller', { args: [CLIENT_APP], probe: '/healthz' }),
    // flaky: two replicas, flaky-0 answers every unary call UNAVAILABLE; a GRPCRoute retries on it.
    workloadDoc('flaky', { args: [SERVER_APP], replicas: 2, env: { FAIL_REPLICA: 'flaky-0' } }),
    serviceDoc('flaky', ['{ name: grpc, port: 50051, appProtocol: grpc }']),
    `apiVersion: weft.dev/v1alpha1
kind: TrafficPolicy
metadata: { name: flaky }
spec:
  targetRef: { kind: Service, name: flaky }
  retryBudget: { retryRatio: 1 }
  # Round robin keeps sending flaky-0 its half of the first attempts (EWMA would steer away from it).
  loadBalancer: { type: ROUND_ROBIN }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: flaky-edge }
spec: { listeners: [{ name: grpc, port: ${flakyPort}, protocol: HTTP }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: flaky }
spec:
  parentRefs: [{ name: flaky-edge }]
  rules:
  - matches: [{ method: { service: weft.test.Echo, method: Unary } }]
    backendRefs: [{ name: flaky, port: 50051 }]
    retry: { attempts: 2, retryOn: [unavailable] }
`,
    `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge }
spec: { listeners: [{ name: http, port: ${gwPort}, protocol: HTTP }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: echo-grpc }
spec:
  parentRefs: [{ name: edge }]
  rules:
  - matches: [{ path: { type: PathPrefix, value: /weft.test.Echo/ } }]
    backendRefs: [{ name: echo, port: 50051 }]
`,
  );
}

let echo: EchoModule;
let mesh: TestMesh | undefined;
const children: ChildProcess[] = [];
const clients: { close(): void }[] = [];
/** The server app's own port: its record of cancellations is read there, beside whatever path is tested. */
let serverAppPort = 0;
let statsClient: unknown;
let routes: Route[] = [];
/** The second gateway's port (mesh only): a GRPCRoute with retries to the flaky service. */
let flakyPort = 0;

function startApp(script: string, env: Record<string, string>): ChildProcess {
  const c = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  c.stdout!.on('data', (d) => (out += d));
  c.stderr!.on('data', (d) => (out += d));
  c.once('exit', (code, sig) => { if (code !== 0 && sig !== 'SIGTERM') console.log(`${path.basename(script)} exited ${code ?? sig}: ${out}`); });
  children.push(c);
  return c;
}

function grpcRoute(name: string, address: string): Route {
  const client = echo.echoClient(address);
  clients.push(client);
  return { name, call: (n, args) => echo.calls[n](client, args) as ReturnType<Calls[typeof n]> };
}

function clientAppRoute(name: string, port: number): Route {
  return {
    name,
    call: (async (n: CallName, args: object) => {
      const url = `http://127.0.0.1:${port}/grpc/${n}?args=${encodeURIComponent(JSON.stringify(args))}`;
      const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`GET /grpc/${n}: ${res.status} ${body}`);
      return JSON.parse(body) as unknown;
    }) as Route['call'],
  };
}

before(async () => {
  echo = (await import(pathToFileURL(path.join(FIXTURES, 'grpc-echo.mjs')).href)) as EchoModule;
  if (DIRECT) {
    serverAppPort = await freePort();
    const clientAppPort = await freePort();
    startApp(SERVER_APP, { PORT: String(serverAppPort), WEFT_REPLICA: 'echo-0' });
    startApp(CLIENT_APP, { PORT: String(clientAppPort), WEFT_REPLICA: 'caller-0', ECHO_URL: `http://127.0.0.1:${serverAppPort}` });
    await waitFor('the client app', async () => (await fetch(`http://127.0.0.1:${clientAppPort}/healthz`)).ok, 20_000);
    routes = [grpcRoute('direct', `127.0.0.1:${serverAppPort}`), clientAppRoute('client app, direct', clientAppPort)];
  } else {
    const gw = await freePort();
    flakyPort = await freePort();
    mesh = new TestMesh(meshYaml(gw, flakyPort));
    await mesh.start();
    await mesh.waitAllSynced();
    const procs = mesh.runtime().processes as unknown as { name: string; appPort?: number }[];
    serverAppPort = procs.find((p) => p.name === 'echo-0')?.appPort ?? 0;
    const clientAppPort = procs.find((p) => p.name === 'caller-0')?.appPort ?? 0;
    assert.ok(serverAppPort > 0 && clientAppPort > 0, `the apps' ports in runtime.json: ${JSON.stringify(procs)}`);
    routes = [grpcRoute('gateway', `127.0.0.1:${gw}`), clientAppRoute('two sidecars', clientAppPort)];
  }
  const direct = echo.echoClient(`127.0.0.1:${serverAppPort}`);
  clients.push(direct);
  statsClient = direct;
  await waitFor('the gRPC server', async () => (await echo.calls.stats(statsClient, { deadlineMs: 1000 })).replica === 'echo-0', 20_000, 100);
});

after(async () => {
  for (const c of clients) c.close();
  await mesh?.stop();
  await Promise.all(children.map((c) => new Promise((r) => { if (c.exitCode !== null || c.signalCode !== null) return r(null); c.once('exit', r); c.kill('SIGTERM'); })));
});

/** What the server app recorded for the call `id`, once it recorded something (bounded). */
const outcome = (id: string, timeoutMs = 5000) =>
  waitFor(`the server to record call ${id}`, async () => (await echo.calls.stats(statsClient, { deadlineMs: 1000 })).outcomes[id], timeoutMs, 50);

/**
 * The path works at all (a unary call answers OK), awaited once per route before its cases: a path that
 * does not work fails each case at once with the same reason instead of each waiting out its deadlines.
 */
const reachable = new Map<string, Promise<void>>();
function ready(r: Route): Promise<void> {
  let p = reachable.get(r.name);
  if (!p) {
    let last = '';
    p = waitFor(`a unary call to answer OK through ${r.name}`, async () => {
      const u = await r.call('unary', { deadlineMs: 2000 });
      last = `${u.code} ${u.details}`;
      return u.code === 0;
    }, 15_000, 200).then(() => undefined, (e: Error) => { throw new Error(`${e.message} (last status: ${last})`); });
    reachable.set(r.name, p);
  }
  return p;
}

/** Mesh routes: the service account the server's sidecar sees calling (the gateway's own, or the caller's). */
const PEERS: Record<string, string | undefined> = { 'gateway': 'gateway-edge', 'two sidecars': 'default' };

let seq = 0;
const callId = (what: string) => `${what}-${process.pid}-${++seq}`;

// The cases, registered once per route. Names are prefixed by the route.
for (const name of DIRECT ? ['direct', 'client app, direct'] : ['gateway', 'two sidecars']) {
  const route = () => routes.find((r) => r.name === name)!;
  const opts = { timeout: 60_000 };

  test(`${name}: unary: OK, the response, request metadata at the server, response headers and trailers at the client`, opts, async () => {
    const r = route();
    await ready(r);
    const u = await r.call('unary', { request: { msg: 'hello over h2' }, metadata: { 'x-test-id': 'abc-123', 'x-trace-bin': Buffer.from([0, 255, 7, 128]).toString('base64') } });
    assert.equal(u.code, 0, u.details);
    assert.equal(u.response?.echo, 'hello over h2');
    assert.equal(u.response?.replica, 'echo-0');
    assert.equal(u.response?.metadata['x-test-id'], 'abc-123', JSON.stringify(u.response?.metadata));
    assert.equal(u.response?.metadata['x-trace-bin'], 'AP8HgA==', 'binary request metadata arrives byte for byte');
    // Through the mesh, the call crossed the mTLS hop: the server's sidecar names the verified caller.
    const caller = PEERS[name];
    if (caller) assert.match(String(u.response?.metadata['x-forwarded-client-cert']), new RegExp(`URI=spiffe://grpc\\.local/ns/default/sa/${caller}(;|$)`));
    assert.equal(u.headers['x-replica'], 'echo-0', `response headers: ${JSON.stringify(u.headers)}`);
    assert.equal(u.headers['x-header-bin'], 'AAEC+g==', 'binary response metadata arrives byte for byte');
    assert.equal(u.trailers['x-trailer'], 'unary done', `trailers: ${JSON.stringify(u.trailers)}`);
    assert.equal(u.trailers['x-length'], String('hello over h2'.length));
  });

  test(`${name}: server streaming: 100 messages in order, then OK with trailers`, opts, async () => {
    const r = route();
    await ready(r);
    const s = await r.call('serverStream', { n: 100 });
    assert.equal(s.code, 0, s.details);
    assert.equal(s.received, 100);
    assert.ok(s.inOrder, 'messages arrive in the order sent');
    assert.equal(s.headers['x-replica'], 'echo-0');
    assert.equal(s.trailers['x-sent'], '100');
  });

  test(`${name}: bidirectional streaming: 50 round trips on one stream`, opts, async () => {
    const r = route();
    await ready(r);
    const b = await r.call('bidi', { n: 50 });
    assert.equal(b.code, 0, b.details);
    assert.equal(b.matched, 50);
    assert.equal(b.mismatched, 0);
    assert.equal(b.trailers['x-bidi'], 'done');
  });

  test(`${name}: a 200 ms client deadline on a 5 s call: DEADLINE_EXCEEDED in time, and the server stops the work`, opts, async () => {
    const r = route();
    await ready(r);
    const id = callId('deadline');
    const s = await r.call('slow', { ms: 5000, id, deadlineMs: 200 });
    assert.equal(s.code, 4, `DEADLINE_EXCEEDED, got ${s.code} ${s.details}`);
    assert.ok(s.elapsedMs >= 190 && s.elapsedMs < 1500, `the deadline answered after ${s.elapsedMs.toFixed(0)} ms`);
    // The server learns it (the client's RST_STREAM or the grpc-timeout it was sent) well before its 5 s.
    assert.equal(await outcome(id, 3000), 'cancelled');
  });

  test(`${name}: cancel mid-stream: CANCELLED at the client, and the server sees the cancellation and stops sending`, opts, async () => {
    const r = route();
    await ready(r);
    const id = callId('cancel');
    // 1000 messages 10 ms apart (10 s), cancelled after the 5th.
    const s = await r.call('serverStream', { n: 1000, intervalMs: 10, id, cancelAfter: 5 });
    assert.equal(s.code, 1, `CANCELLED, got ${s.code} ${s.details}`);
    assert.ok(s.received >= 5 && s.received < 1000, `${s.received} messages before the cancel took effect`);
    assert.ok(s.elapsedMs < 5000, `the cancel ended the call after ${s.elapsedMs.toFixed(0)} ms`);
    assert.equal(await outcome(id, 3000), 'cancelled');
  });

  test(`${name}: an error status passes through: NOT_FOUND with its message (non-ASCII, %) and trailing metadata`, opts, async () => {
    const r = route();
    await ready(r);
    const message = 'no such echo: café 100% gone';
    const f = await r.call('fail', { code: 5, message, trailers: { 'x-why': 'missing', 'x-detail-bin': Buffer.from('\u0000detail\u00ff', 'latin1').toString('base64') } });
    assert.equal(f.code, 5, `NOT_FOUND, got ${f.code} ${f.details}`);
    assert.equal(f.details, message);
    assert.equal(f.trailers['x-why'], 'missing', JSON.stringify(f.trailers));
    assert.equal(f.trailers['x-detail-bin'], Buffer.from('\u0000detail\u00ff', 'latin1').toString('base64'));
    // Another status: not a special case for NOT_FOUND.
    const g = await r.call('fail', { code: 8, message: 'slow down' });
    assert.equal(g.code, 8);
    assert.equal(g.details, 'slow down');
  });

  test(`${name}: a 1 MiB message each way arrives intact (flow control on both hops)`, opts, async () => {
    const r = route();
    await ready(r);
    const l = await r.call('large', { bytes: 1024 * 1024 });
    assert.equal(l.code, 0, l.details);
    assert.equal(l.sent, 1024 * 1024);
    assert.equal(l.received, 1024 * 1024);
    assert.ok(l.intact, 'the echo equals what was sent');
  });
}

test('GRPCRoute with retryOn unavailable: of two replicas one fails every call UNAVAILABLE, and every call succeeds', { skip: DIRECT ? 'mesh only' : false }, async () => {
  const procs = mesh!.runtime().processes as unknown as { name: string; appPort?: number }[];
  const bad = echo.echoClient(`127.0.0.1:${procs.find((p) => p.name === 'flaky-0')?.appPort ?? 0}`);
  clients.push(bad);
  const c = echo.echoClient(`127.0.0.1:${flakyPort}`);
  clients.push(c);
  await waitFor('the flaky route', async () => (await echo.calls.unary(c, { deadlineMs: 2000 })).code === 0, 20_000, 200);
  const before = (await echo.calls.stats(bad, { deadlineMs: 2000 })).failed;
  const codes: number[] = [];
  for (let i = 0; i < 30; i++) codes.push((await echo.calls.unary(c, { deadlineMs: 5000 })).code);
  const failedAtServer = (await echo.calls.stats(bad, { deadlineMs: 2000 })).failed - before;
  assert.deepEqual(codes.filter((x) => x !== 0), [], 'every call succeeds');
  // The failing replica did get its share of first attempts: the retries are what saved them.
  assert.ok(failedAtServer >= 5, `flaky-0 failed ${failedAtServer} calls`);
});
