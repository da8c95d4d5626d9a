import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { msgs, objectsOf } from './testing.js';

describe('Gateway rules', () => {
  it('Gateway listeners: unique names and port/protocol/hostname; addresses are IPs', () => {
    const gw = (...spec: string[]) => msgs(['apiVersion: gateway.networking.k8s.io/v1', 'kind: Gateway', 'metadata: {name: g}', 'spec:', ...spec].join('\n'));
    assert.deepEqual(gw('  listeners:', '  - {name: a, port: 80, protocol: HTTP}', '  - {name: a, port: 80, protocol: HTTP, hostname: x.example.com}', '  - {name: c, port: 80, protocol: HTTP}'), [
      'spec.listeners[1].name: listener name "a" is used twice',
      'spec.listeners[2]: the combination of port, protocol and hostname must be unique for each listener',
    ]);
    assert.deepEqual(gw('  addresses: [{value: localhost}]', '  listeners: [{name: a, port: 80, protocol: HTTP}]'), ['spec.addresses[0].value: must be an IP address (got "localhost")']);
    assert.deepEqual(gw('  listeners: [{name: a, port: 80}]'), ['spec.listeners[0].protocol: is required']);
  });

  it('HTTPS listeners: tls with certificateRefs required, Terminate only, core Secrets only, one protocol per port', () => {
    const gw = (...listeners: string[]) => msgs(['apiVersion: gateway.networking.k8s.io/v1', 'kind: Gateway', 'metadata: {name: g}', 'spec:', '  listeners:', ...listeners.map((l) => `  - ${l}`)].join('\n'));
    assert.deepEqual(gw('{name: a, port: 443, protocol: HTTPS}'), ['spec.listeners[0].tls: is required: an HTTPS listener terminates TLS with the certificate in tls.certificateRefs']);
    assert.deepEqual(gw('{name: a, port: 443, protocol: HTTPS, tls: {}}'), ['spec.listeners[0].tls.certificateRefs: needs at least one Secret: an HTTPS listener terminates TLS with its certificate']);
    assert.deepEqual(gw('{name: a, port: 443, protocol: HTTPS, tls: {mode: Passthrough, certificateRefs: [{name: c}]}}'), [
      'spec.listeners[0].tls.mode: TLS Passthrough is not implemented by weft: the gateway terminates TLS (mode Terminate) and routes HTTP',
    ]);
    assert.deepEqual(gw('{name: a, port: 443, protocol: TLS}'), ['spec.listeners[0].protocol: TLS listeners (passthrough or TCP over TLS) are not implemented by weft yet; HTTPS terminates TLS at the gateway']);
    assert.deepEqual(gw('{name: a, port: 80, protocol: HTTP, tls: {certificateRefs: [{name: c}]}}'), ['spec.listeners[0].tls: tls must not be set on an HTTP listener']);
    assert.deepEqual(gw('{name: a, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: c, group: cert-manager.io}]}}'), ['spec.listeners[0].tls.certificateRefs[0].group: must be "" (the core API group of Secret), got "cert-manager.io"']);
    assert.deepEqual(gw('{name: a, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: c, kind: ConfigMap}]}}'), ['spec.listeners[0].tls.certificateRefs[0].kind: must be one of Secret (got the string "ConfigMap")']);
    assert.deepEqual(gw('{name: a, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: c}], options: {x: y}}}'), ['spec.listeners[0].tls.options: TLS options are not implemented by weft (TLS 1.2 and 1.3 with Node\'s default ciphers)']);
    assert.deepEqual(gw('{name: a, port: 8443, protocol: HTTPS, tls: {certificateRefs: [{name: c}]}}', '{name: b, port: 8443, protocol: HTTP}'), [
      'spec.listeners[1].protocol: port 8443 is HTTPS on listener a; listeners sharing a port must share its protocol',
    ]);
    // Several HTTPS listeners share a port by hostname (SNI); the defaults are filled in.
    const [g] = objectsOf(['apiVersion: gateway.networking.k8s.io/v1', 'kind: Gateway', 'metadata: {name: g}', 'spec:', '  listeners:',
      '  - {name: a, port: 8443, protocol: HTTPS, hostname: a.example.com, tls: {certificateRefs: [{name: a}]}}',
      '  - {name: b, port: 8443, protocol: HTTPS, tls: {certificateRefs: [{name: b}]}}'].join('\n'));
    assert.deepEqual(g.kind === 'Gateway' && g.spec.listeners[0].tls, { mode: 'Terminate', certificateRefs: [{ group: '', kind: 'Secret', name: 'a' }] });
  });
});
