import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Workload } from '../api/types.js';
import { canonical, nextIndex, scaleDownVictims, specChanges, templateOf } from './desired.js';

const w = (spec: Partial<Workload['spec']> = {}, labels: Record<string, string> = { app: 'web' }): Workload => ({
  apiVersion: 'weft.dev/v1alpha1', kind: 'Workload', metadata: { name: 'web', namespace: 'default', labels },
  spec: { command: 'node', args: ['app.js'], env: { A: '1' }, replicas: 2, serviceAccount: 'default', port: 0, ...spec },
} as Workload);

describe('desired state', () => {
  it('compares specs whatever the key order, and ignores replicas', () => {
    assert.equal(canonical({ b: 1, a: { d: 2, c: [1, { y: 1, x: 2 }] } }), canonical({ a: { c: [1, { x: 2, y: 1 }], d: 2 }, b: 1 }));
    assert.equal(templateOf(w({ env: { A: '1', B: '2' } })), templateOf(w({ env: { B: '2', A: '1' } })));
    assert.equal(templateOf(w({ replicas: 5 })), templateOf(w({ replicas: 1 })));
    assert.deepEqual(specChanges(w(), w({ replicas: 7 })), []);
  });

  it('names every field that changed', () => {
    assert.deepEqual(specChanges(w(), w({ env: { A: '2' } })), ['env']);
    assert.deepEqual(specChanges(w(), w({ command: 'deno', args: [] })), ['command', 'args']);
    assert.deepEqual(specChanges(w(), w({ readinessProbe: { httpGet: { path: '/h' }, periodSeconds: 1 } as never })), ['readinessProbe']);
    assert.deepEqual(specChanges(w(), w({}, { app: 'web', tier: 'x' })), ['labels']);
    assert.deepEqual(specChanges(w(), w({ cwd: 'sub', port: 8080, serviceAccount: 'sa' })), ['cwd', 'port', 'serviceAccount']);
  });

  it('picks the lowest free index, ignoring other workloads with a common prefix', () => {
    assert.equal(nextIndex('web', []), 0);
    assert.equal(nextIndex('web', ['web-0', 'web-1']), 2);
    assert.equal(nextIndex('web', ['web-1', 'web-2']), 0);
    assert.equal(nextIndex('web', ['web-0', 'web-api-1', 'web-x']), 1);
  });

  it('scales down outdated replicas first, then unready ones, then the highest index', () => {
    const r = (index: number, outdated = false, ready = true) => ({ name: `web-${index}`, index, outdated, ready });
    assert.deepEqual(scaleDownVictims([r(0), r(1), r(2)], 1).map((v) => v.name), ['web-2', 'web-1']);
    assert.deepEqual(scaleDownVictims([r(0), r(1, false, false), r(2)], 2).map((v) => v.name), ['web-1']);
    assert.deepEqual(scaleDownVictims([r(0, true), r(1), r(2, false, false)], 1).map((v) => v.name), ['web-0', 'web-2']);
    assert.deepEqual(scaleDownVictims([r(0)], 3), []);
  });
});
