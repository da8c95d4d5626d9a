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
import { GATEWAY_DURATION, LB_TYPES, RETRY_ON } from './traffic.js';

export type Schema = Record<string, unknown>;

export const KINDS = [
  { apiVersion: WEFT_API, kind: 'Mesh', namespaced: false },
  { apiVersion: WEFT_API, kind: 'Workload', namespaced: true },
  { apiVersion: 'v1', kind: 'Service', namespaced: true },
  { apiVersion: GATEWAY_API, kind: 'Gateway', namespaced: true },
  { apiVersion: GATEWAY_API, kind: 'HTTPRoute', namespaced: true },
  { apiVersion: WEFT_API, kind: 'PeerAuthentication', namespaced: true },
  { apiVersion: WEFT_API, kind: 'AuthorizationPolicy', namespaced: true },
  { apiVersion: WEFT_API, kind: 'Telemetry', namespaced: true },
  { apiVersion: WEFT_API, kind: 'TrafficPolicy', namespaced: true },
] as const;

/** Other apiVersions a kind is read as, besides its KINDS entry: Istio's, so Istio manifests load unchanged. */
export const API_ALIASES: Readonly<Record<string, readonly string[]>> = {
  PeerAuthentication: ['security.istio.io/v1', 'security.istio.io/v1beta1'],
  AuthorizationPolicy: ['security.istio.io/v1', 'security.istio.io/v1beta1'],
};

/** Namespace whose PeerAuthentication, AuthorizationPolicy and Telemetry objects apply mesh-wide (Istio's istio-system). */
export const ROOT_NAMESPACE = 'weft-system';

// --- names -------------------------------------------------------------------------------------------

// Written so that no two quantifiers compete for the same characters: matching stays linear even on a
// huge value (ajv runs the pattern whatever the maxLength says).
const LABEL_RE = '[a-z0-9](?:-*[a-z0-9])*';
const SUBDOMAIN_RE = `${LABEL_RE}(\\.${LABEL_RE})*`;

/** RFC 1123 label: namespaces, workload names. */
export const DNS_LABEL: Schema = {
  type: 'string', minLength: 1, maxLength: 63, pattern: `^${LABEL_RE}$`,
  patternMessage: 'must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit',
};
/** RFC 1035 label: Service names (they become host names "svc.ns", so no dots, and a leading letter). */
export const DNS_1035_LABEL: Schema = {
  type: 'string', minLength: 1, maxLength: 63, pattern: '^[a-z](?:-*[a-z0-9])*$',
  patternMessage: 'must be a DNS-1035 label: lowercase letters, digits and "-", starting with a letter and ending with a letter or digit',
};
/** RFC 1123 subdomain: most object names. */
export const DNS_SUBDOMAIN: Schema = {
  type: 'string', minLength: 1, maxLength: 253, pattern: `^${SUBDOMAIN_RE}$`,
  patternMessage: 'must be a DNS-1123 subdomain: dot-separated lowercase labels of letters, digits and "-"',
};
/** Gateway API Hostname: a precise host or a leading "*." wildcard label; no IPs, no port. */
const HOSTNAME: Schema = {
  type: 'string', minLength: 1, maxLength: 253, pattern: `^(\\*\\.)?${SUBDOMAIN_RE}$`,
  patternMessage: 'must be a lowercase DNS name, optionally starting with a "*." wildcard label (e.g. "shop.example.com", "*.example.com"); no IP, no port',
};
/** Gateway API PreciseHostname: no wildcard. */
const PRECISE_HOSTNAME: Schema = {
  type: 'string', minLength: 1, maxLength: 253, pattern: `^${SUBDOMAIN_RE}$`,
  patternMessage: 'must be a lowercase DNS name such as "shop.example.com" (no wildcard, no IP, no port)',
};
/** Gateway API SectionName: listener names, rule names, port names in sectionName. */
const SECTION_NAME: Schema = { ...DNS_SUBDOMAIN };
/** Gateway API ObjectName. */
const OBJECT_NAME: Schema = { type: 'string', minLength: 1, maxLength: 253 };
/** Gateway API Group: "" (the core group) or a DNS subdomain. */
const GROUP: Schema = {
  type: 'string', maxLength: 253, pattern: `^$|^${SUBDOMAIN_RE}$`,
  patternMessage: 'must be "" (the core API group) or a DNS subdomain such as "gateway.networking.k8s.io"',
};
/** Gateway API HeaderName (RFC 7230 token): header and query parameter names. */
const HEADER_NAME: Schema = {
  type: 'string', minLength: 1, maxLength: 256, pattern: "^[A-Za-z0-9!#$%&'*+\\-.^_`|~]+$",
  patternMessage: 'must be an HTTP header name: letters, digits and !#$%&\'*+-.^_`|~ (no spaces, no ":")',
};
/** What Node's HTTP stack accepts in a header value (tab, printable ASCII, obs-text); no CR/LF. */
const HEADER_VALUE: Schema = {
  type: 'string', minLength: 1, maxLength: 4096, pattern: '^[\\t\\x20-\\x7E\\x80-\\xFF]+$',
  patternMessage: 'must be a valid HTTP header value: printable characters and tabs, no line breaks or control characters',
};
const PORT: Schema = { type: 'integer', minimum: 1, maximum: 65535 };

