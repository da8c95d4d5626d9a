// Table-driven tests of the chunked-framing scanner. The corpus rows are the chunked bodies of llhttp's test
// corpus (github.com/nodejs/llhttp test/request/*.md and test/response/*.md): the input is the corpus
// message after its head, and the expected end is llhttp's "message complete" offset minus its "headers
// complete" offset. Where the corpus input stops before the message ends, the row expects "more needed".
//
// The scanner relays the bytes unchanged, so it must refuse anything the next hop could frame differently:
// weft refuses all that llhttp's strict mode refuses (whitespace after the size, an extension without a
// name or with an unbalanced quote, a missing CR or LF) and, beyond llhttp, validates trailer field lines
// like head field lines (a token name, a colon, no control bytes, no obs-fold).
//
// Every row is scanned whole, byte by byte, and in seeded random splits: the outcome, the end offset, the
// error and the data handed to onData must be identical.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChunkedScanner } from './chunked.js';
import { seeded } from '../../util/prng.js';

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');

interface Row {
  name: string;
  raw: string;
  /** Offset just past the final CRLF (the message ended there; 'all': at the end of raw), or 'more' (not ended), or 'error'. */
  end: number | 'all' | 'more' | 'error';
  /** The chunk data without framing, for rows that do not fail. */
  data?: string;
  /** A scanner limit other than the default. */
  maxTrailerBytes?: number;
}

interface Outcome {
  end: number | 'more' | 'error';
  error: string;
  data: string;
}

/** Feeds raw to a fresh scanner in pieces ending at the given cut offsets, as a caller relaying would. */
function feed(row: Row, cuts: number[]): Outcome {
  const buf = bytes(row.raw);
  const parts: string[] = [];
  const s = new ChunkedScanner(row.maxTrailerBytes, (b, from, to) => {
    assert.ok(from >= 0 && from <= to && to <= buf.length, 'onData range within the buffer');
    parts.push(b.toString('latin1', from, to));
  });
  let pos = 0;
  for (const cut of [...cuts, buf.length]) {
    if (cut < pos) continue;
    const r = s.scan(buf, pos, cut);
    if (r === -1) {
      assert.equal(s.done, false);
      assert.notEqual(s.error, '');
      // An error is sticky: a caller that scans on gets the error again, not a resynchronised stream.
      assert.equal(s.scan(buf, cut, buf.length), -1);
      return { end: 'error', error: s.error, data: parts.join('') };
    }
    assert.ok(r >= pos && r <= cut, `scan returned ${r} outside [${pos}, ${cut}]`);
    if (s.done) {
      // Done: further bytes belong to the next message and are not consumed.
      assert.equal(s.scan(buf, r, buf.length), r);
      return { end: r, error: '', data: parts.join('') };
    }
    assert.equal(r, cut, 'not done: everything given was consumed');
    pos = cut;
  }
  return { end: 'more', error: '', data: parts.join('') };
}


function randomCuts(next: () => number, len: number): number[] {
  const cuts: number[] = [];
  for (let pos = 0; pos < len; ) {
    pos += 1 + Math.floor(next() * 7);
    if (pos < len) cuts.push(pos);
  }
  return cuts;
}

function runRow(row: Row, seed: number): void {
  const whole = feed(row, []);
  assert.equal(whole.end, row.end === 'all' ? row.raw.length : row.end, `outcome (error: ${whole.error})`);
  if (row.data !== undefined) assert.equal(whole.data, row.data, 'data');
  const len = row.raw.length;
  assert.deepEqual(feed(row, Array.from({ length: len }, (_, i) => i)), whole, 'byte by byte');
  const next = seeded(seed);
  for (let k = 0; k < 8; k++) assert.deepEqual(feed(row, randomCuts(next, len)), whole, `random split ${k}, seed ${seed}`);
}

function table(rows: Row[]): void {
  rows.forEach((row, i) => it(row.name, () => runRow(row, 1000 + i)));
}

