// JSON Schema of FaultInjection (see src/api/schemas.ts for the keywords; cross-field rules in fault-injection.ts).
import { GATEWAY_DURATION_SCHEMA, type Schema } from './primitives.js';
import { HEADER_MATCH } from './httproute.schema.js';

// --- FaultInjection (Istio's HTTPFaultInjection, attached to route rules as an ExtensionRef filter) ----------

/** Share of requests, 0-100 with decimals (Istio's Percent); 100 when left out. */
const PERCENTAGE: Schema = { type: 'number', minimum: 0, maximum: 100, default: 100 };

export const FAULT_INJECTION_SPEC: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    delay: {
      type: 'object',
      additionalProperties: false,
      required: ['fixedDelay'],
      properties: { fixedDelay: GATEWAY_DURATION_SCHEMA, percentage: PERCENTAGE },
      'x-unsupported': { exponentialDelay: 'exponentialDelay is not implemented (Istio does not implement it either); use fixedDelay' },
    },
    abort: {
      type: 'object',
      additionalProperties: false,
      properties: {
        // Istio allows any valid status; weft refuses 1xx, which is not a final answer.
        httpStatus: { type: 'integer', minimum: 200, maximum: 599 },
        // A name (UNAVAILABLE) or a number (14); fault-injection.ts checks which.
        grpcStatus: { type: ['string', 'integer'] },
        percentage: PERCENTAGE,
      },
      'x-unsupported': { http2Error: 'http2Error aborts are not implemented; use httpStatus or grpcStatus' },
    },
    match: {
      type: 'object',
      additionalProperties: false,
      properties: { headers: { type: 'array', minItems: 1, maxItems: 16, items: HEADER_MATCH } },
    },
  },
};
