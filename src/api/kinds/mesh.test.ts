import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGoDuration } from '../checks.js';
import { errs, msgs, doc, objectsOf } from './testing.js';

describe('Mesh security fields', () => {
  const mesh = (spec: string) => doc('weft.dev/v1alpha1', 'Mesh', 'metadata: {name: m}', `spec: ${spec}`);
  it('accepts Go durations within bounds and both outbound modes', () => {
    for (const d of ['1m', '90m', '24h', '3600s', '1h30m', '1.5h', '2160h']) objectsOf(mesh(`{certificateLifetime: "${d}"}`));
    const [m] = objectsOf(mesh('{outboundTrafficPolicy: {mode: REGISTRY_ONLY}}'));
    assert.deepEqual(m.spec, { trustDomain: 'cluster.local', outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' }, certificateLifetime: '24h', defaults: { namespace: 'default' }, pathNormalization: { escapedSlashes: 'REJECT' } });
  });
  it('rejects bad durations and modes', () => {
    assert.deepEqual(errs(mesh('{certificateLifetime: 30s}')), [
      'r.yaml:4:29 spec.certificateLifetime: must be between 1m and 2160h (90 days) (got "30s") (hint: the default is "24h")',
    ]);
    assert.deepEqual(msgs(mesh('{certificateLifetime: 91d}')), ['spec.certificateLifetime: must be a duration such as "24h", "90m", "1h30m" or "3600s" (units h, m, s, ms)']);
    assert.deepEqual(msgs(mesh('{certificateLifetime: 2161h}')), ['spec.certificateLifetime: must be between 1m and 2160h (90 days) (got "2161h")']);
    assert.deepEqual(msgs(mesh('{outboundTrafficPolicy: {mode: allow_any}}')), ['spec.outboundTrafficPolicy.mode: must be one of ALLOW_ANY, REGISTRY_ONLY (got the string "allow_any")']);
  });
  it('checks listener limits: durations in range, integers in range, no unknown fields', () => {
    const [m] = objectsOf(mesh('{listeners: {requestHeadersTimeout: 5s, idleTimeout: 1h, maxConnections: 10, maxRequestHeadersKb: 8, maxRequestHeaders: 50, maxRequestLineBytes: 4096}}'));
    assert.equal((m.spec as { listeners?: { maxConnections?: number } }).listeners?.maxConnections, 10);
    assert.deepEqual(msgs(mesh('{listeners: {requestHeadersTimeout: 10ms}}')), ['spec.listeners.requestHeadersTimeout: must be between 100ms and 1h (got "10ms")']);
    assert.deepEqual(msgs(mesh('{listeners: {idleTimeout: 48h}}')), ['spec.listeners.idleTimeout: must be between 1s and 24h (got "48h")']);
    assert.deepEqual(msgs(mesh('{listeners: {idleTimeout: soon}}')), ['spec.listeners.idleTimeout: must be a duration such as "5m" or "300s"']);
    assert.equal(msgs(mesh('{listeners: {maxConnections: 0}}')).length, 1);
    assert.equal(msgs(mesh('{listeners: {maxRequestHeaders: 1.5}}')).length, 1);
    assert.equal(msgs(mesh('{listeners: {headerTimeout: 5s}}')).length, 1);
  });
  it('parses Go durations', () => {
    assert.equal(parseGoDuration('24h'), 86_400_000);
    assert.equal(parseGoDuration('1h30m'), 5_400_000);
    assert.equal(parseGoDuration('1.5h'), 5_400_000);
    assert.equal(parseGoDuration('250ms'), 250);
    assert.equal(parseGoDuration('1h1'), undefined);
    assert.equal(parseGoDuration(''), undefined);
    assert.equal(parseGoDuration('-1h'), undefined);
  });
});
