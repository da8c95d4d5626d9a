import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordBatch } from './batch.js';
import type { RecordSink, RequestRecord } from './record.js';
import { waitFor } from '../../util/wait.js';

const rec = (status: number): RequestRecord => ({
  direction: 'outbound', start: 0, durationMs: 1, method: 'GET', path: '/', protocol: 'HTTP/1.1', authority: 'a', status, flags: '-', bytesIn: 0, bytesOut: 0, tls: false,
});

function collector(): RecordSink & { seen: number[] } {
  const seen: number[] = [];
  return { seen, record: (r) => void seen.push(r.status) };
}

const until = (what: string, ok: () => boolean, ms = 2000): Promise<true> => waitFor(what, ok, ms, 0);

describe('RecordBatch', () => {
  it('holds records until the batch is full, then gives them to every sink in order', () => {
    const a = collector(), b = collector();
    const batch = new RecordBatch([a, b], { maxRecords: 3, maxDelayMs: 60_000 });
    batch.record(rec(1));
    batch.record(rec(2));
    assert.deepEqual([a.seen, b.seen, batch.pending], [[], [], 2]);
    batch.record(rec(3));
    assert.deepEqual([a.seen, b.seen, batch.pending], [[1, 2, 3], [1, 2, 3], 0]);
    batch.record(rec(4));
    batch.flush();
    assert.deepEqual([a.seen, b.seen], [[1, 2, 3, 4], [1, 2, 3, 4]]);
  });

  it('delivers a partial batch once its deadline passes', async () => {
    const a = collector();
    const batch = new RecordBatch([a], { maxRecords: 100, maxDelayMs: 5 });
    batch.record(rec(200));
    batch.record(rec(503));
    assert.deepEqual(a.seen, []);
    await until('the timed flush', () => a.seen.length === 2);
    assert.deepEqual(a.seen, [200, 503]);
    // The timer is re-armed for the next batch.
    batch.record(rec(404));
    await until('the second timed flush', () => a.seen.length === 3);
    assert.equal(a.seen[2], 404);
  });

  it('keeps going past a sink that throws: the other sinks and the other records still arrive', () => {
    const a = collector();
    const broken: RecordSink = { record: (r) => { if (r.status === 2) throw new Error('boom'); } };
    const batch = new RecordBatch([broken, a], { maxRecords: 3 });
    for (const s of [1, 2, 3]) batch.record(rec(s));
    assert.deepEqual(a.seen, [1, 2, 3]);
  });

  it('a record made while a batch is being delivered goes into the next batch', () => {
    const a = collector();
    let batch: RecordBatch;
    const echo: RecordSink = { record: (r) => { if (r.status < 10) batch.record(rec(r.status + 10)); } };
    batch = new RecordBatch([echo, a], { maxRecords: 2, maxDelayMs: 60_000 });
    batch.record(rec(1));
    batch.record(rec(2));
    // 11 and 12 filled the next batch while the first was delivered, so they were delivered right after it.
    assert.deepEqual(a.seen, [1, 2, 11, 12]);
    assert.equal(batch.pending, 0);
  });

  it('flush with nothing waiting does nothing; bad options are refused', () => {
    const a = collector();
    new RecordBatch([a]).flush();
    assert.deepEqual(a.seen, []);
    assert.throws(() => new RecordBatch([a], { maxRecords: 0 }), /maxRecords 0/);
    assert.throws(() => new RecordBatch([a], { maxDelayMs: -1 }), /maxDelayMs -1/);
  });
});
