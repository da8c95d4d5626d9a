// The Telemetry kind: its schema and checks through the public parser, and the resolver's precedence.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDocuments } from './load.js';
import { resolveTelemetry, TELEMETRY_DEFAULTS } from './telemetry.js';
import type { AnyResource, Telemetry, TelemetrySpec } from './types.js';

const lines = (...l: string[]) => `${l.join('\n')}\n`;
const parse = (text: string) => parseDocuments(text, 't.yaml');
const errs = (text: string) => parse(text).errors.map(String);
const telemetry = (...spec: string[]) => lines('apiVersion: weft.dev/v1alpha1', 'kind: Telemetry', 'metadata: {name: t, namespace: shop}', ...spec);

describe('Telemetry schema', () => {
  it('accepts a full object and keeps what it says', () => {
    const r = parse(lines(
      'apiVersion: weft.dev/v1alpha1',
      'kind: Telemetry',
      'metadata: {name: catalog, namespace: shop}',
      'spec:',
      '  selector: {matchLabels: {app: catalog}}',
      '  accessLogging:',
      '  - disabled: false',
      '    filter: {errorsOnly: true, minStatus: 500}',
      '  tracing:',
      '  - randomSamplingPercentage: 12.5',
      '    disableSpanReporting: false',
      '    provider: {otlpHttp: {endpoint: "https://otel.example.com:4318/v1/traces"}}',
      '  metrics:',
      '  - disabled: true',
    ));
    assert.deepEqual(r.errors.map(String), []);
    assert.equal(r.objects.length, 1);
    assert.deepEqual(r.objects[0].resource.spec, {
      selector: { matchLabels: { app: 'catalog' } },
      accessLogging: [{ disabled: false, filter: { errorsOnly: true, minStatus: 500 } }],
      tracing: [{ randomSamplingPercentage: 12.5, disableSpanReporting: false, provider: { otlpHttp: { endpoint: 'https://otel.example.com:4318/v1/traces' } } }],
      metrics: [{ disabled: true }],
    });
  });

  it('fills in defaults, and leaves inherited fields unset', () => {
    const bare = parse(lines('apiVersion: weft.dev/v1alpha1', 'kind: Telemetry', 'metadata: {name: mesh-default, namespace: weft-system}'));
    assert.deepEqual(bare.errors, []);
    assert.deepEqual(bare.objects[0].resource.spec, {});
    // Without a namespace it gets the input's default one.
    const noNs = parse(lines('apiVersion: weft.dev/v1alpha1', 'kind: Telemetry', 'metadata: {name: t}', 'spec: {}'));
    assert.equal(noNs.objects[0].resource.metadata.namespace, 'default');
    // A filter's fields default (the filter replaces the inherited one whole); `disabled` inherits, so it stays unset.
    const filtered = parse(telemetry('spec:', '  accessLogging: [{filter: {}}]', '  tracing: [{}]', '  metrics: [{}]'));
    assert.deepEqual(filtered.errors, []);
    assert.deepEqual(filtered.objects[0].resource.spec, {
      accessLogging: [{ filter: { errorsOnly: false, minStatus: 0 } }], tracing: [{}], metrics: [{}],
    });
  });

  it('rejects a sampling percentage out of range and a non-http endpoint, at their line', () => {
    assert.deepEqual(errs(telemetry(
      'spec:',
      '  tracing:',
      '  - randomSamplingPercentage: 150',
      '    provider: {otlpHttp: {endpoint: "grpc://collector:4317"}}',
    )), [
      't.yaml:6:31 spec.tracing[0].randomSamplingPercentage: must be <= 100',
      't.yaml:7:37 spec.tracing[0].provider.otlpHttp.endpoint: must be an http:// or https:// URL without spaces, such as "http://127.0.0.1:4318/v1/traces"',
    ]);
  });

  it('rejects wrong types and Istio fields weft does not implement, saying what to do instead', () => {
    assert.deepEqual(errs(telemetry(
      'spec:',
      '  accessLogging:',
      '  - disabled: "yes"',
      '    providers: [{name: envoy}]',
      '    filter: {expression: "response.code >= 400"}',
    )), [
      't.yaml:6:15 spec.accessLogging[0].disabled: must be true or false (got the string "yes")',
      't.yaml:7:5 spec.accessLogging[0].providers: providers is not implemented: weft has no MeshConfig extension providers; every proxy writes its access log to its own log stream',
      't.yaml:8:14 spec.accessLogging[0].filter.expression: CEL filter expressions are not implemented: use errorsOnly and/or minStatus',
    ]);
    assert.deepEqual(errs(telemetry('spec:', '  accessLogging: [{filter: {minStatus: 600}}]', '  metrics: [{overrides: []}]')), [
      't.yaml:5:40 spec.accessLogging[0].filter.minStatus: must be <= 599',
      't.yaml:6:14 spec.metrics[0].overrides: overrides is not implemented: use disabled to turn every metric of the workload off',
    ]);
  });

  it('allows one entry per list, no selector in the root namespace, and endpoints that are URLs without credentials', () => {
    assert.deepEqual(errs(telemetry('spec:', '  tracing: [{randomSamplingPercentage: 1}, {randomSamplingPercentage: 2}]')), [
      't.yaml:5:44 spec.tracing[1]: tracing takes at most one entry (got 2) (hint: weft has one trace exporter per proxy; merge the entries into one)',
    ]);
    assert.deepEqual(errs(lines(
      'apiVersion: weft.dev/v1alpha1', 'kind: Telemetry', 'metadata: {name: t, namespace: weft-system}',
      'spec: {selector: {matchLabels: {app: a}}}',
    )), ['t.yaml:4:8 spec.selector: a Telemetry in the root namespace weft-system applies to the whole mesh and cannot have a selector (hint: move it to the namespace of the workloads it selects)']);
    const endpoint = (e: string) => parse(telemetry('spec:', `  tracing: [{provider: {otlpHttp: {endpoint: ${JSON.stringify(e)}}}}]`)).errors.map((x) => x.message);
    assert.deepEqual(endpoint('http://127.0.0.1:4318/v1/traces'), []);
    assert.deepEqual(endpoint('http://[::1/v1/traces'), ['is not a valid URL (got "http://[::1/v1/traces")']);
    assert.deepEqual(endpoint('https://user:secret@otel.example.com/v1/traces'), ['must not contain a user name or password']);
  });
});

