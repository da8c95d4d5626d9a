// End to end through a real local mesh: WebSocket upgrades through the gateway and between sidecars (mTLS),
// with a real WebSocket client and server (the `ws` package) on either side.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { WebSocket } from 'ws';
import { type TestMesh, ROOT, ECHO, httpCall, waitFor, startMesh } from './helpers/mesh.js';
import { docs, edgeDocs, meshDoc, serviceDoc, workloadDoc } from './helpers/yaml.js';

const WS_APP = path.join(ROOT, 'test', 'fixtures', 'ws-echo.mjs');

function yaml(gwPort: number): string {
  return docs(
    meshDoc('tunnels'),
    workloadDoc('chat', { args: [WS_APP], probe: '/healthz' }),
    workloadDoc('client', { args: [ECHO], probe: '/healthz' }),
    serviceDoc('chat', ['{ name: http, port: 80, appProtocol: http }']),
    edgeDocs(gwPort, 'chat'),
  );
}

let mesh: TestMesh;
let gw: number;

before(async () => {
  ({ mesh, gw } = await startMesh(yaml));
  await waitFor('gateway to reach the chat app', async () => (await httpCall(gw, '/healthz')).status === 200);
});

after(async () => {
  await mesh?.stop();
});

/** Opens a WebSocket and collects what arrives; resolves once the server's greeting is in. */
async function open(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, { headers });
  const got: string[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('message', (d, binary) => got.push(binary ? `bin:${(d as Buffer).length}` : d.toString()));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
  });
  await waitFor('the greeting', () => got.length > 0, 10_000);
  return { ws, got, closed };
}

test('WebSocket through the gateway and the sidecar (mTLS): messages both ways, close propagated both ways', async () => {
  const a = await open(`ws://127.0.0.1:${gw}/ws`);
  assert.match(a.got[0]!, /^hello from chat-0$/);
  a.ws.send('one');
  a.ws.send(Buffer.alloc(200_000, 7), { binary: true });
  a.ws.send('two');
  await waitFor('three echoes', () => a.got.length >= 4, 10_000);
  assert.deepEqual(a.got.slice(1), ['echo:one', 'bin:200000', 'echo:two']);
  // The server closes with the code asked for: the client sees that code, so the close frame crossed both hops.
  a.ws.send('close:4001');
  assert.deepEqual(await a.closed, { code: 4001, reason: 'asked to' });

  // The client closes: the app sees the client's code (logged by the fixture into its log file).
  const b = await open(`ws://127.0.0.1:${gw}/ws`);
  b.ws.close(4002, 'bye');
  assert.equal((await b.closed).code, 4002);
  await waitFor('the app to see the close code', () => mesh.logText().includes('ws closed by peer with 4002'), 10_000);
});

test('an app that refuses the upgrade keeps it HTTP; a request without Upgrade stays plain', async () => {
  await assert.rejects(open(`ws://127.0.0.1:${gw}/refuse`), /unexpected response 403/);
  const plain = await httpCall(gw, '/ws');
  assert.equal(plain.status, 426);
  // The keep-alive connections used above still carry ordinary requests.
  assert.equal((await httpCall(gw, '/x')).body, 'plain /x\n');
});

test('WebSocket from an app through its sidecar to another service (sidecar -> sidecar over mTLS)', async () => {
  const client = mesh.runtime().processes.find((p) => p.name === 'client-0/proxy');
  assert.ok(client?.ports?.outbound, 'the client sidecar has an outbound port');
  const c = await open(`ws://127.0.0.1:${client.ports.outbound}/ws`, { host: 'chat' });
  c.ws.send('via sidecars');
  await waitFor('the echo', () => c.got.length >= 2, 10_000);
  assert.equal(c.got[1], 'echo:via sidecars');
  c.ws.close(1000);
  assert.equal((await c.closed).code, 1000);
});