/** Kubernetes qualified name (label and annotation keys): optional DNS-subdomain prefix and "/", then a name. */
const QUALIFIED_NAME: Schema = {
  type: 'string', maxLength: 317,
  pattern: `^(?:${SUBDOMAIN_RE}/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`,
  patternMessage: 'must be a qualified name: an optional DNS prefix and "/", then up to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
};
const LABEL_VALUE: Schema = {
  type: 'string', maxLength: 63, pattern: '^(?:[A-Za-z0-9](?:[-_.]*[A-Za-z0-9])*)?$',
  patternMessage: 'must be a label value: up to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
};
const LABELS: Schema = { type: 'object', propertyNames: QUALIFIED_NAME, additionalProperties: LABEL_VALUE };
const ANNOTATIONS: Schema = { type: 'object', propertyNames: QUALIFIED_NAME, additionalProperties: { type: 'string' } };

/** RFC 3339 date-time, as Kubernetes writes creationTimestamp. */
const TIMESTAMP: Schema = {
  type: 'string',
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$',
  patternMessage: 'must be an RFC 3339 date-time such as "2025-01-31T12:00:00Z"',
};

function metadata(nameSchema: Schema, namespaced: boolean): Schema {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: nameSchema,
      ...(namespaced ? { namespace: DNS_LABEL } : {}),
      labels: LABELS,
      annotations: ANNOTATIONS,
      creationTimestamp: TIMESTAMP,
    },
  };
}

function object(kind: string, apiVersion: string, meta: Schema, spec: Schema, specRequired: boolean): Schema {
  const aliases = API_ALIASES[kind];
  return {
    type: 'object',
    additionalProperties: false,
    required: ['apiVersion', 'kind', 'metadata', ...(specRequired ? ['spec'] : [])],
    properties: {
      apiVersion: aliases === undefined ? { type: 'string', const: apiVersion } : { type: 'string', enum: [apiVersion, ...aliases] },
      kind: { type: 'string', const: kind },
      metadata: meta,
      spec,
    },
    'x-unsupported': { status: 'status is written by a controller, never read from config' },
  };
}

const GATEWAY_DURATION_SCHEMA: Schema = {
  type: 'string', maxLength: 32, pattern: GATEWAY_DURATION.source,
  patternMessage: 'must be a Gateway API duration such as "10s", "500ms" or "1m30s" (units h, m, s, ms; "0s" turns the timeout off)',
};

// --- Mesh --------------------------------------------------------------------------------------------

const MESH_SPEC: Schema = {
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
      properties: { responseTimeout: GATEWAY_DURATION_SCHEMA, connectTimeout: GATEWAY_DURATION_SCHEMA },
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

// --- Workload ----------------------------------------------------------------------------------------

const WORKLOAD_SPEC: Schema = {
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
  },
};

// --- Service -----------------------------------------------------------------------------------------

