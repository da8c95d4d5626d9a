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
    assert.deepEqual(w('  host: b', '  restartPolicy: OnFailure'), []);
    assert.deepEqual(w('  host: B_1'), ['spec.host: must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit']);
  });

  it('weft-system is reserved for the mesh\'s own identities (the control plane, joined hosts)', () => {
    const m = msgs(['apiVersion: weft.dev/v1alpha1', 'kind: Workload', 'metadata: {name: w, namespace: weft-system}', 'spec: {command: node, serviceAccount: host-b}'].join('\n'));
    assert.deepEqual(m, ['metadata.namespace: weft-system is reserved for the mesh\'s own identities (the control plane, joined hosts)']);
  });
});
