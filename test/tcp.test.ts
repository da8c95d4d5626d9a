// Opaque TCP end to end through a real local mesh: Debian's real redis-server behind one sidecar, driven by
// redis-cli and redis-benchmark through another workload's sidecar (mTLS between the two), a half-close
// that must cross both sidecars, and L4 authorization.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { TestMesh, ROOT, ECHO, waitFor } from './helpers/mesh.js';
import { docs, meshDoc, serviceDoc, workloadDoc } from './helpers/yaml.js';

const run = promisify(execFile);
const COUNT = path.join(ROOT, 'test', 'fixtures', 'tcp-count.mjs');

const yaml = docs(
  meshDoc('tcp'),
  workloadDoc('redis', { command: '/bin/sh', args: ['-c', `exec redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no`] }),
  workloadDoc('counter', { args: [COUNT] }),
  workloadDoc('client', { args: [ECHO], probe: '/healthz' }),
  // 6379 without appProtocol: a server-first port, so opaque TCP.
  serviceDoc('redis', ['{ port: 6379 }']),
  serviceDoc('counter', ['{ name: data, port: 9000, appProtocol: tcp }']),
);

let mesh: TestMesh;
let redisPort = 0;
let counterPort = 0;

interface Ports { upstreams?: Record<string, number> }

before(async () => {
  mesh = new TestMesh(yaml);
  await mesh.start();
  await mesh.waitAllSynced();
  const client = mesh.runtime().processes.find((p) => p.name === 'client-0/proxy');
  const ups = (client?.ports as Ports | undefined)?.upstreams ?? {};
  redisPort = ups['redis.default:6379'] ?? 0;
  counterPort = ups['counter.default:9000'] ?? 0;
  assert.ok(redisPort > 0 && counterPort > 0, `the client sidecar has local ports for both TCP services: ${JSON.stringify(ups)}`);
});

after(async () => {
  await mesh?.stop();
});

test('the app is told tcp:// URLs for TCP services (appProtocol tcp, and 6379 without one)', () => {
  const app = mesh.runtime().processes.find((p) => p.name === 'client-0');
  assert.ok(app?.pid);
  const env = readFileSync(`/proc/${app.pid}/environ`, 'utf8').split('\0');
  assert.ok(env.includes(`REDIS_URL=tcp://127.0.0.1:${redisPort}`), env.filter((e) => e.endsWith('_URL=') || e.includes('_URL=')).join(' '));
  assert.ok(env.includes(`COUNTER_URL=tcp://127.0.0.1:${counterPort}`));
  assert.ok(env.includes(`COUNTER_DATA_URL=tcp://127.0.0.1:${counterPort}`));
});

test('redis-cli and redis-benchmark through two sidecars (mTLS) to a real redis-server', { timeout: 120_000 }, async () => {
  await waitFor('redis to answer through the mesh', async () => (await run('redis-cli', ['-p', String(redisPort), 'PING'])).stdout.trim() === 'PONG', 20_000, 200);
  await run('redis-cli', ['-p', String(redisPort), 'SET', 'weft:key', 'through the mesh']);
  assert.equal((await run('redis-cli', ['-p', String(redisPort), 'GET', 'weft:key'])).stdout.trim(), 'through the mesh');
  // A bounded benchmark: 20000 requests of each kind over 20 connections, pipelining off.
  const b = await run('redis-benchmark', ['-p', String(redisPort), '-q', '-n', '20000', '-c', '20', '-t', 'set,get'], { timeout: 110_000 });
  const rps = [...b.stdout.matchAll(/^(SET|GET): ([\d.]+) requests per second/gm)].map((m) => [m[1], Number(m[2])] as const);
  assert.equal(rps.length, 2, b.stdout);
  for (const [, n] of rps) assert.ok(n > 0);
  console.log(`redis-benchmark through the mesh: ${rps.map(([k, n]) => `${k} ${n} rps`).join(', ')}`);
  // The connections are in the access log (the proxies' log files) as TCP records, with identities on both sides.
  await waitFor('a TCP access-log line', () => /"protocol":"TCP"/.test(mesh.logText()), 20_000, 200);
});

