import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ControlError } from '../control/client.js';
import { errorMessage } from './common.js';

test("a control plane's suggestion joins its error: a name as \"did you mean\", a sentence as it is", () => {
  const unknown = new ControlError(404, { error: 'no workload or service named "catalg"', suggestion: 'catalog' }, 'no workload or service named "catalg"');
  assert.equal(errorMessage(unknown), 'no workload or service named "catalg" (did you mean "catalog"?)');
  const sentence = new ControlError(404, { error: 'no proxy named "web-9"', suggestion: 'run `weft status` for the names' }, 'no proxy named "web-9"');
  assert.equal(errorMessage(sentence), 'no proxy named "web-9" (run `weft status` for the names)');
  const plain = new ControlError(404, { error: 'no workload or service named "zzz"' }, 'no workload or service named "zzz"');
  assert.equal(errorMessage(plain), 'no workload or service named "zzz"');
  assert.equal(errorMessage(new ControlError(0, undefined, 'cannot reach control plane at http://127.0.0.1:1: ECONNREFUSED')), 'cannot reach control plane at http://127.0.0.1:1: ECONNREFUSED');
  assert.equal(errorMessage(new Error('cannot read x.yaml: ENOENT')), 'cannot read x.yaml: ENOENT');
});