describe('ChunkedScanner: llhttp test/request/transfer-encoding.md', () => {
  table([
    { name: 'lower-case hex size', raw: 'a\r\n0123456789\r\n0\r\n\r\n', end: 69 - 49, data: '0123456789' },
    { name: 'upper-case hex size', raw: 'A\r\n0123456789\r\n0\r\n\r\n', end: 69 - 49, data: '0123456789' },
    { name: 'two-digit size', raw: '1e\r\nall your base are belong to us\r\n0\r\n\r\n', end: 114 - 73, data: 'all your base are belong to us' },
    { name: 'two chunks and a triple-zero last chunk', raw: '5\r\nhello\r\n6\r\n world\r\n000\r\n\r\n', end: 99 - 71, data: 'hello world' },
    { name: 'trailer fields', raw: '5\r\nhello\r\n6\r\n world\r\n0\r\nVary: *\r\nContent-Type: text/plain\r\n\r\n', end: 134 - 73, data: 'hello world' },
    {
      name: 'extensions with and without values (ends after the last chunk line)',
      raw: '5;ilovew3;somuchlove=aretheseparametersfor;another=withvalue\r\nhello\r\n6;blahblah;blah\r\n world\r\n0\r\n',
      end: 'more',
      data: 'hello world',
    },
    { name: 'no semicolon before an extension', raw: '2 erfrferferf\r\naa\r\n0 rrrr\r\n\r\n', end: 'error' },
    { name: 'no extension after the semicolon', raw: '2;\r\naa\r\n0\r\n\r\n', end: 'error' },
    {
      name: 'quoted extension values with quoted-pairs',
      raw: '5;ilovew3="I \\"love\\"; \\\\extensions\\\\";somuchlove="aretheseparametersfor";blah;foo=bar\r\nhello\r\n6;blahblah;blah\r\n world\r\n0\r\n',
      end: 'more',
      data: 'hello world',
    },
    { name: 'unbalanced quote in an extension', raw: '5;ilovew3="abc";somuchlove="def; ghi\r\nhello\r\n6;blahblah;blah\r\n world\r\n0\r\n', end: 'error' },
    { name: 'missing last chunk (a blank line where a size belongs)', raw: '3\r\nfoo\r\n\r\n', end: 'error' },
    { name: 'space and bare LF after the size', raw: '3 \n  \r\nfoo\r\n\r\n', end: 'error' },
    {
      name: 'size line not ended by CRLF (a CR, then what would be a second message)',
      raw: '5\r\r;ABCD\r\n34\r\nE\r\n0\r\n\r\nGET / HTTP/1.1 \r\nHost: a\r\nContent-Length: 5\r\n\r\n0\r\n',
      end: 'error',
    },
    { name: 'chunk data not ended by CRLF', raw: '5\r\nABCDE0\r\n', end: 'error' },
    // weft used to take the space as the start of an extension; llhttp strict refuses it (only its
    // lenient-spaces-after-chunk-size mode takes it), so a node next hop would have rejected the message.
    { name: 'space after the size', raw: 'a \r\n0123456789\r\n0\r\n\r\n', end: 'error' },
    { name: 'extension name paused on (pausing.md)', raw: 'a;foo=bar\r\n0123456789\r\n0\r\n\r\n', end: 75 - 47, data: '0123456789' },
  ]);
});