const SERVICE_SPEC: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['selector', 'ports'],
  properties: {
    selector: { ...LABELS, minProperties: 1 },
    ports: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['port'],
        properties: {
          name: DNS_LABEL,
          port: PORT,
          targetPort: {
            // A number, or the name of a port (IANA service name syntax).
            type: ['integer', 'string'], minimum: 1, maximum: 65535, minLength: 1, maxLength: 15,
            pattern: `^${LABEL_RE}$`,
            patternMessage: 'must be a port number or a port name (lowercase letters, digits and "-")',
          },
          appProtocol: { type: 'string', minLength: 1, maxLength: 256 },
          protocol: { type: 'string', enum: ['TCP'], default: 'TCP', 'x-unsupported': { UDP: 'weft carries TCP only', SCTP: 'weft carries TCP only' } },
        },
        'x-unsupported': { nodePort: 'weft has no NodePort services' },
      },
    },
  },
  'x-unsupported': {
    type: 'Service types are not used: every weft Service is a mesh service reached by name',
    clusterIP: 'weft assigns no cluster IPs; apps reach services by name',
  },
};

// --- Gateway -----------------------------------------------------------------------------------------

const GATEWAY_SPEC: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['listeners'],
  properties: {
    gatewayClassName: { ...DNS_SUBDOMAIN, default: 'weft' },
    listeners: {
      type: 'array',
      minItems: 1,
      maxItems: 64,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'port', 'protocol'],
        properties: {
          name: SECTION_NAME,
          port: PORT,
          protocol: {
            type: 'string', enum: ['HTTP'],
            'x-unsupported': { HTTPS: 'TLS listeners are not implemented by weft yet', TLS: 'TLS listeners are not implemented by weft yet', TCP: 'TCP listeners are not implemented by weft yet', UDP: 'weft carries TCP only' },
          },
          hostname: HOSTNAME,
        },
        'x-unsupported': {
          tls: 'TLS listeners are not implemented by weft yet',
          allowedRoutes: 'allowedRoutes is not implemented: weft gateways accept HTTPRoutes from every namespace',
        },
      },
    },
    addresses: {
      type: 'array',
      // Local mode binds one address; a second one would be silently ignored.
      maxItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['value'],
        properties: {
          type: { type: 'string', enum: ['IPAddress'], 'x-unsupported': { Hostname: 'Hostname addresses are not supported: local mode binds an IP address', NamedAddress: 'NamedAddress is not supported: local mode binds an IP address' } },
          value: { type: 'string', minLength: 1, maxLength: 253 },
        },
      },
    },
  },
  'x-unsupported': { infrastructure: 'Gateway infrastructure settings are not implemented by weft' },
};

// --- HTTPRoute ---------------------------------------------------------------------------------------

const PARENT_REF: Schema = {
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

const PATH_MATCH: Schema = {
  type: 'object',
  additionalProperties: false,
  default: { type: 'PathPrefix', value: '/' },
  properties: {
    type: { type: 'string', enum: ['Exact', 'PathPrefix', 'RegularExpression'], default: 'PathPrefix' },
    value: { type: 'string', maxLength: 1024, default: '/' },
  },
};

const HEADER_MATCH: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'value'],
  properties: {
    type: { type: 'string', enum: MATCH_TYPES, default: 'Exact' },
    name: HEADER_NAME,
    value: HEADER_VALUE,
  },
};

const QUERY_PARAM_MATCH: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'value'],
  properties: {
    type: { type: 'string', enum: MATCH_TYPES, default: 'Exact' },
    name: HEADER_NAME,
    value: { type: 'string', minLength: 1, maxLength: 1024 },
  },
};

const ROUTE_MATCH: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    path: PATH_MATCH,
    headers: { type: 'array', maxItems: 16, items: HEADER_MATCH },
    queryParams: { type: 'array', maxItems: 16, items: QUERY_PARAM_MATCH },
    method: { type: 'string', enum: HTTP_METHODS },
  },
};

const HTTP_HEADER: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'value'],
  properties: { name: HEADER_NAME, value: HEADER_VALUE },
};

const HEADER_MODIFIER: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    set: { type: 'array', maxItems: 16, items: HTTP_HEADER },
    add: { type: 'array', maxItems: 16, items: HTTP_HEADER },
    remove: { type: 'array', maxItems: 16, items: HEADER_NAME },
  },
};

const PATH_MODIFIER: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { type: 'string', enum: ['ReplaceFullPath', 'ReplacePrefixMatch'] },
    replaceFullPath: { type: 'string', maxLength: 1024 },
    replacePrefixMatch: { type: 'string', maxLength: 1024 },
  },
};

