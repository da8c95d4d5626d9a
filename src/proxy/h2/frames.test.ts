import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { ERROR, FLAG, FRAME, FrameReader, H2Error, PREFACE, frame, headersFrames, parseSettings, settingsAck, settingsFrame, SETTING, type Frame } from './frames.js';
import { Decoder, encode } from './hpack.js';

describe('HTTP/2 frames against nghttp2 (node:http2 as the client)', () => {
  it('reads a real client\'s preface, SETTINGS and a request whose header block spans CONTINUATIONs; the client accepts our response', async () => {
    const big = 'v'.repeat(40_000); // forces HEADERS + CONTINUATION frames at the default 16 KiB frame size
    const seen: Frame[] = [];
    let decoded: Map<string, string> | undefined;
    const server = net.createServer((sock) => {
      const reader = new FrameReader({ expectPreface: true, maxHeaderBlock: 128 * 1024 });
      const dec = new Decoder({ maxHeaderListSize: 256 * 1024 });
      sock.write(settingsFrame([[SETTING.MAX_CONCURRENT_STREAMS, 100]]));
      sock.on('data', (c: Buffer) => {
        for (const f of reader.push(c)) {
          seen.push(f);
          if (f.type === FRAME.SETTINGS && (f.flags & FLAG.ACK) === 0) sock.write(settingsAck());
          if (f.type === FRAME.HEADERS) {
            decoded = new Map(dec.decode(f.payload));
            for (const b of headersFrames(f.stream, encode([[':status', '200'], ['content-type', 'text/plain'], ['x-got', String(decoded.get('x-big')?.length)]]), false)) sock.write(b);
            sock.write(frame(FRAME.DATA, FLAG.END_STREAM, f.stream, Buffer.from('hello from frames.ts')));
          }
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const client = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const { status, body, got } = await new Promise<{ status: number; body: string; got: string }>((resolve, reject) => {
        const req = client.request({ ':method': 'GET', ':path': '/frames?x=1', 'x-big': big });
        let body = '';
        let status = 0;
        let got = '';
        req.on('response', (h) => { status = Number(h[':status']); got = String(h['x-got']); });
        req.on('data', (d) => (body += d));
        req.on('end', () => resolve({ status, body, got }));
        req.on('error', reject);
        req.end();
      });
      assert.equal(status, 200);
      assert.equal(body, 'hello from frames.ts');
      assert.equal(got, '40000', 'the 40 000-byte header arrived whole through CONTINUATION');
      assert.equal(decoded?.get(':path'), '/frames?x=1');
      assert.ok(seen.some((f) => f.type === FRAME.SETTINGS), 'the client\'s SETTINGS');
      const h = seen.find((f) => f.type === FRAME.HEADERS)!;
      assert.equal(h.flags & FLAG.END_HEADERS, FLAG.END_HEADERS, 'the joined block reads as one complete HEADERS');
    } finally {
      client.close();
      server.close();
    }
  });
});

describe('FrameReader', () => {
  const data = (stream: number, s: string, flags = 0) => frame(FRAME.DATA, flags, stream, Buffer.from(s));

  it('gives the same frames whatever the byte boundaries', () => {
    const bytes = Buffer.concat([PREFACE, settingsFrame([[SETTING.INITIAL_WINDOW_SIZE, 1 << 20]]), ...headersFrames(1, Buffer.alloc(40_000, 0x82), false), data(1, 'abc', FLAG.END_STREAM), frame(FRAME.PING, 0, 0, Buffer.alloc(8))]);
    const whole = new FrameReader({ expectPreface: true }).push(bytes);
    const r = new FrameReader({ expectPreface: true });
    const split: Frame[] = [];
    for (let i = 0; i < bytes.length; i++) split.push(...r.push(bytes.subarray(i, i + 1)));
    assert.deepEqual(split, whole);
    assert.deepEqual(whole.map((f) => f.type), [FRAME.SETTINGS, FRAME.HEADERS, FRAME.DATA, FRAME.PING]);
    assert.equal(whole[1]!.payload.length, 40_000);
  });

  it('strips padding and HEADERS priority fields', () => {
    const padded = Buffer.concat([Buffer.from([3]), Buffer.from('body'), Buffer.alloc(3)]);
    assert.equal(new FrameReader().push(frame(FRAME.DATA, FLAG.PADDED, 1, padded))[0]!.payload.toString(), 'body');
    const prio = Buffer.concat([Buffer.from([0, 0, 0, 3, 16]), Buffer.from([0x82])]);
    assert.deepEqual([...new FrameReader().push(frame(FRAME.HEADERS, FLAG.PRIORITY | FLAG.END_HEADERS, 1, prio))[0]!.payload], [0x82]);
  });

  it('ignores unknown frame types, but not inside a header block', () => {
    assert.deepEqual(new FrameReader().push(frame(0x42, 0, 0, Buffer.from('x'))), []);
    const r = new FrameReader();
    r.push(frame(FRAME.HEADERS, 0, 1, Buffer.from([0x82])));
    assert.throws(() => r.push(frame(0x42, 0, 0)), H2Error);
  });

  const fails = (bytes: Buffer, code: number, opts = {}) => assert.throws(() => new FrameReader(opts).push(bytes), (e: unknown) => e instanceof H2Error && e.code === code);
  it('connection errors (RFC 9113): sizes, streams, padding, fixed sizes, settings, push, self-dependency, preface', () => {
    fails(frame(FRAME.DATA, 0, 1, Buffer.alloc(16_385)), ERROR.FRAME_SIZE_ERROR);
    fails(data(0, 'x'), ERROR.PROTOCOL_ERROR);
    fails(frame(FRAME.HEADERS, FLAG.END_HEADERS, 0, Buffer.from([0x82])), ERROR.PROTOCOL_ERROR);
    fails(frame(FRAME.SETTINGS, 0, 5), ERROR.PROTOCOL_ERROR);
    fails(frame(FRAME.PING, 0, 0, Buffer.alloc(7)), ERROR.FRAME_SIZE_ERROR);
    fails(frame(FRAME.RST_STREAM, 0, 1, Buffer.alloc(3)), ERROR.FRAME_SIZE_ERROR);
    fails(frame(FRAME.WINDOW_UPDATE, 0, 1, Buffer.alloc(5)), ERROR.FRAME_SIZE_ERROR);
    fails(frame(FRAME.SETTINGS, FLAG.ACK, 0, Buffer.alloc(6)), ERROR.FRAME_SIZE_ERROR);
    fails(frame(FRAME.SETTINGS, 0, 0, Buffer.alloc(5)), ERROR.FRAME_SIZE_ERROR);
    fails(frame(FRAME.DATA, FLAG.PADDED, 1, Buffer.from([9, 1, 2])), ERROR.PROTOCOL_ERROR);
    fails(frame(FRAME.PUSH_PROMISE, FLAG.END_HEADERS, 1, Buffer.alloc(4)), ERROR.PROTOCOL_ERROR);
    fails(frame(FRAME.HEADERS, FLAG.PRIORITY | FLAG.END_HEADERS, 3, Buffer.from([0, 0, 0, 3, 16, 0x82])), ERROR.PROTOCOL_ERROR);
    fails(settingsFrame([[SETTING.ENABLE_PUSH, 2]]), ERROR.PROTOCOL_ERROR);
    fails(settingsFrame([[SETTING.INITIAL_WINDOW_SIZE, 2 ** 31]]), ERROR.FLOW_CONTROL_ERROR);
    fails(settingsFrame([[SETTING.MAX_FRAME_SIZE, 100]]), ERROR.PROTOCOL_ERROR);
    fails(Buffer.from('GET / HTTP/1.1\r\n\r\n'), ERROR.PROTOCOL_ERROR, { expectPreface: true });
    assert.equal(parseSettings(Buffer.from([0, 99, 0, 0, 0, 1])).get(99), 1, 'unknown settings are kept, not refused');
  });

  it('a header block must not be interrupted, and a CONTINUATION flood stops at the limit', () => {
    const r = new FrameReader();
    r.push(frame(FRAME.HEADERS, 0, 1, Buffer.from([0x82])));
    assert.throws(() => r.push(data(1, 'x')), (e: unknown) => e instanceof H2Error && e.code === ERROR.PROTOCOL_ERROR);
    const r2 = new FrameReader();
    r2.push(frame(FRAME.HEADERS, 0, 1, Buffer.from([0x82])));
    assert.throws(() => r2.push(frame(FRAME.CONTINUATION, 0, 3, Buffer.from([0x82]))), H2Error, 'on another stream');
    fails(frame(FRAME.CONTINUATION, FLAG.END_HEADERS, 1, Buffer.from([0x82])), ERROR.PROTOCOL_ERROR);
    const flood = new FrameReader({ maxHeaderBlock: 64 * 1024 });
    flood.push(frame(FRAME.HEADERS, 0, 1, Buffer.alloc(16_000)));
    let err: unknown;
    try {
      for (let i = 0; i < 100 && err === undefined; i++) flood.push(frame(FRAME.CONTINUATION, 0, 1, Buffer.alloc(16_000)));
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof H2Error && err.code === ERROR.ENHANCE_YOUR_CALM, 'stopped at 64 KiB, not after 1.6 MB');
  });
});
