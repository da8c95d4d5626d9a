// JSON Schema of HTTPRoute (see src/api/schemas.ts for the keywords; cross-field rules in checks.ts).
import { RETRY_ON } from '../traffic.js';
import { DNS_LABEL, GATEWAY_DURATION_SCHEMA, TIMEOUT_DURATION_SCHEMA, GROUP, HEADER_NAME, HEADER_VALUE, HOSTNAME, OBJECT_NAME, PORT, PRECISE_HOSTNAME, SECTION_NAME, type Schema } from './primitives.js';

// --- HTTPRoute ---------------------------------------------------------------------------------------

export const PARENT_REF: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    group: GROUP,
    kind: { type: 'string', enum: ['Gateway', 'Service'], default: 'Gateway' },
    name: OBJECT_NAME,
    namespace: DNS_LABEL,
    sectionName: SECTION_NAME,
    port: PORT,
  },
};

const MATCH_TYPES = ['Exact', 'RegularExpression'];
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];

export const PATH_MATCH: Schema = {
  type: 'object',
  additionalProperties: false,
  default: { type: 'PathPrefix', value: '/' },
  properties: {
    type: { type: 'string', enum: ['Exact', 'PathPrefix', 'RegularExpression'], default: 'PathPrefix' },
    value: { type: 'string', maxLength: 1024, default: '/' },
  },
};

export const HEADER_MATCH: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'value'],
  properties: {
    type: { type: 'string', enum: MATCH_TYPES, default: 'Exact' },
    name: HEADER_NAME,
    value: HEADER_VALUE,
  },
};

export const QUERY_PARAM_MATCH: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'value'],
  properties: {
    type: { type: 'string', enum: MATCH_TYPES, default: 'Exact' },
    name: HEADER_NAME,
    value: { type: 'string', minLength: 1, maxLength: 1024 },
  },
};

export const ROUTE_MATCH: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    path: PATH_MATCH,
    headers: { type: 'array', maxItems: 16, items: HEADER_MATCH },
    queryParams: { type: 'array', maxItems: 16, items: QUERY_PARAM_MATCH },
    method: { type: 'string', enum: HTTP_METHODS },
  },
};

export const HTTP_HEADER: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'value'],
  properties: { name: HEADER_NAME, value: HEADER_VALUE },
};

export const HEADER_MODIFIER: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    set: { type: 'array', maxItems: 16, items: HTTP_HEADER },
    add: { type: 'array', maxItems: 16, items: HTTP_HEADER },
    remove: { type: 'array', maxItems: 16, items: HEADER_NAME },
  },
};

export const PATH_MODIFIER: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { type: 'string', enum: ['ReplaceFullPath', 'ReplacePrefixMatch'] },
    replaceFullPath: { type: 'string', maxLength: 1024 },
    replacePrefixMatch: { type: 'string', maxLength: 1024 },
  },
};

/** RequestMirror's settings (HTTPRoute and GRPCRoute alike). */
export const REQUEST_MIRROR: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['backendRef'],
  properties: {
    backendRef: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: { group: { type: 'string', enum: [''] }, kind: { type: 'string', enum: ['Service'], default: 'Service' }, name: { type: 'string', minLength: 1, maxLength: 253 }, namespace: DNS_LABEL, port: PORT },
    },
    percent: { type: 'integer', minimum: 0, maximum: 100 },
    fraction: {
      type: 'object',
      additionalProperties: false,
      required: ['numerator'],
      properties: { numerator: { type: 'integer', minimum: 0 }, denominator: { type: 'integer', minimum: 1, default: 100 } },
    },
  },
};

export const FILTER_TYPES = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'URLRewrite', 'RequestRedirect', 'RequestMirror', 'ExtensionRef'] as const;

/** Gateway API LocalObjectReference of an ExtensionRef filter; which group and kind weft knows is checked in httproute.ts. */
export const EXTENSION_REF: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['group', 'kind', 'name'],
  properties: {
    group: GROUP,
    kind: { type: 'string', minLength: 1, maxLength: 63, pattern: '^[a-zA-Z](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$', patternMessage: 'must be a kind name such as "FaultInjection"' },
    name: OBJECT_NAME,
  },
};

