// JSON Schemas of every kind weft reads: the source of truth for what is accepted, and where the
// defaults come from (ajv applies `default`). Field limits follow the Kubernetes Gateway API v1 CRDs
// (apis/v1/httproute_types.go, shared_types.go) where a field comes from there. Rules that span fields
// (Gateway API's CEL rules) live in checks.ts and kinds/<kind>.ts; rules that span objects in set.ts.
//
// Two annotation keywords carry error wording: `patternMessage` replaces "must match pattern ..." with
// words a user understands, and `x-unsupported` names Gateway API fields weft knows but does not
// implement yet (fields of a mapping, or values of an enum), so they get "not supported" instead of
// "unknown field" or a bare list of allowed values.

import { GATEWAY_API, WEFT_API } from './types.js';

import { DNS_1035_LABEL, DNS_LABEL, DNS_SUBDOMAIN, metadata, object, type Schema } from './kinds/primitives.js';
export { API_ALIASES } from './kinds/primitives.js';
import { GATEWAY_SPEC } from './kinds/gateway.schema.js';
import { HTTPROUTE_SPEC } from './kinds/httproute.schema.js';
import { GRPCROUTE_SPEC } from './kinds/grpcroute.schema.js';
import { MESH_SPEC } from './kinds/mesh.schema.js';
import { AUTHORIZATION_POLICY_SPEC, PEER_AUTHENTICATION_SPEC } from './kinds/security.schema.js';
import { SERVICE_SPEC } from './kinds/service.schema.js';
import { TELEMETRY_SPEC } from './kinds/telemetry.schema.js';
import { TRAFFIC_POLICY_SPEC } from './kinds/traffic-policy.schema.js';
import { FAULT_INJECTION_SPEC } from './kinds/fault-injection.schema.js';
import { RATE_LIMIT_POLICY_SPEC } from './kinds/rate-limit-policy.schema.js';
import { WORKLOAD_SPEC } from './kinds/workload.schema.js';
import { SECRET_SCHEMA } from './kinds/secret.schema.js';
export type { Schema };
export { DNS_LABEL, DNS_1035_LABEL, DNS_SUBDOMAIN } from './kinds/primitives.js';
export { HTTP_METHODS, FILTER_TYPES } from './kinds/httproute.schema.js';

export const KINDS = [
  { apiVersion: WEFT_API, kind: 'Mesh', namespaced: false },
  { apiVersion: WEFT_API, kind: 'Workload', namespaced: true },
  { apiVersion: 'v1', kind: 'Service', namespaced: true },
  { apiVersion: GATEWAY_API, kind: 'Gateway', namespaced: true },
  { apiVersion: GATEWAY_API, kind: 'HTTPRoute', namespaced: true },
  { apiVersion: GATEWAY_API, kind: 'GRPCRoute', namespaced: true },
  { apiVersion: WEFT_API, kind: 'PeerAuthentication', namespaced: true },
  { apiVersion: WEFT_API, kind: 'AuthorizationPolicy', namespaced: true },
  { apiVersion: WEFT_API, kind: 'Telemetry', namespaced: true },
  { apiVersion: WEFT_API, kind: 'TrafficPolicy', namespaced: true },
  { apiVersion: WEFT_API, kind: 'FaultInjection', namespaced: true },
  { apiVersion: WEFT_API, kind: 'RateLimitPolicy', namespaced: true },
  { apiVersion: 'v1', kind: 'Secret', namespaced: true },
] as const;


/** Namespace whose PeerAuthentication, AuthorizationPolicy and Telemetry objects apply mesh-wide (Istio's istio-system). */
export const ROOT_NAMESPACE = 'weft-system';

// --- per kind ----------------------------------------------------------------------------------------

export const SCHEMAS: Record<(typeof KINDS)[number]['kind'], Schema> = {
  Mesh: object('Mesh', WEFT_API, metadata(DNS_SUBDOMAIN, false), MESH_SPEC, false),
  Workload: object('Workload', WEFT_API, metadata(DNS_LABEL, true), WORKLOAD_SPEC, true),
  Service: object('Service', 'v1', metadata(DNS_1035_LABEL, true), SERVICE_SPEC, true),
  Gateway: object('Gateway', GATEWAY_API, metadata(DNS_SUBDOMAIN, true), GATEWAY_SPEC, true),
  HTTPRoute: object('HTTPRoute', GATEWAY_API, metadata(DNS_SUBDOMAIN, true), HTTPROUTE_SPEC, true),
  GRPCRoute: object('GRPCRoute', GATEWAY_API, metadata(DNS_SUBDOMAIN, true), GRPCROUTE_SPEC, true),
  PeerAuthentication: object('PeerAuthentication', WEFT_API, metadata(DNS_SUBDOMAIN, true), PEER_AUTHENTICATION_SPEC, false),
  AuthorizationPolicy: object('AuthorizationPolicy', WEFT_API, metadata(DNS_SUBDOMAIN, true), AUTHORIZATION_POLICY_SPEC, false),
  Telemetry: object('Telemetry', WEFT_API, metadata(DNS_SUBDOMAIN, true), TELEMETRY_SPEC, false),
  TrafficPolicy: object('TrafficPolicy', WEFT_API, metadata(DNS_SUBDOMAIN, true), TRAFFIC_POLICY_SPEC, true),
  FaultInjection: object('FaultInjection', WEFT_API, metadata(DNS_SUBDOMAIN, true), FAULT_INJECTION_SPEC, true),
  RateLimitPolicy: object('RateLimitPolicy', WEFT_API, metadata(DNS_SUBDOMAIN, true), RATE_LIMIT_POLICY_SPEC, true),
  // No spec: type, data and stringData sit at the top, as in Kubernetes.
  Secret: SECRET_SCHEMA,
};
