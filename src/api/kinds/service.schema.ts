// JSON Schema of Service (see src/api/schemas.ts for the keywords; cross-field rules in checks.ts).
import { DNS_LABEL, LABELS, PORT, type Schema } from './primitives.js';
import { LABEL_RE } from './primitives.js';

// --- Service -----------------------------------------------------------------------------------------

export const SERVICE_SPEC: Schema = {
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
