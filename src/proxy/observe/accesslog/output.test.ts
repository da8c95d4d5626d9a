import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { LogOutput } from './output.js';

describe('LogOutput', () => {
  it('writes chunks in order to the stream', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-logout-'));
    try {
      const file = path.join(dir, 'out.log');
      const out = new LogOutput({ stream: fs.createWriteStream(file) });
      for (let i = 0; i < 100; i++) out.write(Buffer.from(`{"n":${i}}\n`), 1);
      await out.drained(5000);
      assert.deepEqual(readFileSync(file, 'utf8').split('\n').slice(0, -1), Array.from({ length: 100 }, (_, i) => `{"n":${i}}`));
      assert.equal(out.dropped, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hands each chunk back once written, and a dropped one at once', async () => {
    let release: (() => void) | undefined;
    const slow = new Writable({
      highWaterMark: 1,
      write(_c, _e, cb) {
        if (release === undefined) release = cb;
        else cb();
      },
    });
    const out = new LogOutput({ stream: slow, maxBacklogBytes: 100 });
    const back: string[] = [];
    const done = (c: Buffer) => back.push(c.toString());
    out.write(Buffer.from('x'.repeat(60)), 1, done); // held by the reader
    out.write(Buffer.from('y'.repeat(60)), 1, done); // 120 > 100: dropped, handed back now
    assert.deepEqual(back, ['y'.repeat(60)]);
    release!();
    await out.drained(5000);
    assert.deepEqual(back, ['y'.repeat(60), 'x'.repeat(60)]);
  });

  it('drops and counts lines while the reader is behind, then writes again once it catches up', async () => {
    let release: (() => void) | undefined;
    const got: string[] = [];
    // A reader that takes nothing until released.
    const slow = new Writable({
      highWaterMark: 1,
      write(c, _e, cb) {
        got.push(c.toString());
        if (release === undefined) release = cb;
        else cb();
      },
    });
    const out = new LogOutput({ stream: slow, maxBacklogBytes: 150 });
    out.write(Buffer.from('a'.repeat(60)), 3); // taken by the reader, held
    out.write(Buffer.from('b'.repeat(60)), 2); // waits: 120 bytes not yet written
    out.write(Buffer.from('c'.repeat(60)), 4); // would make 180 > 150: dropped
    assert.equal(out.dropped, 4);
    const drained = out.drained(5000);
    release!();
    await drained;
    out.write(Buffer.from('d'), 1);
    assert.deepEqual(got.map((s) => s[0]), ['a', 'b', 'd']);
    assert.equal(out.dropped, 4);
  });
});
