// JSON Schema of Mesh (see src/api/schemas.ts for the keywords; cross-field rules in checks.ts).
import { DNS_LABEL, GATEWAY_DURATION_SCHEMA, TIMEOUT_DURATION_SCHEMA, type Schema } from './primitives.js';

// --- Mesh --------------------------------------------------------------------------------------------

export const MESH_SPEC: Schema = {
  type: 'object',
  default: {},
  additionalProperties: false,
  properties: {
    trustDomain: {
      type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-z0-9._-]+$', default: 'cluster.local',
      patternMessage: 'must be a SPIFFE trust domain: lowercase letters, digits, ".", "-" and "_"',
    },
    outboundTrafficPolicy: {
      type: 'object',
      default: { mode: 'ALLOW_ANY' },
      additionalProperties: false,
      properties: { mode: { type: 'string', enum: ['ALLOW_ANY', 'REGISTRY_ONLY'], default: 'ALLOW_ANY' } },
      'x-unsupported': { egressProxy: 'egressProxy is not implemented by weft' },
    },
    // Bounds (checks.ts) need the parsed value; the pattern is Go's time.ParseDuration syntax without a sign.
    certificateLifetime: {
      type: 'string', maxLength: 64, default: '24h', pattern: '^(?:[0-9]+(?:\\.[0-9]+)?(?:ns|us|\u00b5s|ms|s|m|h))+$',
      patternMessage: 'must be a duration such as "24h", "90m", "1h30m" or "3600s" (units h, m, s, ms)',
    },
    defaults: {
      type: 'object',
      default: {},
      additionalProperties: false,
      properties: { namespace: { ...DNS_LABEL, default: 'default' } },
    },
    pathNormalization: {
      type: 'object',
      default: { escapedSlashes: 'REJECT' },
      additionalProperties: false,
      properties: { escapedSlashes: { type: 'string', enum: ['REJECT', 'KEEP', 'UNESCAPE'], default: 'REJECT' } },
    },
    // Mesh-wide traffic defaults (src/api/traffic.ts says why these values; docs/traffic.md).
    traffic: {
      type: 'object',
      additionalProperties: false,
      properties: { responseTimeout: TIMEOUT_DURATION_SCHEMA, connectTimeout: GATEWAY_DURATION_SCHEMA },
    },
    // Every proxy listener's protections (defaults in src/api/limits.ts; docs/config-reference.md).
    listeners: {
      type: 'object',
      additionalProperties: false,
      properties: {
        requestHeadersTimeout: { type: 'string', maxLength: 64, pattern: '^(?:[0-9]+(?:\\.[0-9]+)?(?:ns|us|\u00b5s|ms|s|m|h))+$', patternMessage: 'must be a duration such as "10s" or "1m"' },
        idleTimeout: { type: 'string', maxLength: 64, pattern: '^(?:[0-9]+(?:\\.[0-9]+)?(?:ns|us|\u00b5s|ms|s|m|h))+$', patternMessage: 'must be a duration such as "5m" or "300s"' },
        maxConnections: { type: 'integer', minimum: 1, maximum: 1_000_000 },
        maxRequestHeadersKb: { type: 'integer', minimum: 1, maximum: 8192 },
        maxRequestHeaders: { type: 'integer', minimum: 1, maximum: 10_000 },
        maxRequestLineBytes: { type: 'integer', minimum: 64, maximum: 1_048_576 },
      },
    },
  },
};
