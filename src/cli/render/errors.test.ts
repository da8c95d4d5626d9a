import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatUsageError } from './errors.js';

test("commander's usage errors read as weft's, with suggestions quoted", () => {
  assert.equal(formatUsageError("error: unknown command 'stauts'\n(Did you mean status?)\n"), "weft: unknown command 'stauts' (did you mean 'status'?)\n");
  assert.equal(formatUsageError("error: unknown command 'statu'\n(Did you mean one of stat, status?)\n"), "weft: unknown command 'statu' (did you mean one of 'stat', 'status'?)\n");
  assert.equal(formatUsageError("error: unknown option '--outptu'\n(Did you mean --output?)\n"), "weft: unknown option '--outptu' (did you mean '--output'?)\n");
  assert.equal(formatUsageError("error: required option '-f, --file <file...>' not specified\n"), "weft: required option '-f, --file <file...>' not specified\n");
});