describe('ChunkedScanner: llhttp test/response/*.md', () => {
  table([
    // transfer-encoding.md
    {
      name: 'trailing spaces after sizes',
      raw: '25  \r\nThis is the data in the first chunk\r\n\r\n1C\r\nand this is the second one\r\n\r\n0  \r\n\r\n',
      end: 'error',
    },
    { name: 'extensions, message complete', raw: '5;ilovew3;somuchlove=aretheseparametersfor\r\nhello\r\n6;blahblah;blah\r\n world\r\n0\r\n\r\n', end: 145 - 64, data: 'hello world' },
    {
      name: 'quoted extension value with a semicolon inside',
      raw: '5;ilovew3="I love; extensions";somuchlove="aretheseparametersfor";blah;foo=bar\r\nhello\r\n6;blahblah;blah\r\n world\r\n0\r\n',
      end: 'more',
      data: 'hello world',
    },
    // connection.md: a 200 with Upgrade and chunked body; a chunked 200 after a 304
    { name: 'two two-byte chunks', raw: '2\r\nbo\r\n2\r\ndy\r\n0\r\n\r\n', end: 101 - 82, data: 'body' },
    { name: 'last chunk without its final CRLF yet', raw: '5\r\nhello\r\n0\r\n', end: 'more', data: 'hello' },
    // content-length.md: Content-Length-X is no Content-Length
    { name: 'one chunk "OK"', raw: '2\r\nOK\r\n0\r\n\r\n', end: 80 - 68, data: 'OK' },
    // sample.md (amazon.com): the chunk data is a single LF, which is data, not framing
    { name: 'a chunk whose data is a bare LF', raw: '1\r\n\n\r\n0\r\n\r\n', end: 727 - 716, data: '\n' },
    // sample.md (spaces in header value): only the last chunk
    { name: 'only the last chunk', raw: '0\r\n\r\n', end: 370 - 365, data: '' },
  ]);
});

describe('ChunkedScanner: llhttp test/request/invalid.md', () => {
  table([
    // "Only LFs present": the head fails first in llhttp; the chunk lines fail on their own too.
    { name: 'LF without CR after the size', raw: '1\nA\n1;abc\nB\n0\n\n', end: 'error' },
  ]);
});

describe('ChunkedScanner: sizes (beyond the corpus)', () => {
  table([
    { name: 'not hex', raw: 'g\r\n', end: 'error' },
    { name: '0x prefix', raw: '0x5\r\nhello\r\n0\r\n\r\n', end: 'error' },
    { name: 'negative', raw: '-1\r\n', end: 'error' },
    { name: 'plus sign', raw: '+5\r\nhello\r\n0\r\n\r\n', end: 'error' },
    { name: 'empty size line', raw: '\r\nhello\r\n0\r\n\r\n', end: 'error' },
    { name: 'a tab after the size', raw: '5\t\r\nhello\r\n0\r\n\r\n', end: 'error' },
    { name: 'NUL after the size', raw: '5\0\r\nhello\r\n0\r\n\r\n', end: 'error' },
    { name: 'many leading zeros', raw: '0'.repeat(100) + '5\r\nhello\r\n0\r\n\r\n', end: 'all', data: 'hello' },
    // llhttp overflows at 2^64; weft keeps sizes exact in a double and stops below 2^49 bytes per chunk.
    { name: 'size of 12 hex digits is taken', raw: 'ffffffffffff\r\nabc', end: 'more', data: 'abc' },
    { name: 'size of 13 hex digits overflows', raw: 'fffffffffffff\r\n', end: 'error' },
    { name: 'size 2^64 overflows', raw: '10000000000000000\r\n', end: 'error' },
    { name: 'data longer than the size', raw: '5\r\nhelloX\r\n0\r\n\r\n', end: 'error', data: 'hello' },
    { name: 'CR without LF after the data', raw: '5\r\nhello\rX', end: 'error', data: 'hello' },
    { name: 'LF without CR after the data', raw: '5\r\nhello\n0\r\n\r\n', end: 'error', data: 'hello' },
    { name: 'the message ends where the next one starts', raw: '3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n', end: 13, data: 'abc' },
    { name: 'CR without LF at the very end', raw: '0\r\n\rX', end: 'error' },
  ]);
});

