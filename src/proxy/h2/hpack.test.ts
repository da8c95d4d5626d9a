import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Decoder, HpackError, encode, huffmanDecode, huffmanEncode } from './hpack.js';
import { seeded } from '../../util/prng.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('HPACK decoding, RFC 7541 Appendix C', () => {
  it('C.2.1: a literal with incremental indexing enters the dynamic table', () => {
    const d = new Decoder();
    assert.deepEqual(d.decode(hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572')), [['custom-key', 'custom-header']]);
    assert.equal(d.tableSize, 55);
    // Index 62 is the newest dynamic entry.
    assert.deepEqual(d.decode(hex('be')), [['custom-key', 'custom-header']]);
  });

  it('C.4: three requests with Huffman coding share one dynamic table', () => {
    const d = new Decoder();
    assert.deepEqual(d.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff')), [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']]);
    assert.equal(d.tableSize, 57);
    assert.deepEqual(d.decode(hex('8286 84be 5886 a8eb 1064 9cbf')), [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'], ['cache-control', 'no-cache']]);
    assert.equal(d.tableSize, 110);
    assert.deepEqual(d.decode(hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf')), [[':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']]);
    assert.equal(d.tableSize, 164);
  });

  it('C.6: three responses with Huffman coding in a 256-byte table, evicting as they go', () => {
    const d = new Decoder({ maxTableSize: 256 });
    const date1 = 'Mon, 21 Oct 2013 20:13:21 GMT';
    assert.deepEqual(d.decode(hex('4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3')),
      [[':status', '302'], ['cache-control', 'private'], ['date', date1], ['location', 'https://www.example.com']]);
    assert.equal(d.tableSize, 222);
    assert.deepEqual(d.decode(hex('4883 640e ffc1 c0bf')), [[':status', '307'], ['cache-control', 'private'], ['date', date1], ['location', 'https://www.example.com']]);
    assert.equal(d.tableSize, 222);
    assert.deepEqual(d.decode(hex('88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07')),
      [[':status', '200'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'], ['location', 'https://www.example.com'], ['content-encoding', 'gzip'], ['set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1']]);
    assert.equal(d.tableSize, 215);
  });
});

describe('Huffman', () => {
  it('round-trips every byte value and random strings', () => {
    const all = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
    assert.equal(huffmanDecode(huffmanEncode(all), 0, huffmanEncode(all).length), all);
    const r = seeded(11);
    for (let n = 0; n < 300; n++) {
      const s = Array.from({ length: Math.floor(r() * 40) }, () => String.fromCharCode(Math.floor(r() * 256))).join('');
      const e = huffmanEncode(s);
      assert.equal(huffmanDecode(e, 0, e.length), s);
    }
  });

  it('www.example.com encodes as in RFC 7541 C.4.1', () => {
    assert.equal(huffmanEncode('www.example.com').toString('hex'), 'f1e3c2e5f23a6ba0ab90f4ff');
  });

  it('refuses padding that is not the EOS prefix, or longer than 7 bits', () => {
    // "0" is 00000 (5 bits); padded with ones it is 0x07.
    assert.equal(huffmanDecode(Buffer.from([0x07]), 0, 1), '0');
    assert.throws(() => huffmanDecode(Buffer.from([0x00]), 0, 1), HpackError, 'zero padding');
    assert.throws(() => huffmanDecode(Buffer.from([0x07, 0xff]), 0, 2), HpackError, 'a whole byte of padding');
    // EOS itself (30 ones) inside a string.
    assert.throws(() => huffmanDecode(Buffer.from([0xff, 0xff, 0xff, 0xff]), 0, 4), HpackError);
  });
});

describe('HPACK errors: malformed or oversized blocks are COMPRESSION_ERRORs, never crashes', () => {
  const bad = (block: Buffer, limits = {}) => assert.throws(() => new Decoder(limits).decode(block), HpackError);
  it('index 0, an index past both tables, truncated and over-long integers, strings past the block', () => {
    bad(hex('80'));
    bad(hex('bf')); // 62, with an empty dynamic table
    bad(hex('ff')); // an integer with its continuation missing
    bad(hex('ff ff ff ff ff ff 7f')); // > 2^28
    bad(hex('40 0a 6375')); // name length 10, 2 bytes given
  });

  it('a table size update over the announced maximum, or after a field', () => {
    assert.deepEqual(new Decoder({ maxTableSize: 4096 }).decode(hex('3fe1 1f')), [], 'an update to exactly 4096 is allowed');
    bad(hex('3fe2 1f'), { maxTableSize: 4096 }); // 4097
    bad(hex('82 20'));
  });

  it('an HPACK bomb (one big entry referenced again and again) stops at the header list limit', () => {
    const value = 'x'.repeat(3000);
    const first = Buffer.concat([hex('40 01 61'), Buffer.from([0x7f, 0x80 + ((3000 - 127) % 128), Math.floor((3000 - 127) / 128)]), Buffer.from(value)]);
    const block = Buffer.concat([first, Buffer.alloc(100, 0xbe)]); // 100 more references: ~300 KB decoded
    assert.throws(() => new Decoder({ maxHeaderListSize: 64 * 1024 }).decode(block), /header list over 65536 bytes/);
    assert.equal(new Decoder({ maxHeaderListSize: 1 << 20 }).decode(block).length, 101, 'within a larger limit it decodes');
  });
});

describe('HPACK encoding', () => {
  it('round-trips; static matches take one byte; credentials are never indexed', () => {
    const fields: [string, string][] = [[':method', 'GET'], [':path', '/api/products?id=7'], [':scheme', 'https'], [':authority', 'catalog:80'], ['authorization', 'Bearer abc'], ['x-request-id', 'a'.repeat(300)], ['cookie', 'session=1']];
    const block = encode(fields);
    assert.deepEqual(new Decoder().decode(block), fields);
    assert.equal(encode([[':method', 'GET']]).toString('hex'), '82');
    const auth = encode([['authorization', 'Bearer abc']]);
    assert.equal(auth[0]! & 0xf0, 0x10, 'never-indexed literal');
  });

  it('nghttp2 (node:http2, a real peer) accepts our blocks and we decode its responses, dynamic table included', async () => {
    const server = http2.createServer();
    server.on('stream', (stream, headers) => {
      stream.respond({ ':status': 200, 'x-echo-path': String(headers[':path']), 'x-echo-ua': String(headers['user-agent']), 'set-cookie': 'a=b', 'content-type': 'text/plain' });
      stream.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const sock = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
    try {
      const frame = (type: number, flags: number, stream: number, payload: Buffer) => {
        const h = Buffer.alloc(9);
        h.writeUIntBE(payload.length, 0, 3);
        h[3] = type;
        h[4] = flags;
        h.writeUInt32BE(stream, 5);
        return Buffer.concat([h, payload]);
      };
      const responses = new Map<number, [string, string][]>();
      const dec = new Decoder();
      let pending = Buffer.alloc(0);
      const got = new Promise<void>((resolve, reject) => {
        sock.on('error', reject);
        sock.on('data', (c: Buffer) => {
          pending = Buffer.concat([pending, c]);
          while (pending.length >= 9) {
            const len = pending.readUIntBE(0, 3);
            if (pending.length < 9 + len) break;
            const type = pending[3]!;
            const flags = pending[4]!;
            const id = pending.readUInt32BE(5) & 0x7fffffff;
            const payload = pending.subarray(9, 9 + len);
            pending = pending.subarray(9 + len);
            if (type === 4 && (flags & 1) === 0) sock.write(frame(4, 1, 0, Buffer.alloc(0)));
            if (type === 1) {
              responses.set(id, dec.decode(payload));
              if (responses.size === 2) resolve();
            }
          }
        });
      });
      const req = (path: string) => encode([[':method', 'GET'], [':scheme', 'http'], [':path', path], [':authority', 'localhost'], ['user-agent', 'weft-hpack-test/1.0 (a longer value to make Huffman worth it)']]);
      sock.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), frame(4, 0, 0, Buffer.alloc(0)), frame(1, 5, 1, req('/first')), frame(1, 5, 3, req('/second?x=1'))]));
      await got;
      const one = new Map(responses.get(1));
      const two = new Map(responses.get(3));
      assert.equal(one.get(':status'), '200');
      assert.equal(one.get('x-echo-path'), '/first');
      assert.equal(two.get('x-echo-path'), '/second?x=1');
      assert.equal(two.get('x-echo-ua'), 'weft-hpack-test/1.0 (a longer value to make Huffman worth it)');
      assert.equal(two.get('content-type'), 'text/plain');
      assert.ok(dec.tableSize > 0, 'nghttp2 indexed fields, and the second response used them');
    } finally {
      sock.destroy();
      server.close();
    }
  });
});
