// JSON Schema of the core v1 Secret, as Kubernetes defines it, for the one type weft reads:
// kubernetes.io/tls (a Gateway listener's certificate). PEM and key checks are in secret.ts.
import { DNS_SUBDOMAIN, metadata, type Schema } from './primitives.js';

/** Kubernetes Secret keys: letters, digits, "-", "_" and ".". */
const SECRET_KEY: Schema = {
  type: 'string', minLength: 1, maxLength: 253, pattern: '^[-._a-zA-Z0-9]+$',
  patternMessage: 'must be a Secret key: letters, digits, "-", "_" and "." (e.g. tls.crt)',
};
/** Kubernetes refuses a Secret over 1 MiB; one value may not be larger either. */
const SECRET_VALUE: Schema = { type: 'string', maxLength: 1024 * 1024 };

export const SECRET_SCHEMA: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'type'],
  properties: {
    apiVersion: { type: 'string', const: 'v1' },
    kind: { type: 'string', const: 'Secret' },
    metadata: metadata(DNS_SUBDOMAIN, true),
    type: {
      type: 'string', enum: ['kubernetes.io/tls'],
      'x-unsupported': {
        Opaque: 'weft reads Secrets of type kubernetes.io/tls only (certificates for Gateway listeners)',
        'kubernetes.io/service-account-token': 'weft reads Secrets of type kubernetes.io/tls only (certificates for Gateway listeners)',
        'kubernetes.io/dockerconfigjson': 'weft reads Secrets of type kubernetes.io/tls only (certificates for Gateway listeners)',
        'kubernetes.io/basic-auth': 'weft reads Secrets of type kubernetes.io/tls only (certificates for Gateway listeners)',
        'kubernetes.io/ssh-auth': 'weft reads Secrets of type kubernetes.io/tls only (certificates for Gateway listeners)',
      },
    },
    data: { type: 'object', propertyNames: SECRET_KEY, additionalProperties: SECRET_VALUE },
    stringData: { type: 'object', propertyNames: SECRET_KEY, additionalProperties: SECRET_VALUE },
  },
  'x-unsupported': {
    spec: 'a Secret has no spec: its values go in data (base64) or stringData (text)',
    immutable: 'immutable Secrets are not implemented by weft',
    status: 'status is written by a controller, never read from config',
  },
};
