import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mergeLines, parseLines, renderLines, sinceArg, sourcesFor } from './logs.js';

describe('weft logs', () => {
  it('merges files in time order, keeping each file\'s order for equal times', () => {
    const a = parseLines('2026-01-01T00:00:01.000Z a1\n2026-01-01T00:00:03.000Z a2\ncontinued\n', 'web-0');
    const b = parseLines('2026-01-01T00:00:02.000Z b1\n2026-01-01T00:00:03.000Z b2\n', 'web-1');
    const m = mergeLines([a, b]);
    assert.deepEqual(m.map((l) => l.text), ['a1', 'b1', 'a2', 'continued', 'b2']);
    assert.equal(renderLines(m.slice(0, 2), { prefix: true, timestamps: false }), 'web-0 | a1\nweb-1 | b1\n');
    assert.deepEqual(mergeLines([a, b], '2026-01-01T00:00:02.500Z').map((l) => l.text), ['a2', 'continued', 'b2']);
  });

  it('reads --since as a duration or an RFC 3339 time', () => {
    assert.equal(sinceArg('5m', Date.parse('2026-01-01T00:10:00Z')), '2026-01-01T00:05:00.000Z');
    assert.equal(sinceArg('2026-01-01T01:00:00+01:00'), '2026-01-01T00:00:00.000Z');
    assert.throws(() => sinceArg('yesterday'), /--since must be/);
  });

  it('finds a workload\'s replicas, a replica, a proxy, the control plane, and suggests a name', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-logdir-'));
    for (const r of ['web-0', 'web-1', 'webhook-0']) {
      mkdirSync(path.join(dir, r));
      writeFileSync(path.join(dir, r, 'app.log'), '');
    }
    mkdirSync(path.join(dir, 'gateway-edge'));
    const labels = (n: string, only?: 'app' | 'proxy') => {
      const s = sourcesFor(dir, n, only);
      return typeof s === 'string' ? s : s.map((x) => x.label);
    };
    assert.deepEqual(labels('web'), ['web-0', 'web-0/proxy', 'web-1', 'web-1/proxy']);
    assert.deepEqual(labels('web', 'app'), ['web-0', 'web-1']);
    assert.deepEqual(labels('web-1'), ['web-1', 'web-1/proxy']);
    assert.deepEqual(labels('web-1/proxy'), ['web-1/proxy']);
    assert.deepEqual(labels('gateway-edge'), ['gateway-edge']);
    assert.deepEqual(labels('control'), ['control']);
    assert.match(labels('wbe') as string, /no workload, replica or proxy named "wbe".*did you mean "web"\?\nnames: web, webhook, gateway-edge/);
  });
});