describe('ChunkedScanner: extensions (beyond the corpus)', () => {
  table([
    { name: 'name only', raw: '5;a\r\nhello\r\n0\r\n\r\n', end: 'all', data: 'hello' },
    { name: 'several, with token and quoted values', raw: '5;a;b=c;d="e f"\r\nhello\r\n0;z=1\r\n\r\n', end: 'all', data: 'hello' },
    { name: 'obs-text in a quoted value', raw: '5;a="\xff"\r\nhello\r\n0\r\n\r\n', end: 'all', data: 'hello' },
    // RFC 9112 section 7.1.1 has BWS around ';' and '=', which senders must not generate; llhttp strict
    // refuses it, and a proxy must not accept what the next hop refuses or reads differently.
    { name: 'space before the semicolon', raw: '5 ;a=b\r\nhello\r\n0\r\n\r\n', end: 'error' },
    { name: 'space after the semicolon', raw: '5; a=b\r\nhello\r\n0\r\n\r\n', end: 'error' },
    { name: 'space before =', raw: '5;a =b\r\nhello\r\n0\r\n\r\n', end: 'error' },
    { name: 'space after =', raw: '5;a= b\r\nhello\r\n0\r\n\r\n', end: 'error' },
    { name: 'empty value', raw: '5;a=\r\nhello\r\n0\r\n\r\n', end: 'error' },
    { name: 'empty name', raw: '5;=b\r\nhello\r\n0\r\n\r\n', end: 'error' },
    { name: 'two semicolons', raw: '5;;a\r\nhello\r\n0\r\n\r\n', end: 'error' },
    { name: 'a control byte in a quoted value', raw: '5;a="\x01"\r\nhello\r\n0\r\n\r\n', end: 'error' },
    { name: 'a bare LF in an extension', raw: '5;a\nhello\r\n0\r\n\r\n', end: 'error' },
    { name: 'bytes after a closing quote', raw: '5;a="b"c\r\nhello\r\n0\r\n\r\n', end: 'error' },
    { name: 'a non-token byte in a token value', raw: '5;a=b/c\r\nhello\r\n0\r\n\r\n', end: 'error' },
    { name: 'an escaped CR in a quoted value', raw: '5;a="\\\r"\r\nhello\r\n0\r\n\r\n', end: 'error' },
  ]);
});

describe('ChunkedScanner: trailers (beyond the corpus: field lines as in a head)', () => {
  table([
    { name: 'one trailer', raw: '0\r\nX-T: v\r\n\r\n', end: 'all' },
    { name: 'a trailer with an empty value', raw: '0\r\nX-T:\r\n\r\n', end: 'all' },
    { name: 'obs-fold in a trailer', raw: '0\r\nX-T: v\r\n w\r\n\r\n', end: 'error' },
    { name: 'whitespace before the colon', raw: '0\r\nX-T : v\r\n\r\n', end: 'error' },
    { name: 'no colon', raw: '0\r\nX-T\r\n\r\n', end: 'error' },
    { name: 'empty name', raw: '0\r\n: v\r\n\r\n', end: 'error' },
    { name: 'NUL in a value', raw: '0\r\nX-T: a\0b\r\n\r\n', end: 'error' },
    { name: 'a control byte in a value', raw: '0\r\nX-T: a\x01b\r\n\r\n', end: 'error' },
    { name: 'DEL in a value', raw: '0\r\nX-T: a\x7fb\r\n\r\n', end: 'error' },
    { name: 'bare LF ending a trailer', raw: '0\r\nX-T: v\nY: w\r\n\r\n', end: 'error' },
    { name: 'bare CR inside a trailer', raw: '0\r\nX-T: v\rY: w\r\n\r\n', end: 'error' },
    { name: 'bare LF as the final line', raw: '0\r\nX-T: v\r\n\n', end: 'error' },
    { name: 'obs-text in a value', raw: '0\r\nX-T: \xe9\r\n\r\n', end: 'all' },
  ]);
});

describe('ChunkedScanner: limits', () => {
  table([
    { name: 'trailers within the limit', raw: '0\r\nX: ' + 'a'.repeat(20) + '\r\n\r\n', end: 3 + 25 + 2, maxTrailerBytes: 27 },
    { name: 'trailers beyond the limit', raw: '0\r\nX: ' + 'a'.repeat(20) + '\r\n\r\n', end: 'error', maxTrailerBytes: 26 },
    { name: 'a size line within the limit', raw: '5;' + 'e'.repeat(28) + '\r\nhello\r\n0\r\n\r\n', end: 32 + 7 + 5, data: 'hello', maxTrailerBytes: 32 },
    { name: 'a size line beyond the limit', raw: '5;' + 'e'.repeat(29) + '\r\nhello\r\n0\r\n\r\n', end: 'error', maxTrailerBytes: 32 },
    { name: 'leading zeros count towards the size line', raw: '0'.repeat(40) + '5\r\nhello\r\n0\r\n\r\n', end: 'error', maxTrailerBytes: 32 },
    { name: 'chunk data is not limited', raw: '400\r\n' + 'd'.repeat(1024) + '\r\n0\r\n\r\n', end: 5 + 1024 + 2 + 5, data: 'd'.repeat(1024), maxTrailerBytes: 16 },
    { name: 'the limit is per size line, not per body', raw: '5;eeee\r\nhello\r\n'.repeat(10) + '0\r\n\r\n', end: 150 + 5, data: 'hello'.repeat(10), maxTrailerBytes: 8 },
  ]);
});

