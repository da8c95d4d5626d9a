import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { Logs, RotatingFile, controlLineShown, proxyLineShown } from './logs.js';

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

describe('quiet terminal and log files', () => {
  it('sends every line to the file with a timestamp, and only the lines `show` accepts to the terminal', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-logs-'));
    const { writes, logs } = capture();
    const file = logs.file(path.join(dir, 'gw', 'proxy.log'));
    const s = new PassThrough();
    logs.pipe('gw', s, { file, show: proxyLineShown });
    s.end('{"path":"/a"}\napplied config abc\nrejected config abc: listener http: cannot listen on 127.0.0.1:80: EACCES; still serving (none)\n');
    await ended(s);
    assert.equal(writes.join(''), 'gw       | rejected config abc: listener http: cannot listen on 127.0.0.1:80: EACCES; still serving (none)\n');
    const lines = readFileSync(path.join(dir, 'gw', 'proxy.log'), 'utf8').trim().split('\n');
    assert.equal(lines.length, 3);
    for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /);
    assert.ok(lines[0].endsWith(' {"path":"/a"}'));
  });

  it('verbose shows everything', async () => {
    const writes: string[] = [];
    const out = new Writable({ write(c, _e, cb) { writes.push(c.toString()); cb(); } });
    const logs = new Logs(out, false, { verbose: true });
    const s = new PassThrough();
    logs.pipe('app', s, { show: 'none' });
    s.end('hello\n');
    await ended(s);
    assert.equal(writes.join(''), 'app      | hello\n');
  });

  it('rotates a file past its limit, keeping one old file', async () => {
    const { mkdtempSync, readFileSync, statSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-rot-'));
    const f = new RotatingFile(path.join(dir, 'x.log'), 100);
    for (let i = 0; i < 25; i++) f.write(Buffer.from(`line ${String(i).padStart(3, '0')}\n`)); // 9 bytes each
    f.close();
    assert.ok(statSync(path.join(dir, 'x.log')).size <= 100);
    assert.ok(statSync(path.join(dir, 'x.log.1')).size <= 100);
    assert.match(readFileSync(path.join(dir, 'x.log'), 'utf8'), /line 024\n$/);
    assert.ok(readFileSync(path.join(dir, 'x.log.1'), 'utf8').startsWith('line 011'));
  });

  it('tells routine lines from problems', () => {
    assert.equal(proxyLineShown('{"direction":"inbound"}'), false);
    assert.equal(proxyLineShown('applied config 0123abcd'), false);
    assert.equal(proxyLineShown('connected to control plane https://127.0.0.1:1'), false);
    assert.equal(proxyLineShown('control plane stream lost (closed); serving last good config x'), true);
    assert.equal(proxyLineShown('ERROR certificate expired at 2026-01-01T00:00:00.000Z; failing closed'), true);
    assert.equal(controlLineShown('reloaded /x/mesh.yaml'), true);
    assert.equal(controlLineShown('rejected change to /x/mesh.yaml (nothing applied):'), true);
    assert.equal(controlLineShown('mesh.yaml:3:5: replicas must be >= 0'), true);
    assert.equal(controlLineShown('proxy web-0 connected (serving nothing yet)'), false);
    assert.equal(controlLineShown('control plane 0.1.0 api=http://127.0.0.1:1 xds=https://127.0.0.1:2 state=.weft'), false);
  });
});
