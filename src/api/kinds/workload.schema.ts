// JSON Schema of Workload (see src/api/schemas.ts for the keywords; cross-field rules in checks.ts).
import { DNS_LABEL, DNS_SUBDOMAIN, LOCALITY_NAME, type Schema } from './primitives.js';

// --- Workload ----------------------------------------------------------------------------------------

export const WORKLOAD_SPEC: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['command'],
  properties: {
    command: { type: 'string', minLength: 1 },
    args: { type: 'array', items: { type: 'string' }, default: [] },
    env: {
      type: 'object',
      default: {},
      propertyNames: {
        type: 'string', pattern: '^[-._a-zA-Z][-._a-zA-Z0-9]*$',
        patternMessage: 'must be an environment variable name: letters, digits, "_", "-" and ".", not starting with a digit',
      },
      additionalProperties: { type: 'string' },
    },
    cwd: { type: 'string', minLength: 1 },
    replicas: { type: 'integer', minimum: 0, default: 1 },
    serviceAccount: { ...DNS_SUBDOMAIN, default: 'default' },
    port: { type: 'integer', minimum: 0, maximum: 65535, default: 0 },
    restartPolicy: { type: 'string', enum: ['Always', 'OnFailure', 'Never'], default: 'Always' },
    host: DNS_LABEL,
    readinessProbe: {
      type: 'object',
      additionalProperties: false,
      required: ['httpGet'],
      properties: {
        httpGet: {
          type: 'object',
          additionalProperties: false,
          required: ['path'],
          properties: { path: { type: 'string', pattern: '^/', patternMessage: 'must start with "/"' } },
        },
        periodSeconds: { type: 'integer', minimum: 1, default: 1 },
      },
    },
    // Transparent capture (weft capture install): the sidecar listens on this port for the app's redirected TCP.
    capture: {
      type: 'object',
      additionalProperties: false,
      required: ['outboundPort'],
      properties: { outboundPort: { type: 'integer', minimum: 1, maximum: 65535 } },
    },
    // Where the replicas run: locality failover (TrafficPolicy localityFailover) orders endpoints by it.
    locality: {
      type: 'object',
      additionalProperties: false,
      required: ['region'],
      properties: { region: LOCALITY_NAME, zone: LOCALITY_NAME },
      'x-unsupported': { subZone: 'sub-zones are not implemented by weft (region and zone only)' },
    },
  },
};
