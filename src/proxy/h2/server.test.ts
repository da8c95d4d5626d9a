// The HTTP/2 server side against real peers: node's HTTP/2 client (nghttp2) for what a good client does,
// and raw frames for what a hostile one does (RFC 9113 malformed requests, rapid reset, CONTINUATION and
// HPACK floods, too many streams, PING floods). After each attack the listener still serves.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { after, before, describe, it } from 'node:test';
import type { Ctx } from '../context.js';
import { HttpListener } from '../engine/listener.js';
import { FRAME, FLAG, ERROR, SETTING, frame, rstStreamFrame, headersFrames, type Frame } from './frames.js';
import { RawClient } from './raw-client.test-helper.js';
import { encode } from './hpack.js';
import { waitFor } from '../../util/wait.js';

const REQ = (path = '/', extra: [string, string][] = []): [string, string][] => [[':method', 'GET'], [':scheme', 'http'], [':authority', 'example.test'], [':path', path], ...extra];
const headers = (id: number, fields: [string, string][], end = true): Buffer => Buffer.concat(headersFrames(id, encode(fields), end));

describe('HTTP/2 server', () => {
  let l: HttpListener;
  let port: number;
  const seen: Ctx[] = [];
  /** Requests whose answer the test holds back (to keep streams open). */
  const held: Ctx[] = [];

  before(async () => {
    l = new HttpListener(async (ctx) => {
      seen.push(ctx);
      if (ctx.path === '/hold') {
        held.push(ctx);
        return;
      }
      let body = '';
      if (ctx.conn.hasBody) {
        body = await new Promise<string>((resolve) => {
          const parts: Buffer[] = [];
          ctx.conn.attachBody({ write: (b) => { parts.push(b); return true; }, end: (t) => resolve(`${Buffer.concat(parts).length}${t ? ` ${JSON.stringify(t)}` : ''}`) });
        });
      }
      ctx.res.writeHead(200, { 'content-type': 'text/plain', 'x-path': ctx.path });
      ctx.res.end(`${ctx.method} ${ctx.authority} ${ctx.path}?${ctx.query} v${ctx.version} body=${body}`);
    });
    port = await l.listen(0, '127.0.0.1');
  });
  after(async () => {
    await l.drain(0);
  });

  async function get(client: http2.ClientHttp2Session, h: http2.OutgoingHttpHeaders, body?: Buffer | string): Promise<{ status: number; headers: http2.IncomingHttpHeaders; body: string }> {
    const r = client.request(h);
    r.end(body);
    return new Promise((resolve, reject) => {
      let hs: http2.IncomingHttpHeaders = {};
      let d = '';
      r.on('response', (x) => { hs = x; });
      r.setEncoding('utf8');
      r.on('data', (c: string) => { d += c; });
      r.on('end', () => resolve({ status: Number(hs[':status']), headers: hs, body: d }));
      r.on('error', reject);
    });
  }

  it('serves h2c with prior knowledge: requests become a Ctx with version 2, bodies and trailers reach the service', async () => {
    const c = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const a = await get(c, { ':path': '/a?x=1', ':authority': 'shop.test' });
      assert.equal(a.status, 200);
      assert.equal(a.headers['x-path'], '/a');
      assert.equal(a.body, 'GET shop.test /a?x=1 v2 body=');
      const b = await get(c, { ':method': 'POST', ':path': '/up' }, Buffer.alloc(700_000, 1));
      assert.equal(b.body.endsWith('body=700000'), true, b.body);
      // Trailers from the client arrive with the end of the body.
      const r = c.request({ ':method': 'POST', ':path': '/t' }, { waitForTrailers: true });
      r.on('wantTrailers', () => r.sendTrailers({ 'x-check': 'abc' }));
      r.end('hello');
      const t = await new Promise<string>((resolve) => { let d = ''; r.setEncoding('utf8'); r.on('data', (x: string) => { d += x; }); r.on('end', () => resolve(d)); });
      assert.match(t, /body=5 \[\["x-check","abc"\]\]/);
      // Many streams at once on the one connection.
      const all = await Promise.all(Array.from({ length: 50 }, (_, i) => get(c, { ':path': `/m${i}` })));
      assert.deepEqual(all.map((x) => x.headers['x-path']), Array.from({ length: 50 }, (_, i) => `/m${i}`));
    } finally {
      c.close();
    }
  });

  it('refuses malformed requests with RST_STREAM PROTOCOL_ERROR before the service sees them, and keeps the connection', async () => {
    const before = seen.length;
    const bad: [string, string][][] = [
      REQ('/', [['connection', 'keep-alive']]),
      REQ('/', [['transfer-encoding', 'chunked']]),
      REQ('/', [['upgrade', 'websocket']]),
      REQ('/', [['keep-alive', '5']]),
      REQ('/', [['proxy-connection', 'x']]),
      REQ('/', [['te', 'gzip']]),
      REQ('/', [['Upper', 'x']]),
      REQ('/', [['x-bad', 'a\r\nb']]),
      REQ('/', [['x-bad', ' padded']]),
      [[':method', 'GET'], [':scheme', 'http'], [':path', '/']].concat([['x', 'y'], [':authority', 'late']]) as [string, string][],
      [[':method', 'GET'], [':path', '/'], [':authority', 'a']],
      [[':method', 'GET'], [':scheme', 'http'], [':authority', 'a'], [':path', '']],
      [[':method', 'GET'], [':method', 'POST'], [':scheme', 'http'], [':authority', 'a'], [':path', '/']],
      [[':method', 'GET'], [':scheme', 'http'], [':authority', 'a'], [':path', '/'], [':status', '200']],
      [[':method', 'GET'], [':scheme', 'http'], [':authority', 'a b'], [':path', '/']],
      [[':method', 'GET'], [':scheme', 'http'], [':authority', 'a'], [':path', 'relative']],
      [[':method', 'CONNECT'], [':authority', 'a:443']],
      REQ('/', [['host', 'other.test']]),
      [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], ['host', 'a'], ['host', 'b']],
      REQ('/', [['content-length', '1'], ['content-length', '2']]),
    ];
    const c = new RawClient(port);
    let id = 1;
    for (const f of bad) {
      c.send(headers(id, f));
      id += 2;
    }
    // A request with a body longer than its content-length.
    c.send(headers(id, [[':method', 'POST'], [':scheme', 'http'], [':authority', 'a'], [':path', '/cl'], ['content-length', '3']], false), frame(FRAME.DATA, FLAG.END_STREAM, id, Buffer.from('toolong')));
    id += 2;
    // And a good one after all of them, on the same connection.
    c.send(headers(id, REQ('/fine')));
    await waitFor('the good request answered', () => c.frames.some((f) => f.type === FRAME.HEADERS && f.stream === id), 5000);
    const resets = c.resets();
    assert.equal(resets.length, bad.length + 1);
    for (const r of resets) assert.equal(r.payload.readUInt32BE(0), ERROR.PROTOCOL_ERROR);
    assert.equal(c.goaway(), undefined);
    assert.deepEqual(seen.slice(before).map((x) => x.path), ['/fine']);
    c.sock.destroy();
  });

  it('rapid reset (CVE-2023-44487): a client that cancels most of its streams gets GOAWAY ENHANCE_YOUR_CALM and is cut', async () => {
    const c = new RawClient(port);
    const bufs: Buffer[] = [];
    for (let i = 0; i < 400; i++) {
      const id = 1 + 2 * i;
      bufs.push(headers(id, REQ('/hold'), true), rstStreamFrame(id, ERROR.CANCEL));
    }
    c.send(...bufs);
    assert.equal(await c.gone(), ERROR.ENHANCE_YOUR_CALM);
  });

  it('CONTINUATION flood: endless empty CONTINUATION frames end in GOAWAY and a closed connection', async () => {
    const c = new RawClient(port);
    const block = encode(REQ('/'));
    const parts = [frame(FRAME.HEADERS, 0, 1, block)];
    for (let i = 0; i < 5000; i++) parts.push(frame(FRAME.CONTINUATION, 0, 1));
    c.send(...parts);
    assert.equal(await c.gone(), ERROR.ENHANCE_YOUR_CALM);
  });

  it('CONTINUATION flood with bytes: a header block over the limit ends the connection', async () => {
    const c = new RawClient(port);
    const parts = [frame(FRAME.HEADERS, 0, 1, encode(REQ('/')))];
    for (let i = 0; i < 10; i++) parts.push(frame(FRAME.CONTINUATION, 0, 1, Buffer.alloc(16_000, 0x40)));
    c.send(...parts);
    assert.equal(await c.gone(), ERROR.ENHANCE_YOUR_CALM);
  });

  it('HPACK bomb: a small block that inflates past the header list limit is refused', async () => {
    const c = new RawClient(port);
    // One large literal indexed into the dynamic table, then referenced over and over (a few bytes each).
    const big = 'v'.repeat(4000);
    const lit = Buffer.concat([Buffer.from([0x40, 0x01, 0x78, 0x7f]), intTail(big.length - 127), Buffer.from(big)]);
    const refs = Buffer.alloc(2000, 0xbe); // index 62: the entry just added
    c.send(frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, 1, Buffer.concat([encode(REQ('/')), lit, refs])));
    const code = await c.gone();
    assert.ok(code === ERROR.ENHANCE_YOUR_CALM || code === ERROR.COMPRESSION_ERROR, `code ${code}`);
  });

  it('too many streams: over SETTINGS_MAX_CONCURRENT_STREAMS after the client acknowledged it is a connection error', async () => {
    const small = new HttpListener(l.service);
    small.h2Limits = { maxConcurrentStreams: 5 };
    const p = await small.listen(0, '127.0.0.1');
    try {
      const c = new RawClient(p);
      await c.ack();
      const s = c.frames.find((f) => f.type === FRAME.SETTINGS && (f.flags & FLAG.ACK) === 0)!;
      assert.equal(settingValue(s, SETTING.MAX_CONCURRENT_STREAMS), 5);
      for (let i = 0; i < 6; i++) c.send(headers(1 + 2 * i, REQ('/hold')));
      assert.equal(await c.gone(), ERROR.PROTOCOL_ERROR);
    } finally {
      await small.drain(0);
    }
  });

  it('PING flood from a client that does not read: the connection is closed, not our memory', async () => {
    const c = new RawClient(port);
    c.sock.pause(); // never reads our ACKs
    const ping = frame(FRAME.PING, 0, 0, Buffer.alloc(8));
    const burst = Buffer.concat(Array.from({ length: 10_000 }, () => ping));
    const deadline = Date.now() + 20_000;
    while (!c.closed && Date.now() < deadline) {
      c.send(burst);
      await new Promise((r) => setImmediate(r));
      if (c.sock.writableLength > 8 << 20) await new Promise((r) => c.sock.once('drain', r));
    }
    assert.equal(c.closed, true);
  });

  it('still serves after every attack above', async () => {
    const c = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const a = await get(c, { ':path': '/after' });
      assert.equal(a.status, 200);
    } finally {
      c.close();
    }
  });

  it('drain: GOAWAY to idle HTTP/2 clients, in-flight streams finish first', async () => {
    const dl = new HttpListener(l.service);
    const p = await dl.listen(0, '127.0.0.1');
    const c = http2.connect(`http://127.0.0.1:${p}`);
    const first = await get(c, { ':path': '/x' });
    assert.equal(first.status, 200);
    const goaway = new Promise<void>((r) => c.once('goaway', () => r()));
    await dl.drain(2000);
    await goaway;
    c.close();
  });
});

function intTail(n: number): Buffer {
  const out: number[] = [];
  while (n >= 128) {
    out.push((n % 128) + 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

function settingValue(f: Frame, id: number): number | undefined {
  for (let i = 0; i + 6 <= f.payload.length; i += 6) if (f.payload.readUInt16BE(i) === id) return f.payload.readUInt32BE(i + 2);
  return undefined;
}
