// JSON Schema of TrafficPolicy (see src/api/schemas.ts for the keywords; cross-field rules in checks.ts).
import { LB_TYPES } from '../traffic.js';
import { GATEWAY_DURATION_SCHEMA, HEADER_NAME, LOCALITY_NAME, OBJECT_NAME, type Schema } from './primitives.js';

// --- TrafficPolicy (weft's policy for traffic to one Service: load balancing and retry budget) ------------

export const TRAFFIC_POLICY_SPEC: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['targetRef'],
  properties: {
    targetRef: {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'name'],
      properties: { group: { type: 'string', enum: ['', 'core'] }, kind: { type: 'string', enum: ['Service'] }, name: OBJECT_NAME },
    },
    loadBalancer: {
      type: 'object',
      additionalProperties: false,
      properties: {
        type: { type: 'string', enum: [...LB_TYPES], default: 'EWMA' },
        // Exactly one key for RING_HASH / MAGLEV (checks.ts).
        hashOn: {
          type: 'object',
          additionalProperties: false,
          properties: {
            header: HEADER_NAME,
            cookie: {
              type: 'object',
              additionalProperties: false,
              required: ['name'],
              properties: { name: { type: 'string', minLength: 1, maxLength: 256, pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", patternMessage: 'must be a cookie name (an HTTP token)' }, path: { type: 'string', maxLength: 1024, default: '/' }, ttl: GATEWAY_DURATION_SCHEMA },
            },
            sourceIP: { type: 'boolean' },
          },
        },
        ringSize: { type: 'integer', minimum: 1, maximum: 65536 },
        tableSize: { type: 'integer', minimum: 17, maximum: 5000011 },
        slowStart: {
          type: 'object',
          additionalProperties: false,
          required: ['window'],
          properties: {
            window: GATEWAY_DURATION_SCHEMA,
            aggression: { type: 'number', exclusiveMinimum: 0, maximum: 100, default: 1 },
            minWeightPercent: { type: 'number', minimum: 0, maximum: 100, default: 10 },
          },
        },
      },
    },
    // Istio's connectionPool / Envoy's circuit_breakers: requests in flight from one proxy to the Service.
    circuitBreaker: {
      type: 'object',
      additionalProperties: false,
      properties: {
        maxRequests: { type: 'integer', minimum: 1, maximum: 1000000 },
        maxConnections: { type: 'integer', minimum: 1, maximum: 1000000 },
        maxPendingRequests: { type: 'integer', minimum: 0, maximum: 1000000 },
        maxRetries: { type: 'integer', minimum: 0, maximum: 1000000 },
        connectTimeout: GATEWAY_DURATION_SCHEMA,
        idleTimeout: GATEWAY_DURATION_SCHEMA,
      },
    },
    // Passive outlier detection (Istio's DestinationRule outlierDetection); defaults in src/api/traffic.ts.
    outlierDetection: {
      type: 'object',
      additionalProperties: false,
      properties: {
        consecutive5xxErrors: { type: 'integer', minimum: 0, maximum: 100000 },
        consecutiveGatewayErrors: { type: 'integer', minimum: 0, maximum: 100000 },
        interval: GATEWAY_DURATION_SCHEMA,
        baseEjectionTime: GATEWAY_DURATION_SCHEMA,
        maxEjectionTime: GATEWAY_DURATION_SCHEMA,
        maxEjectionPercent: { type: 'integer', minimum: 0, maximum: 100 },
        panicThreshold: { type: 'integer', minimum: 0, maximum: 100 },
      },
    },
    // Istio's localityLbSetting (failover only): endpoints in priority levels by the caller's locality.
    localityFailover: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean', default: true },
        failover: {
          type: 'array',
          maxItems: 64,
          items: { type: 'object', additionalProperties: false, required: ['from', 'to'], properties: { from: LOCALITY_NAME, to: LOCALITY_NAME } },
        },
      },
      'x-unsupported': {
        distribute: 'weighted distribution across localities is not implemented by weft (only failover)',
        failoverPriority: 'failoverPriority is not implemented by weft: endpoints are ordered by zone, region, the failover region, then the rest',
      },
    },
    // Active health checks (Envoy's health_check, HTTP only); defaults in src/api/traffic.ts.
    healthCheck: {
      type: 'object',
      additionalProperties: false,
      required: ['path'],
      properties: {
        path: { type: 'string', minLength: 1, maxLength: 1024, pattern: '^/[\\x21-\\x7E]*$', patternMessage: 'must be a path starting with "/" (printable characters, no spaces)' },
        interval: GATEWAY_DURATION_SCHEMA,
        timeout: GATEWAY_DURATION_SCHEMA,
        unhealthyThreshold: { type: 'integer', minimum: 1, maximum: 100 },
        healthyThreshold: { type: 'integer', minimum: 1, maximum: 100 },
      },
      'x-unsupported': {
        expectedStatuses: 'expectedStatuses is not implemented by weft: 200-399 passes',
        grpcHealthCheck: 'gRPC health checks are not implemented by weft (HTTP GET only)',
        tcpHealthCheck: 'TCP health checks are not implemented by weft (HTTP GET only)',
      },
    },
    retryBudget: {
      type: 'object',
      additionalProperties: false,
      properties: {
        retryRatio: { type: 'number', minimum: 0, maximum: 10 },
        minRetriesPerSecond: { type: 'integer', minimum: 0, maximum: 100000 },
        maxRetries: { type: 'integer', minimum: 0, maximum: 100000 },
      },
    },
  },
};
