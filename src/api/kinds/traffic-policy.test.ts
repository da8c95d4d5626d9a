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
    assert.deepEqual(msgs(tp('  outlierDetection: {interval: 0s, baseEjectionTime: 0s}')), ['spec.outlierDetection.interval: must be between 1ms and 1h (got "0s")', 'spec.outlierDetection.baseEjectionTime: must be between 1ms and 24h (got "0s")']);
    assert.deepEqual(msgs(tp('  outlierDetection: {interval: 2s, baseEjectionTime: 30s, maxEjectionTime: 5m}')), []);
    assert.deepEqual(msgs(tp('  circuitBreaker: {maxRetries: 5}\n  retryBudget: {maxRetries: 7}')), ['spec.circuitBreaker.maxRetries: is the same limit as spec.retryBudget.maxRetries, which says 7 (got 5)']);
  });
});

describe('TrafficPolicy locality failover and health checks', () => {
  const tp = (...spec: string[]) => ['apiVersion: weft.dev/v1alpha1', 'kind: TrafficPolicy', 'metadata: {name: p}', 'spec:', '  targetRef: {kind: Service, name: api}', ...spec].join('\n');
  it('takes localityFailover with failover regions, and says what is wrong or not there', () => {
    assert.deepEqual(msgs(tp('  localityFailover: {}')), []);
    assert.deepEqual(msgs(tp('  localityFailover: {enabled: true, failover: [{from: eu-west, to: eu-central}, {from: us-east, to: us-west}]}')), []);
    assert.deepEqual(msgs(tp('  localityFailover: {failover: [{from: eu-west, to: eu-west}]}')), ['spec.localityFailover.failover[0].to: is the same region as from (eu-west)']);
    assert.deepEqual(msgs(tp('  localityFailover: {failover: [{from: eu, to: us}, {from: eu, to: ap}]}')), ['spec.localityFailover.failover[1].from: region "eu" has a failover already']);
    assert.deepEqual(msgs(tp('  localityFailover: {distribute: []}')), ['spec.localityFailover.distribute: weighted distribution across localities is not implemented by weft (only failover)']);
    assert.deepEqual(msgs(tp('  localityFailover: {failover: [{from: eu}]}')), ['spec.localityFailover.failover[0].to: is required']);
    assert.match(msgs(tp('  localityFailover: {failover: [{from: "eu west", to: us}]}'))[0]!, /^spec\.localityFailover\.failover\[0\]\.from: must be a label value/);
  });
  it('takes a healthCheck with a path, and refuses intervals and timeouts that cannot work', () => {
    assert.deepEqual(msgs(tp('  healthCheck: {path: /healthz, interval: 5s, timeout: 1s, unhealthyThreshold: 2, healthyThreshold: 1}')), []);
    assert.deepEqual(msgs(tp('  healthCheck: {interval: 5s}')), ['spec.healthCheck.path: is required']);
    assert.deepEqual(msgs(tp('  healthCheck: {path: healthz}')), ['spec.healthCheck.path: must be a path starting with "/" (printable characters, no spaces)']);
    assert.deepEqual(msgs(tp('  healthCheck: {path: /h, interval: 10ms}')), ['spec.healthCheck.interval: must be at least 100ms (got 10ms)']);
    assert.deepEqual(msgs(tp('  healthCheck: {path: /h, timeout: 0s}')), ['spec.healthCheck.timeout: must be more than 0 (got 0s)']);
    assert.match(msgs(tp('  healthCheck: {path: /h, unhealthyThreshold: 0}'))[0]!, /^spec\.healthCheck\.unhealthyThreshold: must be >= 1/);
    assert.deepEqual(msgs(tp('  healthCheck: {path: /h, grpcHealthCheck: {}}')), ['spec.healthCheck.grpcHealthCheck: gRPC health checks are not implemented by weft (HTTP GET only)']);
  });
  it('a Workload says where it runs; a Gateway by its topology labels', () => {
    const w = (...spec: string[]) => msgs(['apiVersion: weft.dev/v1alpha1', 'kind: Workload', 'metadata: {name: w}', 'spec:', '  command: node', ...spec].join('\n'));
    assert.deepEqual(w('  locality: {region: eu-west, zone: eu-west-1a}'), []);
    assert.deepEqual(w('  locality: {region: eu-west}'), []);
    assert.deepEqual(w('  locality: {zone: eu-west-1a}'), ['spec.locality.region: is required']);
    assert.deepEqual(w('  locality: {region: eu-west, subZone: rack1}'), ['spec.locality.subZone: sub-zones are not implemented by weft (region and zone only)']);
    const g = (labels: string) => msgs(['apiVersion: gateway.networking.k8s.io/v1', 'kind: Gateway', `metadata: {name: edge, labels: ${labels}}`, 'spec: {listeners: [{name: http, port: 8080, protocol: HTTP}]}'].join('\n'));
    assert.deepEqual(g('{topology.kubernetes.io/region: eu-west, topology.kubernetes.io/zone: eu-west-1a}'), []);
    assert.deepEqual(g('{topology.kubernetes.io/zone: eu-west-1a}'), ['metadata.labels["topology.kubernetes.io/zone"]: a zone needs its region']);
  });
});
