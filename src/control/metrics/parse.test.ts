import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePrometheus } from './parse.js';

const all = () => true;

describe('parsePrometheus (text format 0.0.4)', () => {
  it('reads names, labels and values, skipping comments and blank lines', () => {
    const text = [
      '# HELP weft_requests_total Requests.',
      '# TYPE weft_requests_total counter',
      'weft_requests_total{direction="inbound",response_code="200"} 12',
      '',
      'weft_up 1',
      '  weft_spaced  { a = "1" , b="2", }  3.5  ',
    ].join('\n');
    assert.deepEqual(parsePrometheus(text, all), [
      { name: 'weft_requests_total', labels: { direction: 'inbound', response_code: '200' }, value: 12 },
      { name: 'weft_up', labels: {}, value: 1 },
      { name: 'weft_spaced', labels: { a: '1', b: '2' }, value: 3.5 },
    ]);
  });

  it('unescapes \\\\, \\" and \\n in label values in one pass', () => {
    const s = parsePrometheus(String.raw`m{path="C:\\new",q="say \"hi\"",multi="a\nb",tail="x\\"} 1`, all);
    assert.equal(s[0].labels.path, 'C:\\new', 'an escaped backslash followed by n is not a newline');
    assert.equal(s[0].labels.q, 'say "hi"');
    assert.equal(s[0].labels.multi, 'a\nb');
    assert.equal(s[0].labels.tail, 'x\\');
    assert.equal(s[0].value, 1);
  });

  it('keeps braces, commas, spaces and = inside quoted label values', () => {
    const s = parsePrometheus('m{route="ns/a b",expr="x{y}=1,2"} 7', all);
    assert.deepEqual(s[0].labels, { route: 'ns/a b', expr: 'x{y}=1,2' });
    assert.equal(s[0].value, 7);
  });

  it('reads a trailing timestamp as the timestamp, not the value', () => {
    assert.deepEqual(parsePrometheus('m{a="1"} 42 1700000000000\nn 0.25 -5', all), [
      { name: 'm', labels: { a: '1' }, value: 42, timestamp: 1700000000000 },
      { name: 'n', labels: {}, value: 0.25, timestamp: -5 },
    ]);
  });

  it('reads NaN, +Inf, -Inf and exponent values', () => {
    const s = parsePrometheus('a NaN\nb +Inf\nc -Inf\nd 1.5e3\ne -0.5\nf{le="+Inf"} 3', all);
    assert.ok(Number.isNaN(s[0].value));
    assert.equal(s[1].value, Infinity);
    assert.equal(s[2].value, -Infinity);
    assert.equal(s[3].value, 1500);
    assert.equal(s[4].value, -0.5);
    assert.equal(s[5].labels.le, '+Inf');
    assert.equal(s[5].value, 3);
  });

  it('keeps only the families asked for', () => {
    const s = parsePrometheus('a 1\nb{x="y"} 2\nc 3', (n) => n !== 'b');
    assert.deepEqual(s.map((x) => x.name), ['a', 'c']);
  });

  it('accepts CRLF line ends and skips malformed lines instead of inventing values', () => {
    const s = parsePrometheus('a 1\r\nb{x="unterminated} 2\nc{1x="y"} 3\nd\ne not-a-number\nf 1 2 3\ng 1 1.5\nh 4', all);
    assert.deepEqual(s, [{ name: 'a', labels: {}, value: 1 }, { name: 'h', labels: {}, value: 4 }]);
  });
});