// --- resolver ------------------------------------------------------------------------------------------

let clock = 0;
function tel(namespace: string, name: string, spec: TelemetrySpec, created?: string): Telemetry {
  clock++;
  return {
    apiVersion: 'weft.dev/v1alpha1', kind: 'Telemetry',
    metadata: { name, namespace, creationTimestamp: created ?? `2025-01-01T00:00:${String(clock).padStart(2, '0')}Z` },
    spec,
  };
}
const CATALOG = { app: 'catalog', version: 'v1' };

describe('resolveTelemetry', () => {
  it('gives the defaults when no Telemetry exists: access logs and metrics on, 1% sampling, no exporter', () => {
    const other: AnyResource = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP' }] } };
    assert.deepEqual(resolveTelemetry([other], 'shop', CATALOG), {
      accessLog: { enabled: true, errorsOnly: false, minStatus: 0 },
      tracing: { samplePercent: 1, enabled: false },
      metrics: { enabled: true },
    });
    assert.equal(TELEMETRY_DEFAULTS.samplePercent, 1);
  });

  it('workload beats namespace beats mesh, field by field', () => {
    const objects = [
      tel('weft-system', 'mesh-default', {
        accessLogging: [{ filter: { errorsOnly: true, minStatus: 0 } }],
        tracing: [{ randomSamplingPercentage: 10, provider: { otlpHttp: { endpoint: 'http://collector:4318/v1/traces' } } }],
      }),
      tel('shop', 'shop-default', { tracing: [{ randomSamplingPercentage: 50 }], metrics: [{ disabled: true }] }),
      tel('shop', 'catalog', { selector: { matchLabels: { app: 'catalog' } }, tracing: [{ randomSamplingPercentage: 100 }], metrics: [{ disabled: false }] }),
    ];
    // The selected workload: its own rate and metrics, the namespace's nothing else, the mesh's log filter and endpoint.
    assert.deepEqual(resolveTelemetry(objects, 'shop', CATALOG), {
      accessLog: { enabled: true, errorsOnly: true, minStatus: 0 },
      tracing: { samplePercent: 100, endpoint: 'http://collector:4318/v1/traces', enabled: true },
      metrics: { enabled: true },
    });
    // Another workload of the namespace: the namespace's rate and metrics.
    assert.deepEqual(resolveTelemetry(objects, 'shop', { app: 'web' }), {
      accessLog: { enabled: true, errorsOnly: true, minStatus: 0 },
      tracing: { samplePercent: 50, endpoint: 'http://collector:4318/v1/traces', enabled: true },
      metrics: { enabled: false },
    });
    // Another namespace: the mesh only; a selector in shop does not reach it.
    assert.deepEqual(resolveTelemetry(objects, 'billing', { app: 'catalog' }), {
      accessLog: { enabled: true, errorsOnly: true, minStatus: 0 },
      tracing: { samplePercent: 10, endpoint: 'http://collector:4318/v1/traces', enabled: true },
      metrics: { enabled: true },
    });
  });

  it('inherits what a level leaves out, and a filter replaces the inherited filter whole', () => {
    const objects = [
      tel('weft-system', 'mesh-default', { accessLogging: [{ disabled: true, filter: { errorsOnly: false, minStatus: 500 } }] }),
      // Only a filter: logging stays disabled, as the mesh says.
      tel('shop', 'shop-default', { accessLogging: [{ filter: { errorsOnly: true, minStatus: 0 } }] }),
      tel('shop', 'catalog', { selector: { matchLabels: { version: 'v1' } }, accessLogging: [{ disabled: false }] }),
    ];
    assert.deepEqual(resolveTelemetry(objects, 'shop', { app: 'web' }).accessLog, { enabled: false, errorsOnly: true, minStatus: 0 });
    assert.deepEqual(resolveTelemetry(objects, 'shop', CATALOG).accessLog, { enabled: true, errorsOnly: true, minStatus: 0 });
    assert.deepEqual(resolveTelemetry(objects, 'other', {}).accessLog, { enabled: false, errorsOnly: false, minStatus: 500 });
  });

  it('stops span reporting with disableSpanReporting, and without an endpoint', () => {
    const objects = [
      tel('weft-system', 'mesh-default', { tracing: [{ provider: { otlpHttp: { endpoint: 'http://collector:4318/v1/traces' } } }] }),
      tel('shop', 'catalog', { selector: { matchLabels: { app: 'catalog' } }, tracing: [{ disableSpanReporting: true }] }),
    ];
    assert.deepEqual(resolveTelemetry(objects, 'shop', CATALOG).tracing, { samplePercent: 1, endpoint: 'http://collector:4318/v1/traces', enabled: false });
    assert.deepEqual(resolveTelemetry(objects, 'shop', { app: 'web' }).tracing, { samplePercent: 1, endpoint: 'http://collector:4318/v1/traces', enabled: true });
    assert.deepEqual(resolveTelemetry([tel('shop', 'rate', { tracing: [{ randomSamplingPercentage: 5 }] })], 'shop', {}).tracing, { samplePercent: 5, enabled: false });
  });

  it('needs every selector label to match', () => {
    const objects = [tel('shop', 'v2', { selector: { matchLabels: { app: 'catalog', version: 'v2' } }, metrics: [{ disabled: true }] })];
    assert.equal(resolveTelemetry(objects, 'shop', CATALOG).metrics.enabled, true);
    assert.equal(resolveTelemetry(objects, 'shop', { app: 'catalog', version: 'v2', extra: 'x' }).metrics.enabled, false);
  });

  it('takes the oldest of two objects at one level, whatever the input order', () => {
    const older = tel('shop', 'b-older', { metrics: [{ disabled: true }] }, '2024-01-01T00:00:00Z');
    const newer = tel('shop', 'a-newer', { metrics: [{ disabled: false }] }, '2025-01-01T00:00:00Z');
    assert.equal(resolveTelemetry([newer, older], 'shop', {}).metrics.enabled, false);
    assert.equal(resolveTelemetry([older, newer], 'shop', {}).metrics.enabled, false);
    const w1 = tel('shop', 'w1', { selector: { matchLabels: { app: 'catalog' } }, tracing: [{ randomSamplingPercentage: 20 }] }, '2024-06-01T00:00:00Z');
    const w2 = tel('shop', 'w2', { selector: { matchLabels: { version: 'v1' } }, tracing: [{ randomSamplingPercentage: 30 }] }, '2024-06-01T00:00:00Z');
    assert.equal(resolveTelemetry([w2, w1], 'shop', CATALOG).tracing.samplePercent, 20);
  });

  it('treats the root namespace as the mesh level for its own workloads', () => {
    const objects = [tel('weft-system', 'mesh-default', { metrics: [{ disabled: true }] })];
    assert.equal(resolveTelemetry(objects, 'weft-system', {}).metrics.enabled, false);
    assert.equal(resolveTelemetry(objects, 'shop', {}).metrics.enabled, false);
  });
});
