// JSON Schema of PeerAuthentication and AuthorizationPolicy (see src/api/schemas.ts for the keywords; cross-field rules in checks.ts).
import { LABELS, type Schema } from './primitives.js';

// --- PeerAuthentication and AuthorizationPolicy (Istio's security.istio.io shapes) ----------------------

export const WORKLOAD_SELECTOR: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['matchLabels'],
  properties: { matchLabels: { ...LABELS, minProperties: 1 } },
};

export const MTLS: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: { mode: { type: 'string', enum: ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'], default: 'UNSET' } },
};

export const PEER_AUTHENTICATION_SPEC: Schema = {
  type: 'object',
  default: {},
  additionalProperties: false,
  properties: {
    selector: WORKLOAD_SELECTOR,
    mtls: MTLS,
    portLevelMtls: {
      type: 'object',
      minProperties: 1,
      propertyNames: { type: 'string', pattern: '^[0-9]{1,5}$', patternMessage: 'must be a port number such as 8080' },
      additionalProperties: MTLS,
    },
  },
};

/** A non-empty list of non-empty strings: Istio rejects empty values, and an empty list would mean "unset". */
export function strings(item: Schema = {}): Schema {
  return { type: 'array', minItems: 1, maxItems: 1024, items: { type: 'string', minLength: 1, maxLength: 1024, ...item } };
}
export const PORT_STRING: Schema = { pattern: '^[0-9]{1,5}$', patternMessage: 'must be a port number written as a string, such as "8080"' };

// The values (wildcards, paths, CIDRs, ports), `when` keys and their values: kinds/authorization-policy.ts.
export const AUTHZ_SOURCE: Schema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    principals: strings(), notPrincipals: strings(),
    namespaces: strings(), notNamespaces: strings(),
    ipBlocks: strings(), notIpBlocks: strings(),
  },
  'x-unsupported': {
    requestPrincipals: 'requestPrincipals is not implemented: weft has no request (JWT) authentication; match the peer with principals',
    notRequestPrincipals: 'notRequestPrincipals is not implemented: weft has no request (JWT) authentication; match the peer with notPrincipals',
    remoteIpBlocks: 'remoteIpBlocks is not implemented: weft does not take the client address from X-Forwarded-For or PROXY protocol; use ipBlocks',
    notRemoteIpBlocks: 'notRemoteIpBlocks is not implemented: weft does not take the client address from X-Forwarded-For or PROXY protocol; use notIpBlocks',
    serviceAccounts: 'serviceAccounts is not implemented: use principals ("<trust domain>/ns/<namespace>/sa/<name>")',
    notServiceAccounts: 'notServiceAccounts is not implemented: use notPrincipals ("<trust domain>/ns/<namespace>/sa/<name>")',
  },
};

export const AUTHZ_OPERATION: Schema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    methods: strings(), notMethods: strings(),
    paths: strings(), notPaths: strings(),
    ports: strings(PORT_STRING), notPorts: strings(PORT_STRING),
    hosts: strings(), notHosts: strings(),
  },
};

export const AUTHZ_RULE: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: {
      type: 'array', maxItems: 256,
      items: { type: 'object', additionalProperties: false, required: ['source'], properties: { source: AUTHZ_SOURCE } },
    },
    to: {
      type: 'array', maxItems: 256,
      items: { type: 'object', additionalProperties: false, required: ['operation'], properties: { operation: AUTHZ_OPERATION } },
    },
    when: {
      type: 'array', maxItems: 256,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key'],
        properties: { key: { type: 'string', minLength: 1, maxLength: 512 }, values: strings(), notValues: strings() },
      },
    },
  },
};

export const AUTHORIZATION_POLICY_SPEC: Schema = {
  type: 'object',
  default: {},
  additionalProperties: false,
  properties: {
    selector: WORKLOAD_SELECTOR,
    action: {
      type: 'string', enum: ['ALLOW', 'DENY', 'AUDIT'], default: 'ALLOW',
      'x-unsupported': { CUSTOM: 'action CUSTOM is not implemented: weft has no external authorization providers' },
    },
    rules: { type: 'array', maxItems: 1024, items: AUTHZ_RULE },
  },
  'x-unsupported': {
    provider: 'provider is not implemented: weft has no external authorization providers (action CUSTOM)',
    targetRef: 'targetRef is not implemented: select workloads with selector',
    targetRefs: 'targetRefs is not implemented: select workloads with selector',
  },
};
