// JSON Schema of Telemetry (see src/api/schemas.ts for the keywords; cross-field rules in checks.ts).
import { type Schema } from './primitives.js';
import { WORKLOAD_SELECTOR } from './security.schema.js';

// --- Telemetry (Istio's telemetry.istio.io shape without extension providers) ----------------------------
// Fields a level inherits from the one above have no `default`: ajv would fill it in and a namespace
// object that sets only a sampling rate would silently switch its workloads' access logs back on. The
// defaults at the top of the hierarchy live in src/api/telemetry.ts. Lists hold at most one entry
// (checks.ts says so with a reason).

const NO_PROVIDERS = 'weft has no MeshConfig extension providers';

export const ACCESS_LOGGING: Schema = {
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

export const TRACING: Schema = {
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

export const METRICS: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: { disabled: { type: 'boolean' } },
  'x-unsupported': {
    providers: `providers is not implemented: ${NO_PROVIDERS}; metrics are served by each proxy's admin endpoint`,
    overrides: 'overrides is not implemented: use disabled to turn every metric of the workload off',
    reportingInterval: 'reportingInterval is not implemented: metrics are pulled, not pushed',
  },
};

export const TELEMETRY_SPEC: Schema = {
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
