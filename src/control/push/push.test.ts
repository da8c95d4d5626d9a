// The push protocol end to end over real HTTP/2 sockets: the control side (PushServer) against the proxy
// side (XdsClient): ACK, NACK keeping the last good version, auth, and reconnect after a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Snapshot } from '../../api/snapshot.js';
import { PushServer } from './server.js';
import { XdsClient } from '../../proxy/push/client.js';
import { mintProxyToken, verifyProxyToken } from '../secrets.js';
import type { ProxyRef } from '../translate/index.js';
import { waitFor } from '../../util/wait.js';

const KEY = 'test-key';
const ref: ProxyRef = { name: 'web-0', kind: 'sidecar', workload: 'web', namespace: 'default', serviceAccount: 'web' };
const snap = (version: string): Snapshot => ({
  version, proxy: { name: ref.name, kind: ref.kind, workload: ref.workload, namespace: ref.namespace }, mesh: { name: 'm', trustDomain: 't', defaultNamespace: 'default' }, services: [], listeners: [], clusters: [],
  telemetry: { accessLog: { enabled: true, errorsOnly: false, minStatus: 0 }, tracing: { samplePercent: 1, enabled: false }, metrics: { enabled: true } },
  security: { trustDomain: 't', identity: 'spiffe://t/ns/default/sa/web', mtls: 'STRICT', authz: [], outboundTrafficPolicy: 'ALLOW_ANY', escapedSlashes: 'reject' },
});

const until = (what: string, fn: () => boolean, ms = 5000): Promise<true> => waitFor(what, fn, ms, 10);

function setup(current: { v: string }) {
  const server = new PushServer({ authenticate: (n, t) => verifyProxyToken(KEY, n, t), snapshotFor: () => snap(current.v), signCsr: async () => { throw new Error('no CA in this test'); }, log: () => {} });
  return server;
}

test('a proxy gets its snapshot, ACKs it, and a bad one is NACKed while the old one keeps serving', async () => {
  const current = { v: 'v1' };
  const server = setup(current);
  const port = await server.listen(0, '127.0.0.1');
  let running: string | null = null;
  const client = new XdsClient({
    url: `http://127.0.0.1:${port}`, token: mintProxyToken(KEY, ref),
    hello: { proxy: { ...ref, version: 'test' } },
    currentVersion: () => running,
    apply: async (s) => {
      if (s.version === 'bad') throw new Error('cannot listen on 127.0.0.1:1: EACCES');
      running = s.version;
    },
    log: () => {},
  });
  client.start();
  try {
    await until('SYNCED on v1', () => server.conns.get('web-0') !== undefined && server.stateOf(server.conns.get('web-0')!).state === 'SYNCED');
    assert.equal(running, 'v1');
    current.v = 'bad';
    server.pushAll();
    await until('NACKED', () => server.stateOf(server.conns.get('web-0')!).state === 'NACKED');
    assert.equal(running, 'v1');
    assert.match(server.stateOf(server.conns.get('web-0')!).error ?? '', /EACCES/);
    assert.equal(server.conns.get('web-0')!.running?.version, 'v1');
    current.v = 'v2';
    server.pushAll();
    await until('SYNCED on v2', () => server.stateOf(server.conns.get('web-0')!).state === 'SYNCED' && running === 'v2');
  } finally {
    client.stop();
    await server.close();
  }
});

test('a credential for another proxy is refused', async () => {
  const server = setup({ v: 'v1' });
  const port = await server.listen(0, '127.0.0.1');
  const logs: string[] = [];
  const other = mintProxyToken(KEY, { ...ref, name: 'web-1' });
  const client = new XdsClient({
    url: `http://127.0.0.1:${port}`, token: other, hello: { proxy: { ...ref, version: 'test' } },
    currentVersion: () => null, apply: async () => {}, log: (m) => logs.push(m), backoff: { baseMs: 1000, maxMs: 1000 },
  });
  client.start();
  try {
    await until('refusal', () => logs.some((l) => l.includes('HTTP 401')));
    assert.equal(server.conns.size, 0);
  } finally {
    client.stop();
    await server.close();
  }
});

test('after the control plane restarts on the same port the proxy reconnects and is SYNCED again', async () => {
  const current = { v: 'v1' };
  let server = setup(current);
  const port = await server.listen(0, '127.0.0.1');
  let running: string | null = null;
  let applies = 0;
  const client = new XdsClient({
    url: `http://127.0.0.1:${port}`, token: mintProxyToken(KEY, ref), hello: { proxy: { ...ref, version: 'test' } },
    currentVersion: () => running, apply: async (s) => { applies++; running = s.version; }, log: () => {},
    backoff: { baseMs: 20, maxMs: 100 },
  });
  client.start();
  try {
    await until('first sync', () => running === 'v1');
    await server.close();
    await until('client notices', () => !client.connected);
    assert.equal(running, 'v1', 'keeps serving while the control plane is away');
    server = setup(current);
    await server.listen(port, '127.0.0.1');
    await until('SYNCED after restart', () => server.conns.get('web-0') !== undefined && server.stateOf(server.conns.get('web-0')!).state === 'SYNCED');
    assert.equal(applies, 1, 'the same version is ACKed without being applied again');
  } finally {
    client.stop();
    await server.close();
  }
});

