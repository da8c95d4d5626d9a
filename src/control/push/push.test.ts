// The push protocol end to end over real HTTP/2 sockets: the control side (PushServer) against the proxy
// side (XdsClient): ACK, NACK keeping the last good version, auth, and reconnect after a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Snapshot } from '../../api/snapshot.js';
import { PushServer } from './server.js';
import { XdsClient } from '../../proxy/xds/client.js';
import { mintProxyToken, verifyProxyToken } from '../secrets.js';
import type { ProxyRef } from '../translate/index.js';

const KEY = 'test-key';
const ref: ProxyRef = { name: 'web-0', kind: 'sidecar', workload: 'web', namespace: 'default', serviceAccount: 'web' };
const snap = (version: string): Snapshot => ({
  version, proxy: { name: ref.name, kind: ref.kind, workload: ref.workload, namespace: ref.namespace }, mesh: { name: 'm', trustDomain: 't', defaultNamespace: 'default' }, services: [], listeners: [], clusters: [],
  telemetry: { accessLog: { enabled: true, errorsOnly: false, minStatus: 0 }, tracing: { samplePercent: 1, enabled: false }, metrics: { enabled: true } },
  security: { trustDomain: 't', identity: 'spiffe://t/ns/default/sa/web', mtls: 'STRICT', authz: [], outboundTrafficPolicy: 'ALLOW_ANY', escapedSlashes: 'reject' },
});

async function until(what: string, fn: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

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
