// Schema pieces every kind shares: names, labels, metadata, the object envelope, durations.
import { GATEWAY_DURATION } from '../traffic.js';

export type Schema = Record<string, unknown>;

/** Other apiVersions a kind is read as, besides its KINDS entry: Istio's, so Istio manifests load unchanged. */
export const API_ALIASES: Readonly<Record<string, readonly string[]>> = {
  PeerAuthentication: ['security.istio.io/v1', 'security.istio.io/v1beta1'],
  AuthorizationPolicy: ['security.istio.io/v1', 'security.istio.io/v1beta1'],
};


// --- names -------------------------------------------------------------------------------------------

// Written so that no two quantifiers compete for the same characters: matching stays linear even on a
// huge value (ajv runs the pattern whatever the maxLength says).
export const LABEL_RE = '[a-z0-9](?:-*[a-z0-9])*';
export const SUBDOMAIN_RE = `${LABEL_RE}(\\.${LABEL_RE})*`;

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
export const HOSTNAME: Schema = {
  type: 'string', minLength: 1, maxLength: 253, pattern: `^(\\*\\.)?${SUBDOMAIN_RE}$`,
  patternMessage: 'must be a lowercase DNS name, optionally starting with a "*." wildcard label (e.g. "shop.example.com", "*.example.com"); no IP, no port',
};
/** Gateway API PreciseHostname: no wildcard. */
export const PRECISE_HOSTNAME: Schema = {
  type: 'string', minLength: 1, maxLength: 253, pattern: `^${SUBDOMAIN_RE}$`,
  patternMessage: 'must be a lowercase DNS name such as "shop.example.com" (no wildcard, no IP, no port)',
};
/** Gateway API SectionName: listener names, rule names, port names in sectionName. */
export const SECTION_NAME: Schema = { ...DNS_SUBDOMAIN };
/** Gateway API ObjectName. */
export const OBJECT_NAME: Schema = { type: 'string', minLength: 1, maxLength: 253 };
/** Gateway API Group: "" (the core group) or a DNS subdomain. */
export const GROUP: Schema = {
  type: 'string', maxLength: 253, pattern: `^$|^${SUBDOMAIN_RE}$`,
  patternMessage: 'must be "" (the core API group) or a DNS subdomain such as "gateway.networking.k8s.io"',
};
/** Gateway API HeaderName (RFC 7230 token): header and query parameter names. */
export const HEADER_NAME: Schema = {
  type: 'string', minLength: 1, maxLength: 256, pattern: "^[A-Za-z0-9!#$%&'*+\\-.^_`|~]+$",
  patternMessage: 'must be an HTTP header name: letters, digits and !#$%&\'*+-.^_`|~ (no spaces, no ":")',
};
/** What Node's HTTP stack accepts in a header value (tab, printable ASCII, obs-text); no CR/LF. */
export const HEADER_VALUE: Schema = {
  type: 'string', minLength: 1, maxLength: 4096, pattern: '^[\\t\\x20-\\x7E\\x80-\\xFF]+$',
  patternMessage: 'must be a valid HTTP header value: printable characters and tabs, no line breaks or control characters',
};
export const PORT: Schema = { type: 'integer', minimum: 1, maximum: 65535 };

/** Kubernetes qualified name (label and annotation keys): optional DNS-subdomain prefix and "/", then a name. */
export const QUALIFIED_NAME: Schema = {
  type: 'string', maxLength: 317,
  pattern: `^(?:${SUBDOMAIN_RE}/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`,
  patternMessage: 'must be a qualified name: an optional DNS prefix and "/", then up to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
};
export const LABEL_VALUE: Schema = {
  type: 'string', maxLength: 63, pattern: '^(?:[A-Za-z0-9](?:[-_.]*[A-Za-z0-9])*)?$',
  patternMessage: 'must be a label value: up to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
};
export const LABELS: Schema = { type: 'object', propertyNames: QUALIFIED_NAME, additionalProperties: LABEL_VALUE };
export const ANNOTATIONS: Schema = { type: 'object', propertyNames: QUALIFIED_NAME, additionalProperties: { type: 'string' } };

/** RFC 3339 date-time, as Kubernetes writes creationTimestamp. */
export const TIMESTAMP: Schema = {
  type: 'string',
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$',
  patternMessage: 'must be an RFC 3339 date-time such as "2025-01-31T12:00:00Z"',
};

export function metadata(nameSchema: Schema, namespaced: boolean): Schema {
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

export function object(kind: string, apiVersion: string, meta: Schema, spec: Schema, specRequired: boolean): Schema {
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

/** A Gateway API duration (GEP-2257): "10s", "500ms", "1m30s". */
export const GATEWAY_DURATION_SCHEMA: Schema = {
  type: 'string', maxLength: 32, pattern: GATEWAY_DURATION.source,
  patternMessage: 'must be a Gateway API duration such as "10s", "500ms" or "1m30s" (units h, m, s, ms)',
};

/** A timeout as a Gateway API duration, where "0s" means none. */
export const TIMEOUT_DURATION_SCHEMA: Schema = {
  ...GATEWAY_DURATION_SCHEMA,
  patternMessage: 'must be a Gateway API duration such as "10s", "500ms" or "1m30s" (units h, m, s, ms; "0s" turns the timeout off)',
};

/** A region or zone name: a label value (as Kubernetes' topology.kubernetes.io/region and zone), not empty. */
export const LOCALITY_NAME: Schema = { ...LABEL_VALUE, minLength: 1 };
