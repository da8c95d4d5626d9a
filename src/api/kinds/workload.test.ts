import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { msgs } from './testing.js';

describe('Workload rules', () => {
  it('Workload fields', () => {
    const w = (...spec: string[]) => msgs(['apiVersion: weft.dev/v1alpha1', 'kind: Workload', 'metadata: {name: w}', 'spec:', '  command: node', ...spec].join('\n'));
    assert.deepEqual(w('  port: 70000', '  replicas: -1', '  readinessProbe: {httpGet: {path: healthz}, periodSeconds: 0}'), [
      'spec.port: must be <= 65535',
      'spec.replicas: must be >= 0',
      'spec.readinessProbe.httpGet.path: must start with "/"',
      'spec.readinessProbe.periodSeconds: must be >= 1',
    ]);
    assert.deepEqual(w('  replicas: 0', '  cwd: app', '  serviceAccount: web'), []);
  });
});