/** Sends `bytes`, half-closes, and reads the answer until the far side closes. */
function halfClose(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let got = '';
    s.on('data', (d) => (got += d));
    s.on('end', () => {
      s.end();
      resolve(got);
    });
    s.on('error', reject);
    s.on('close', () => resolve(got));
    s.end(bytes);
  });
}

test('a half-close crosses both sidecars and the answer still comes back', async () => {
  const answer = await halfClose(counterPort, Buffer.alloc(300_000, 5));
  assert.equal(answer, 'counter-0 read 300000\n');
});

test('L4 AuthorizationPolicy: a DENY for the client principal cuts its tunnels; removing it lets them through', async () => {
  const policy = path.join(mesh.dir, 'deny.yaml');
  writeFileSync(policy, `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: no-client }
spec:
  selector: { matchLabels: { app: counter } }
  action: DENY
  rules: [{ from: [{ source: { principals: ["tcp.local/ns/default/sa/default"] } }] }]
`);
  const r = await mesh.cli(['apply', '-f', policy]);
  assert.equal(r.code, 0, r.stderr);
  await waitFor('the DENY to take effect', async () => (await halfClose(counterPort, Buffer.from('x'))) === '', 20_000, 200);
  // The refusal is logged by the server's sidecar (in its log file: a per-connection decision, not a terminal line); it arrives a moment after the client saw the close.
  await waitFor('the denial in the log', () => /denied TCP connection from spiffe:\/\/tcp\.local\/ns\/default\/sa\/default: policy default\/no-client/.test(mesh.logText()), 10_000);
  const d = await mesh.cli(['delete', '-f', policy]);
  assert.equal(d.code, 0, d.stderr);
  await waitFor('the tunnel to work again', async () => (await halfClose(counterPort, Buffer.from('abc'))) === 'counter-0 read 3\n', 20_000, 200);
});

test('an AuthorizationPolicy with HTTP-only fields on a TCP port is refused with file:line', async () => {
  const bad = path.join(mesh.dir, 'bad.yaml');
  writeFileSync(bad, `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: http-on-tcp }
spec:
  selector: { matchLabels: { app: counter } }
  rules: [{ to: [{ operation: { ports: ["9000"], methods: ["GET"] } }] }]
`);
  const r = await mesh.cli(['apply', '-f', bad]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /bad\.yaml:\d+:\d+ .*methods.*TCP/);
});

test('circuitBreaker.maxConnections on a TCP service: connections over the limit are closed at once (UO) and counted', async () => {
  const policy = path.join(mesh.dir, 'counter-limit.yaml');
  writeFileSync(policy, `apiVersion: weft.dev/v1alpha1
kind: TrafficPolicy
metadata: { name: counter }
spec:
  targetRef: { kind: Service, name: counter }
  circuitBreaker: { maxConnections: 2 }
`);
  const r = await mesh.cli(['apply', '-f', policy]);
  assert.equal(r.code, 0, r.stderr);
  await mesh.waitAllSynced();
  // Two connections held open (each has sent a byte, so each has its tunnel), then a third.
  const open = (): Promise<net.Socket> => new Promise((resolve, reject) => {
    const s = net.connect({ port: counterPort, host: '127.0.0.1', allowHalfOpen: true }, () => resolve(s));
    s.on('error', reject);
  });
  const held = [await open(), await open()];
  for (const s of held) s.write('x');
  const third = await waitFor('a third connection to be refused', async () => {
    const s = await open();
    const closed = await new Promise<boolean>((resolve) => {
      s.once('close', () => resolve(true));
      s.write('whoami\n');
      s.once('data', () => resolve(false));
    });
    s.destroy();
    return closed ? true : undefined;
  }, 10_000, 100);
  assert.equal(third, true);
  const admin = mesh.runtime().processes.find((p) => p.name === 'client-0/proxy')?.ports?.admin;
  const metrics = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
  assert.match(metrics, /weft_overflow_total\{[^}]*destination_service="counter"[^}]*limit="max_connections"[^}]*\} [1-9]/);
  for (const s of held) s.destroy();
  // With the held ones gone, a new connection is served again.
  await waitFor('a connection to be served again', async () => (await halfClose(counterPort, Buffer.from('ab'))) === 'counter-0 read 2\n', 10_000, 100);
  const d = await mesh.cli(['delete', '-f', policy]);
  assert.equal(d.code, 0, d.stderr);
});
