import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { msgs } from './testing.js';

describe('TrafficPolicy', () => {
  const tp = (...spec: string[]) => ['apiVersion: weft.dev/v1alpha1', 'kind: TrafficPolicy', 'metadata: {name: p}', 'spec:', '  targetRef: {kind: Service, name: api}', ...spec].join('\n');
  it('takes each balancer with what it needs, and says what does not fit', () => {
    assert.deepEqual(msgs(tp('  loadBalancer: {type: EWMA, slowStart: {window: 30s}}')), []);
    assert.deepEqual(msgs(tp('  loadBalancer: {type: RING_HASH, hashOn: {header: x-user}, ringSize: 128}')), []);
    assert.deepEqual(msgs(tp('  loadBalancer: {type: MAGLEV, hashOn: {sourceIP: true}, tableSize: 65537}')), []);
    assert.deepEqual(msgs(tp('  loadBalancer: {type: RING_HASH}')), ['spec.loadBalancer.hashOn: is required for RING_HASH: one of header, cookie, sourceIP']);
    assert.deepEqual(msgs(tp('  loadBalancer: {type: MAGLEV, hashOn: {header: a, sourceIP: true}}')), ['spec.loadBalancer.hashOn: must name one key to hash, got header, sourceIP']);
    assert.deepEqual(msgs(tp('  loadBalancer: {type: EWMA, hashOn: {header: a}}')), ['spec.loadBalancer.hashOn: only RING_HASH and MAGLEV hash (type is EWMA)']);
    assert.deepEqual(msgs(tp('  loadBalancer: {type: MAGLEV, hashOn: {header: a}, tableSize: 65536}')), ['spec.loadBalancer.tableSize: must be a prime number (got 65536)']);
    assert.deepEqual(msgs(tp('  loadBalancer: {type: RING_HASH, hashOn: {header: a}, slowStart: {window: 1s}}')), ['spec.loadBalancer.slowStart: slow start does not apply to RING_HASH (a key\'s endpoint does not depend on load)']);
    assert.match(msgs(tp('  loadBalancer: {type: RANDOM}'))[0], /^spec\.loadBalancer\.type: must be one of/);
  });
  it('takes circuit breaker limits and timeouts, and says what is out of range or conflicting', () => {
    assert.deepEqual(msgs(tp('  circuitBreaker: {maxRequests: 100, maxConnections: 10, maxPendingRequests: 0, maxRetries: 5, connectTimeout: 2s, idleTimeout: 1m}')), []);
    assert.match(msgs(tp('  circuitBreaker: {maxRequests: 0}'))[0], /^spec\.circuitBreaker\.maxRequests: must be >= 1/);
    assert.match(msgs(tp('  circuitBreaker: {maxConnections: 0}'))[0], /^spec\.circuitBreaker\.maxConnections: must be >= 1/);
    assert.match(msgs(tp('  circuitBreaker: {maxPendingRequests: -1}'))[0], /^spec\.circuitBreaker\.maxPendingRequests: must be >= 0/);
    assert.deepEqual(msgs(tp('  circuitBreaker: {connectTimeout: 10m}')), ['spec.circuitBreaker.connectTimeout: must be between 1ms and 5m (got "10m")']);
    assert.deepEqual(msgs(tp('  circuitBreaker: {idleTimeout: 10ms}')), ['spec.circuitBreaker.idleTimeout: must be between 1s and 24h (got "10ms")']);
    assert.match(msgs(tp('  circuitBreaker: {connectTimeout: soon}'))[0], /^spec\.circuitBreaker\.connectTimeout: /);
    assert.deepEqual(msgs(tp('  circuitBreaker: {maxRetries: 5}\n  retryBudget: {maxRetries: 7}')), ['spec.circuitBreaker.maxRetries: is the same limit as spec.retryBudget.maxRetries, which says 7 (got 5)']);
  });
});