export const FILTER: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: {
      type: 'string', enum: [...FILTER_TYPES],
      'x-unsupported': {
        CORS: 'the CORS filter is not implemented by weft yet',
        ExternalAuth: 'the ExternalAuth filter is not implemented by weft yet',
      },
    },
    requestHeaderModifier: HEADER_MODIFIER,
    responseHeaderModifier: HEADER_MODIFIER,
    requestMirror: REQUEST_MIRROR,
    extensionRef: EXTENSION_REF,
    urlRewrite: {
      type: 'object',
      additionalProperties: false,
      properties: { hostname: PRECISE_HOSTNAME, path: PATH_MODIFIER },
    },
    requestRedirect: {
      type: 'object',
      additionalProperties: false,
      properties: {
        scheme: { type: 'string', enum: ['http', 'https'] },
        hostname: PRECISE_HOSTNAME,
        path: PATH_MODIFIER,
        port: PORT,
        statusCode: { type: 'integer', enum: [301, 302, 303, 307, 308], default: 302 },
      },
    },
  },
  'x-unsupported': {
    cors: 'the CORS filter is not implemented by weft yet',
    externalAuth: 'the ExternalAuth filter is not implemented by weft yet',
  },
};

export const FILTERS: Schema = { type: 'array', maxItems: 16, items: FILTER };

export const BACKEND_REF: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    group: GROUP,
    kind: { type: 'string', enum: ['Service'], default: 'Service' },
    name: OBJECT_NAME,
    namespace: DNS_LABEL,
    port: PORT,
    weight: { type: 'integer', minimum: 0, maximum: 1000000, default: 1 },
    filters: FILTERS,
  },
};

// GEP-1731, with weft's extensions (retryOn, nonIdempotent, maxBackoff); docs/traffic.md.
export const RULE_RETRY: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    attempts: { type: 'integer', minimum: 0, maximum: 10, default: 2 },
    backoff: GATEWAY_DURATION_SCHEMA,
    maxBackoff: GATEWAY_DURATION_SCHEMA,
    codes: { type: 'array', maxItems: 32, items: { type: 'integer', minimum: 400, maximum: 599 } },
    retryOn: { type: 'array', maxItems: 8, items: { type: 'string', enum: [...RETRY_ON] } },
    nonIdempotent: { type: 'boolean', default: false },
  },
  'x-unsupported': { grpcStatuses: 'gRPC statuses go in retryOn: cancelled, deadline-exceeded, resource-exhausted, unavailable' },
};

// GEP-1742. Checked further in checks.ts (backendRequest <= request).
export const RULE_TIMEOUTS: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: { request: TIMEOUT_DURATION_SCHEMA, backendRequest: TIMEOUT_DURATION_SCHEMA },
};

export const ROUTE_RULE: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: SECTION_NAME,
    matches: {
      type: 'array', maxItems: 64, items: ROUTE_MATCH,
      default: [{ path: { type: 'PathPrefix', value: '/' } }],
    },
    filters: FILTERS,
    backendRefs: { type: 'array', maxItems: 16, items: BACKEND_REF },
    retry: RULE_RETRY,
    timeouts: RULE_TIMEOUTS,
  },
  'x-unsupported': {
    sessionPersistence: 'session persistence is not implemented by weft',
  },
};

export const HTTPROUTE_SPEC: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['parentRefs'],
  properties: {
    // Gateway API allows a route without parents; weft rejects it, since nothing would ever report
    // that the route is attached nowhere.
    parentRefs: { type: 'array', minItems: 1, maxItems: 32, items: PARENT_REF },
    hostnames: { type: 'array', maxItems: 16, items: HOSTNAME },
    rules: {
      type: 'array', minItems: 1, maxItems: 16, items: ROUTE_RULE,
      default: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }] }],
    },
  },
};