describe('ChunkedScanner: reuse', () => {
  it('reset makes a scanner that failed or finished usable for the next message', () => {
    const s = new ChunkedScanner();
    const bad = bytes('z\r\n');
    assert.equal(s.scan(bad, 0, bad.length), -1);
    assert.equal(s.scan(bytes('0\r\n\r\n'), 0, 5), -1, 'sticky error');
    s.reset();
    assert.equal(s.error, '');
    const good = bytes('2\r\nok\r\n0\r\n\r\n');
    assert.equal(s.scan(good, 0, good.length), good.length);
    assert.ok(s.done);
    s.reset();
    assert.equal(s.done, false);
    assert.equal(s.scan(good, 0, 3), 3);
    assert.equal(s.done, false);
  });
  it('a body scanned at an offset inside a larger buffer (after a head)', () => {
    const head = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
    const buf = bytes(head + '5\r\nhello\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n');
    const got: string[] = [];
    const s = new ChunkedScanner(undefined, (b, from, to) => got.push(b.toString('latin1', from, to)));
    assert.equal(s.scan(buf, head.length, buf.length), head.length + 15);
    assert.ok(s.done);
    assert.equal(got.join(''), 'hello');
  });
});

describe('ChunkedScanner fuzz (bounded, seeded)', () => {
  it('never throws; mutated bodies give the same outcome whole, byte by byte and in random splits', () => {
    const seeds = [
      '5\r\nhello\r\n6;a=b\r\n world\r\n0\r\nX: y\r\n\r\n',
      '1e;q="x\\"y"\r\nall your base are belong to us\r\n000\r\n\r\nGET',
      'A\r\n0123456789\r\n0\r\n\r\n',
    ];
    const interesting = [0, 9, 10, 13, 32, 0x22, 0x3b, 0x3d, 0x3a, 0x30, 0x61, 0x5c, 0x7f, 0xff];
    const seed = 0xc4a;
    const next = seeded(seed);
    for (let n = 0; n < 1500; n++) {
      const src = bytes(seeds[Math.floor(next() * seeds.length)]!);
      let b = src;
      for (let e = 1 + Math.floor(next() * 3); e > 0; e--) {
        const at = Math.floor(next() * (b.length + 1));
        const byte = next() < 0.7 ? interesting[Math.floor(next() * interesting.length)]! : Math.floor(next() * 256);
        const op = next();
        if (op < 0.5 && at < b.length) {
          b = Buffer.from(b);
          b[at] = byte;
        } else if (op < 0.8) b = Buffer.concat([b.subarray(0, at), Buffer.from([byte]), b.subarray(at)]);
        else b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
      }
      const raw = b.toString('latin1');
      const row: Row = { name: '', raw, end: 'more' };
      try {
        const whole = feed(row, []);
        if (typeof whole.end === 'number') {
          // A message that ended is well framed up to its end: the bytes end in CRLF, and the data is no
          // longer than the framed bytes.
          assert.equal(raw.slice(whole.end - 2, whole.end), '\r\n');
          assert.ok(whole.data.length < whole.end);
        }
        assert.deepEqual(feed(row, Array.from({ length: raw.length }, (_, i) => i)), whole, 'byte by byte');
        assert.deepEqual(feed(row, randomCuts(next, raw.length)), whole, 'random split');
      } catch (err) {
        throw new Error(`seed ${seed}, iteration ${n}, ${JSON.stringify(raw)}: ${(err as Error).message}`, { cause: err });
      }
    }
  });
});