test('an idle stream stays up as long as the control plane answers PINGs (no config change for many PING periods)', async () => {
  const server = setup({ v: 'v1' });
  const port = await server.listen(0, '127.0.0.1');
  const logs: string[] = [];
  let running: string | null = null;
  const client = new XdsClient({
    url: `http://127.0.0.1:${port}`, token: mintProxyToken(KEY, ref), hello: { proxy: { ...ref, version: 'test' } },
    currentVersion: () => running, apply: async (s) => { running = s.version; }, log: (m) => logs.push(m),
    // The same logic as the defaults (10 s / 30 s), scaled down: 30 PING periods of idleness below.
    keepalive: { pingMs: 50, deadMs: 150 },
  });
  client.start();
  try {
    await until('first sync', () => running === 'v1');
    const idleUntil = Date.now() + 1500;
    await until('30 PING periods of an idle stream', () => Date.now() > idleUntil || !client.connected, 5000);
    assert.equal(client.connected, true);
    assert.deepEqual(logs.filter((l) => l.includes('lost') || l.startsWith('connected')), [`connected to control plane http://127.0.0.1:${port}`]);
  } finally {
    client.stop();
    await server.close();
  }
});

test('a control plane that stops answering (a black-holed connection) is noticed and the stream reopened', async () => {
  const server = setup({ v: 'v1' });
  const port = await server.listen(0, '127.0.0.1');
  // A TCP relay in front of the control plane that can silently stop relaying, as a dead peer or a network
  // partition would: no FIN, no RST, just nothing.
  const net = await import('node:net');
  let blackhole = false;
  const relays: import('node:net').Socket[] = [];
  const front = net.createServer((down) => {
    const up = net.connect(port, '127.0.0.1');
    relays.push(down, up);
    down.on('data', (d) => { if (!blackhole) up.write(d); });
    up.on('data', (d) => { if (!blackhole) down.write(d); });
    down.on('error', () => {}); up.on('error', () => {});
    down.on('close', () => up.destroy()); up.on('close', () => down.destroy());
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  const frontPort = (front.address() as import('node:net').AddressInfo).port;
  const logs: string[] = [];
  let running: string | null = null;
  const client = new XdsClient({
    url: `http://127.0.0.1:${frontPort}`, token: () => Promise.resolve(mintProxyToken(KEY, ref)), hello: { proxy: { ...ref, version: 'test' } },
    currentVersion: () => running, apply: async (s) => { running = s.version; }, log: (m) => logs.push(m),
    keepalive: { pingMs: 50, deadMs: 300 }, backoff: { baseMs: 20, maxMs: 50 },
  });
  client.start();
  try {
    await until('first sync', () => running === 'v1');
    blackhole = true;
    await until('the dead stream to be noticed', () => logs.some((l) => /stream lost \(no answer to PING/.test(l)), 5000);
    assert.equal(running, 'v1', 'keeps serving the last good config');
    blackhole = false;
    for (const s of relays) s.destroy();
    await until('a new stream', () => client.connected && logs.filter((l) => l.startsWith('connected')).length >= 2, 5000);
  } finally {
    client.stop();
    front.close();
    for (const s of relays) s.destroy();
    await server.close();
  }
});

test('with two control-plane addresses, a proxy whose control plane goes away moves to the other at once and is SYNCED there', async () => {
  const current = { v: 'v1' };
  const a = setup(current);
  const b = setup(current);
  const pa = await a.listen(0, '127.0.0.1');
  const pb = await b.listen(0, '127.0.0.1');
  let running: string | null = null;
  const logs: string[] = [];
  const client = new XdsClient({
    url: `http://127.0.0.1:${pa}, http://127.0.0.1:${pb}`, token: () => Promise.resolve(mintProxyToken(KEY, ref)), hello: { proxy: { ...ref, version: 'test' } },
    currentVersion: () => running, apply: async (s) => { running = s.version; }, log: (l) => logs.push(l),
    // A long backoff: failing over must not wait for it.
    backoff: { baseMs: 5000, maxMs: 5000 },
  });
  client.start();
  const synced = (s: PushServer) => s.conns.get('web-0') !== undefined && s.conns.get('web-0')!.connected && s.stateOf(s.conns.get('web-0')!).state === 'SYNCED';
  try {
    await until('first sync on one of them', () => synced(a) || synced(b));
    const [first, other] = synced(a) ? [a, b] : [b, a];
    const t0 = Date.now();
    await first.close();
    await until('SYNCED on the other', () => synced(other), 3000);
    assert.ok(Date.now() - t0 < 2000, `failover took ${Date.now() - t0} ms`);
    assert.equal(running, 'v1');
    assert.ok(logs.some((l) => l.startsWith(`connected to control plane http://127.0.0.1:${other === a ? pa : pb}`)), logs.join('\n'));
  } finally {
    client.stop();
    await a.close().catch(() => {});
    await b.close().catch(() => {});
  }
});

test('an empty control-plane address list is refused', () => {
  assert.throws(() => new XdsClient({ url: ' , ', token: 'x', hello: { proxy: { ...ref, version: 'test' } }, currentVersion: () => null, apply: async () => {}, log: () => {} }), /no control plane address/);
});
