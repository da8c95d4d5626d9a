// JSON Schema of GRPCRoute (Gateway API v1, apis/v1/grpcroute_types.go). Parents, hostnames, header matches,
// backends and the filters it shares with HTTPRoute are HTTPRoute's own schema pieces; cross-field rules
// (the CEL validations of GRPCMethodMatch) are in grpcroute.ts.
import { HOSTNAME, SECTION_NAME, type Schema } from './primitives.js';
import { BACKEND_REF, EXTENSION_REF, HEADER_MATCH, HEADER_MODIFIER, PARENT_REF, REQUEST_MIRROR, RULE_RETRY, RULE_TIMEOUTS } from './httproute.schema.js';

export const GRPC_FILTER_TYPES = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'ExtensionRef'] as const;

const GRPC_FILTER: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: {
      type: 'string', enum: [...GRPC_FILTER_TYPES],
      'x-unsupported': {
        URLRewrite: 'GRPCRoute has no URLRewrite filter (an HTTPRoute has)',
        RequestRedirect: 'GRPCRoute has no RequestRedirect filter (an HTTPRoute has)',
      },
    },
    requestHeaderModifier: HEADER_MODIFIER,
    responseHeaderModifier: HEADER_MODIFIER,
    requestMirror: REQUEST_MIRROR,
    extensionRef: EXTENSION_REF,
  },
};

const GRPC_FILTERS: Schema = { type: 'array', maxItems: 16, items: GRPC_FILTER };

const GRPC_BACKEND_REF: Schema = {
  ...BACKEND_REF,
  properties: { ...(BACKEND_REF.properties as Record<string, Schema>), filters: GRPC_FILTERS },
};

/** Service and method are at most 1024 characters; which characters depends on the type (grpcroute.ts). */
const GRPC_METHOD_MATCH: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    type: { type: 'string', enum: ['Exact', 'RegularExpression'], default: 'Exact' },
    service: { type: 'string', minLength: 1, maxLength: 1024 },
    method: { type: 'string', minLength: 1, maxLength: 1024 },
  },
};

const GRPC_ROUTE_MATCH: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    method: GRPC_METHOD_MATCH,
    headers: { type: 'array', maxItems: 16, items: HEADER_MATCH },
  },
};

const GRPC_ROUTE_RULE: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: SECTION_NAME,
    // No matches: every call (the Gateway API's rule). Stored as one empty match, so consumers see a list.
    matches: { type: 'array', maxItems: 8, items: GRPC_ROUTE_MATCH, default: [{}] },
    filters: GRPC_FILTERS,
    backendRefs: { type: 'array', maxItems: 16, items: GRPC_BACKEND_REF },
    // weft's extensions: the Gateway API's GRPCRoute has neither yet; they work as on an HTTPRoute rule.
    retry: RULE_RETRY,
    timeouts: RULE_TIMEOUTS,
  },
  'x-unsupported': {
    sessionPersistence: 'session persistence is not implemented by weft',
  },
};

export const GRPCROUTE_SPEC: Schema = {
  type: 'object',
  additionalProperties: false,
  // Gateway API allows a route without parents or rules; weft rejects both: a route attached nowhere, or one
  // that routes nothing (attached to a Service, it would replace the Service's own route with nothing).
  required: ['parentRefs', 'rules'],
  properties: {
    parentRefs: { type: 'array', minItems: 1, maxItems: 32, items: PARENT_REF },
    hostnames: { type: 'array', maxItems: 16, items: HOSTNAME },
    rules: { type: 'array', minItems: 1, maxItems: 16, items: GRPC_ROUTE_RULE },
  },
};
