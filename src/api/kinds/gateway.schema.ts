// JSON Schema of Gateway (see src/api/schemas.ts for the keywords; cross-field rules in checks.ts).
import { DNS_SUBDOMAIN, HOSTNAME, PORT, SECTION_NAME, type Schema } from './primitives.js';

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