export const FILTER_TYPES = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'URLRewrite', 'RequestRedirect', 'RequestMirror'] as const;

const FILTER: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: {
      type: 'string', enum: [...FILTER_TYPES],
      'x-unsupported': {
        CORS: 'the CORS filter is not implemented by weft yet',
        ExtensionRef: 'weft has no extension filters', ExternalAuth: 'the ExternalAuth filter is not implemented by weft yet',
      },
    },
    requestHeaderModifier: HEADER_MODIFIER,
    responseHeaderModifier: HEADER_MODIFIER,
    requestMirror: {
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
    },
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
    extensionRef: 'weft has no extension filters',
    externalAuth: 'the ExternalAuth filter is not implemented by weft yet',
  },
};

const FILTERS: Schema = { type: 'array', maxItems: 16, items: FILTER };

const BACKEND_REF: Schema = {
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

const ROUTE_RULE: Schema = {
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
    // GEP-1731, with weft's extensions (retryOn, nonIdempotent, maxBackoff); docs/traffic.md.
    retry: {
      type: 'object',
      additionalProperties: false,
      properties: {
        attempts: { type: 'integer', minimum: 0, maximum: 10, default: 2 },
        backoff: GATEWAY_DURATION_SCHEMA,
        maxBackoff: GATEWAY_DURATION_SCHEMA,
        codes: { type: 'array', maxItems: 32, items: { type: 'integer', minimum: 400, maximum: 599 } },
        retryOn: { type: 'array', maxItems: 4, items: { type: 'string', enum: [...RETRY_ON] } },
        nonIdempotent: { type: 'boolean', default: false },
      },
      'x-unsupported': { grpcStatuses: 'retrying on gRPC statuses needs HTTP/2, which weft does not carry yet' },
    },
    // GEP-1742. Checked further in checks.ts (backendRequest <= request).
    timeouts: {
      type: 'object',
      additionalProperties: false,
      properties: { request: GATEWAY_DURATION_SCHEMA, backendRequest: GATEWAY_DURATION_SCHEMA },
    },
  },
  'x-unsupported': {
    sessionPersistence: 'session persistence is not implemented by weft',
  },
};

const HTTPROUTE_SPEC: Schema = {
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

// --- PeerAuthentication and AuthorizationPolicy (Istio's security.istio.io shapes) ----------------------

const WORKLOAD_SELECTOR: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['matchLabels'],
  properties: { matchLabels: { ...LABELS, minProperties: 1 } },
};

