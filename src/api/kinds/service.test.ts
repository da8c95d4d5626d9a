import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { msgs } from './testing.js';

describe('Service rules', () => {
  it('Service ports: unique numbers and names, TCP only', () => {
    const svc = (ports: string) => msgs(['apiVersion: v1', 'kind: Service', 'metadata: {name: s}', `spec: {selector: {app: s}, ports: ${ports}}`].join('\n'));
    assert.deepEqual(svc('[{name: http, port: 80}, {name: http, port: 80}]'), [
      'spec.ports[1].name: port name "http" is used twice',
      'spec.ports[1].port: port 80 is listed twice',
    ]);
    assert.deepEqual(svc('[{port: 53, protocol: UDP}]'), ['spec.ports[0].protocol: weft carries TCP only']);
    assert.deepEqual(svc('[]'), ['spec.ports: must have at least 1 item']);
    assert.deepEqual(svc('[{port: 80, targetPort: http}, {port: 81, targetPort: 8081}, {port: 82, targetPort: 0}]'), ['spec.ports[2].targetPort: must be >= 1']);
  });
});
