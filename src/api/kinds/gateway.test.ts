import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { msgs } from './testing.js';

describe('Gateway rules', () => {
  it('Gateway listeners: unique names and port/protocol/hostname; addresses are IPs', () => {
    const gw = (...spec: string[]) => msgs(['apiVersion: gateway.networking.k8s.io/v1', 'kind: Gateway', 'metadata: {name: g}', 'spec:', ...spec].join('\n'));
    assert.deepEqual(gw('  listeners:', '  - {name: a, port: 80, protocol: HTTP}', '  - {name: a, port: 80, protocol: HTTP, hostname: x.example.com}', '  - {name: c, port: 80, protocol: HTTP}'), [
      'spec.listeners[1].name: listener name "a" is used twice',
      'spec.listeners[2]: the combination of port, protocol and hostname must be unique for each listener',
    ]);
    assert.deepEqual(gw('  addresses: [{value: localhost}]', '  listeners: [{name: a, port: 80, protocol: HTTP}]'), ['spec.addresses[0].value: must be an IP address (got "localhost")']);
    assert.deepEqual(gw('  listeners: [{name: a, port: 443, protocol: HTTPS}]'), ['spec.listeners[0].protocol: TLS listeners are not implemented by weft yet']);
    assert.deepEqual(gw('  listeners: [{name: a, port: 80}]'), ['spec.listeners[0].protocol: is required']);
  });
});
