import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { Logs } from './logs.js';

function capture() {
  const writes: string[] = [];
  const out = new Writable({ write(c, _e, cb) { writes.push(c.toString()); cb(); } });
  return { writes, logs: new Logs(out, false) };
}

const ended = (s: PassThrough) => new Promise<void>((r) => s.once('end', () => setImmediate(r)));

describe('Logs', () => {
  it('prefixes every line with the padded name, joining lines split across chunks and dropping CR', async () => {
    const { writes, logs } = capture();
    const s = new PassThrough();
    logs.pipe('api-0/proxy', s);
    s.write('first\r\nsec');
    s.write('ond\nthird\n\nlast without newline');
    s.end();
    await ended(s);
    assert.equal(writes.join(''), 'api-0/proxy | first\napi-0/proxy | second\napi-0/proxy | third\napi-0/proxy | \napi-0/proxy | last without newline\n');
  });

  it('keeps multi-byte characters whole when a chunk ends inside one, and pads to the widest name', async () => {
    const { writes, logs } = capture();
    const a = new PassThrough();
    const b = new PassThrough();
    logs.pipe('gw', a);
    const line = Buffer.from('{"path":"/caf\u00e9/\u{1F600}"}\n');
    a.write(line.subarray(0, 14)); // inside the two bytes of \u00e9
    a.write(line.subarray(14, 20)); // inside the four bytes of the emoji
    a.end(line.subarray(20));
    await ended(a);
    logs.pipe('a-much-longer-name', b);
    b.end('x\n');
    await ended(b);
    assert.equal(writes.join(''), 'gw       | {"path":"/caf\u00e9/\u{1F600}"}\na-much-longer-name | x\n');
  });

  it('writes each chunk of many lines in one write, not one per line', async () => {
    const { writes, logs } = capture();
    const s = new PassThrough();
    logs.pipe('gw', s);
    s.end(Array.from({ length: 500 }, (_, i) => `{"n":${i}}\n`).join(''));
    await ended(s);
    assert.ok(writes.length <= 2, `${writes.length} writes`);
    const lines = writes.join('').split('\n').slice(0, -1);
    assert.equal(lines.length, 500);
    assert.equal(lines[499], 'gw       | {"n":499}');
  });
});
