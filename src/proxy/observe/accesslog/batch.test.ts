import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineBatch } from './batch.js';
import { waitFor } from '../../../util/wait.js';

function collect(o: { maxBytes?: number; maxDelayMs?: number } = {}) {
  const chunks: Buffer[] = [];
  const b = new LineBatch({ out: (c) => chunks.push(c), ...o });
  return { b, chunks, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('LineBatch', () => {
  it('holds lines until flush, then writes them in one chunk, byte for byte', () => {
    const { b, chunks, text } = collect();
    b.write('{"a":1}\n');
    b.write('{"path":"/\u00e9\u2028\ud83d\ude00"}\n');
    assert.equal(chunks.length, 0);
    assert.equal(b.pending, Buffer.byteLength('{"a":1}\n{"path":"/\u00e9\u2028\ud83d\ude00"}\n'));
    b.flush();
    assert.equal(chunks.length, 1);
    assert.equal(text(), '{"a":1}\n{"path":"/\u00e9\u2028\ud83d\ude00"}\n');
    assert.equal(b.pending, 0);
    b.flush();
    assert.equal(chunks.length, 1, 'an empty flush writes nothing');
  });

  it('flushes when maxBytes fill up, never splitting a line across chunks', () => {
    const { b, chunks, text } = collect({ maxBytes: 100 });
    const lines = Array.from({ length: 40 }, (_, i) => `line-${i}-${'\u00e9'.repeat(i % 7)}\n`);
    for (const l of lines) b.write(l);
    b.flush();
    assert.ok(chunks.length > 1);
    for (const c of chunks) {
      assert.ok(c.length <= 100, `chunk of ${c.length} bytes`);
      assert.ok(c.toString('utf8').endsWith('\n'));
    }
    assert.equal(text(), lines.join(''));
  });

  it('writes a line longer than maxBytes on its own, after what was waiting', () => {
    const { b, chunks } = collect({ maxBytes: 64 });
    b.write('short\n');
    const long = `${'x'.repeat(200)}\n`;
    b.write(long);
    assert.deepEqual(chunks.map((c) => c.toString()), ['short\n', long]);
  });

  it('reuses a buffer only once it is handed back, and never one still out', () => {
    // A size Buffer.allocUnsafe does not cut from Node's shared pool (it does below half of Buffer.poolSize,
    // which Node 24.18 raised from 8 KiB to 64 KiB), so each batch buffer is a whole one of its own.
    const { b, chunks } = collect({ maxBytes: Buffer.poolSize });
    b.write('one\n');
    b.flush();
    b.write('two\n');
    b.flush();
    assert.notEqual(chunks[0]!.buffer, chunks[1]!.buffer, 'nothing handed back yet: a fresh buffer');
    b.recycle(chunks[0]!);
    b.recycle(chunks[0]!); // twice: kept once
    b.write('three\n'); // goes into the buffer being filled since the last flush
    b.flush();
    b.write('four\n'); // the handed-back one, filled again
    b.flush();
    b.write('five\n');
    b.flush();
    assert.equal(chunks[3]!.buffer, chunks[0]!.buffer, 'the handed-back buffer is filled again');
    assert.equal(new Set(chunks.slice(1).map((c) => c.buffer)).size, 4, 'and only once');
    assert.deepEqual(chunks.slice(1).map((c) => c.toString()), ['two\n', 'three\n', 'four\n', 'five\n']);
    // A buffer the batch did not make whole (a long line's own, a pool slab) is not taken.
    const small = collect({ maxBytes: 64 });
    small.b.write('x\n');
    small.b.flush();
    small.b.recycle(small.chunks[0]!);
    small.b.write('y\n');
    small.b.flush();
    assert.deepEqual(small.chunks.map((c) => c.toString()), ['x\n', 'y\n']);
  });

  it('keeps chunks it handed out intact when it goes on writing', () => {
    const { b, chunks } = collect({ maxBytes: 64 });
    b.write('first\n');
    b.flush();
    b.write('second\n');
    b.flush();
    assert.deepEqual(chunks.map((c) => c.toString()), ['first\n', 'second\n']);
  });

  it('flushes waiting lines after maxDelayMs without further writes', async () => {
    const { b, chunks } = collect({ maxDelayMs: 20 });
    b.write('late\n');
    await waitFor('the timed flush', () => chunks.length > 0, 5000, 0);
    assert.deepEqual(chunks.map((c) => c.toString()), ['late\n']);
  });

  it('tells how many lines each chunk holds', () => {
    const counts: number[] = [];
    const b = new LineBatch({ out: (_c, n) => counts.push(n), maxBytes: 64 });
    for (let i = 0; i < 10; i++) b.write(`line ${i} ${'.'.repeat(10)}\n`);
    b.flush();
    assert.equal(counts.reduce((a, n) => a + n, 0), 10);
    assert.ok(counts.length > 1);
  });

  it('take() hands back what waits without writing it, and leaves the batch empty', () => {
    const { b, chunks } = collect();
    assert.equal(b.take(), undefined);
    b.write('one\n');
    assert.equal(b.take()?.toString(), 'one\n');
    assert.equal(b.pending, 0);
    b.flush();
    assert.equal(chunks.length, 0);
  });

  it('rejects a buffer too small to be useful', () => {
    assert.throws(() => new LineBatch({ out: () => {}, maxBytes: 10 }), /maxBytes 10/);
  });
});
