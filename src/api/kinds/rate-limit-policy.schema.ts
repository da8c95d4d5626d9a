// JSON Schema of RateLimitPolicy (see src/api/schemas.ts for the keywords; cross-field rules in
// rate-limit-policy.ts). The shape follows Envoy Gateway's BackendTrafficPolicy rateLimit (type Local):
// a list of limits, each a number of requests per period and which requests count; `per` is a Gateway API
// duration instead of a unit name, and `by` names the descriptor that splits a limit into buckets.
import { GATEWAY_DURATION_SCHEMA, HEADER_NAME, OBJECT_NAME, type Schema } from './primitives.js';
import { ROUTE_MATCH } from './httproute.schema.js';

const LIMIT: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['requests', 'per'],
  properties: {
    requests: { type: 'integer', minimum: 1, maximum: 1_000_000_000 },
    per: GATEWAY_DURATION_SCHEMA,
    // Default: requests (filled in by the check, which needs `requests` first).
    burst: { type: 'integer', minimum: 1, maximum: 1_000_000_000 },
    // A name (sourcePrincipal, sourceIP, path, none) or {header: NAME}; the name is checked in rate-limit-policy.ts.
    by: {
      type: ['string', 'object'],
      default: 'none',
      maxLength: 64,
      additionalProperties: false,
      required: ['header'],
      properties: { header: HEADER_NAME },
    },
    match: ROUTE_MATCH,
  },
  'x-unsupported': {
    unit: 'use per: a duration ("1s", "1m", "1h") instead of a unit name',
    clientSelectors: 'use match (path, headers, method, queryParams) to choose the requests a limit counts, and by to split it into buckets',
  },
};

export const RATE_LIMIT_POLICY_SPEC: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['targetRef', 'limits'],
  properties: {
    targetRef: {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'name'],
      properties: {
        group: { type: 'string', enum: ['', 'weft.dev', 'gateway.networking.k8s.io'] },
        kind: { type: 'string', enum: ['Workload', 'HTTPRoute', 'GRPCRoute'], 'x-unsupported': { Gateway: 'a limit on a whole Gateway is not implemented: target its HTTPRoutes or GRPCRoutes', Service: 'target the Workload (its inbound side) or the routes that send traffic to the Service' } },
        name: OBJECT_NAME,
      },
      'x-unsupported': { sectionName: 'a limit applies to every rule of its route; use match to narrow it' },
    },
    limits: { type: 'array', minItems: 1, maxItems: 16, items: LIMIT },
  },
  'x-unsupported': {
    targetRefs: 'name one target in targetRef',
    global: 'global rate limits (a shared rate limit service) are not implemented; limits are per proxy',
  },
};
