// JSON Schema of Gateway (see src/api/schemas.ts for the keywords; cross-field rules in checks.ts).
import { DNS_LABEL, DNS_SUBDOMAIN, GROUP, HOSTNAME, OBJECT_NAME, PORT, SECTION_NAME, type Schema } from './primitives.js';

/** Gateway API GatewayTLSConfig (listener level): where the certificate comes from. */
const LISTENER_TLS: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    mode: {
      type: 'string', enum: ['Terminate'], default: 'Terminate',
      'x-unsupported': { Passthrough: 'TLS Passthrough is not implemented by weft: the gateway terminates TLS (mode Terminate) and routes HTTP' },
    },
    certificateRefs: {
      type: 'array',
      maxItems: 64,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          group: { ...GROUP, default: '' },
          kind: { type: 'string', enum: ['Secret'], default: 'Secret' },
          name: OBJECT_NAME,
          namespace: DNS_LABEL,
        },
      },
    },
  },
  'x-unsupported': {
    options: 'TLS options are not implemented by weft (TLS 1.2 and 1.3 with Node\'s default ciphers)',
    frontendValidation: 'client certificate validation at the gateway is not implemented by weft',
  },
};

// --- Gateway -----------------------------------------------------------------------------------------

export const GATEWAY_SPEC: Schema = {
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
            type: 'string', enum: ['HTTP', 'HTTPS'],
            'x-unsupported': { TLS: 'TLS listeners (passthrough or TCP over TLS) are not implemented by weft yet; HTTPS terminates TLS at the gateway', TCP: 'TCP listeners are not implemented by weft yet', UDP: 'weft carries TCP only' },
          },
          hostname: HOSTNAME,
          tls: LISTENER_TLS,
        },
        'x-unsupported': {
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
