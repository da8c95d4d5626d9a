import { test } from 'node:test';
import { golden } from './golden.js';
import { renderValidate } from './validate.js';

const bad = {
  files: ['mesh.yaml', 'extra.yaml'], objects: 7, errors: [
    'mesh.yaml:11:17 spec.rules[0].backendRefs[1].weight: must be >= 0',
    'mesh.yaml:23:5 spec.replicas: unknown field "replica" (did you mean "replicas"?)',
    'extra.yaml:3:1 HTTPRoute default/extra: backendRef catalg:80 names no Service (did you mean "catalog"?)',
  ],
};

test('validate: every error on stderr with a count; a valid set on stdout; JSON either way', () => {
  const r = renderValidate(bad, 'table');
  golden('validate-errors-stderr', r.stderr);
  golden('validate-errors-stdout', r.stdout);
  golden('validate-errors-json', renderValidate(bad, 'json').stdout);
  golden('validate-ok', renderValidate({ files: ['mesh.yaml'], objects: 1, errors: [] }, 'table').stdout + renderValidate({ files: ['a.yaml', 'b.yaml'], objects: 12, errors: [] }, 'table').stdout);
  golden('validate-one-error-stderr', renderValidate({ ...bad, errors: bad.errors.slice(0, 1) }, 'table').stderr);
});