const MTLS: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: { mode: { type: 'string', enum: ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'], default: 'UNSET' } },
};

const PEER_AUTHENTICATION_SPEC: Schema = {
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
function strings(item: Schema = {}): Schema {
  return { type: 'array', minItems: 1, maxItems: 1024, items: { type: 'string', minLength: 1, maxLength: 1024, ...item } };
}
const PORT_STRING: Schema = { pattern: '^[0-9]{1,5}$', patternMessage: 'must be a port number written as a string, such as "8080"' };

// The values (wildcards, paths, CIDRs, ports), `when` keys and their values: kinds/authorization-policy.ts.
const AUTHZ_SOURCE: Schema = {
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

const AUTHZ_OPERATION: Schema = {
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

const AUTHZ_RULE: Schema = {
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

const AUTHORIZATION_POLICY_SPEC: Schema = {
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

// --- Telemetry (Istio's telemetry.istio.io shape without extension providers) ----------------------------
// Fields a level inherits from the one above have no `default`: ajv would fill it in and a namespace
// object that sets only a sampling rate would silently switch its workloads' access logs back on. The
// defaults at the top of the hierarchy live in src/api/telemetry.ts. Lists hold at most one entry
// (checks.ts says so with a reason).

const NO_PROVIDERS = 'weft has no MeshConfig extension providers';

const ACCESS_LOGGING: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    disabled: { type: 'boolean' },
    filter: {
      type: 'object',
      additionalProperties: false,
      properties: {
        errorsOnly: { type: 'boolean', default: false },
        minStatus: { type: 'integer', minimum: 0, maximum: 599, default: 0 },
      },
      'x-unsupported': { expression: 'CEL filter expressions are not implemented: use errorsOnly and/or minStatus' },
    },
  },
  'x-unsupported': {
    providers: `providers is not implemented: ${NO_PROVIDERS}; every proxy writes its access log to its own log stream`,
    match: 'match (CLIENT / SERVER) is not implemented: an access logging entry applies to every request of the workload',
  },
};

const TRACING: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    randomSamplingPercentage: { type: 'number', minimum: 0, maximum: 100 },
    disableSpanReporting: { type: 'boolean' },
    provider: {
      type: 'object',
      additionalProperties: false,
      required: ['otlpHttp'],
      properties: {
        otlpHttp: {
          type: 'object',
          additionalProperties: false,
          required: ['endpoint'],
          properties: {
            endpoint: {
              type: 'string', minLength: 1, maxLength: 2048, pattern: '^https?://\\S+$',
              patternMessage: 'must be an http:// or https:// URL without spaces, such as "http://127.0.0.1:4318/v1/traces"',
            },
          },
        },
      },
      'x-unsupported': {
        zipkin: 'only otlpHttp is implemented: send spans to an OpenTelemetry Collector, which can forward them to Zipkin',
        otlpGrpc: 'only otlpHttp is implemented (OTLP over HTTP, usually port 4318)',
      },
    },
  },
  'x-unsupported': {
    providers: `providers is not implemented: ${NO_PROVIDERS}; set provider.otlpHttp.endpoint`,
    customTags: 'customTags is not implemented by weft yet',
    match: 'match (CLIENT / SERVER) is not implemented: a tracing entry applies to every request of the workload',
    useRequestIdForTraceSampling: 'useRequestIdForTraceSampling is not implemented: sampling is random',
  },
};

const METRICS: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: { disabled: { type: 'boolean' } },
  'x-unsupported': {
    providers: `providers is not implemented: ${NO_PROVIDERS}; metrics are served by each proxy's admin endpoint`,
    overrides: 'overrides is not implemented: use disabled to turn every metric of the workload off',
    reportingInterval: 'reportingInterval is not implemented: metrics are pulled, not pushed',
  },
};

const TELEMETRY_SPEC: Schema = {
  type: 'object',
  default: {},
  additionalProperties: false,
  properties: {
    selector: WORKLOAD_SELECTOR,
    accessLogging: { type: 'array', items: ACCESS_LOGGING },
    tracing: { type: 'array', items: TRACING },
    metrics: { type: 'array', items: METRICS },
  },
  'x-unsupported': {
    targetRef: 'targetRef is not implemented: select workloads with selector',
    targetRefs: 'targetRefs is not implemented: select workloads with selector',
  },
};

// --- TrafficPolicy (weft's policy for traffic to one Service: load balancing and retry budget) ------------

const TRAFFIC_POLICY_SPEC: Schema = {
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

// --- per kind ----------------------------------------------------------------------------------------

export const SCHEMAS: Record<(typeof KINDS)[number]['kind'], Schema> = {
  Mesh: object('Mesh', WEFT_API, metadata(DNS_SUBDOMAIN, false), MESH_SPEC, false),
  Workload: object('Workload', WEFT_API, metadata(DNS_LABEL, true), WORKLOAD_SPEC, true),
  Service: object('Service', 'v1', metadata(DNS_1035_LABEL, true), SERVICE_SPEC, true),
  Gateway: object('Gateway', GATEWAY_API, metadata(DNS_SUBDOMAIN, true), GATEWAY_SPEC, true),
  HTTPRoute: object('HTTPRoute', GATEWAY_API, metadata(DNS_SUBDOMAIN, true), HTTPROUTE_SPEC, true),
  PeerAuthentication: object('PeerAuthentication', WEFT_API, metadata(DNS_SUBDOMAIN, true), PEER_AUTHENTICATION_SPEC, false),
  AuthorizationPolicy: object('AuthorizationPolicy', WEFT_API, metadata(DNS_SUBDOMAIN, true), AUTHORIZATION_POLICY_SPEC, false),
  Telemetry: object('Telemetry', WEFT_API, metadata(DNS_SUBDOMAIN, true), TELEMETRY_SPEC, false),
  TrafficPolicy: object('TrafficPolicy', WEFT_API, metadata(DNS_SUBDOMAIN, true), TRAFFIC_POLICY_SPEC, true),
};
