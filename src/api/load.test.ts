import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { allErrors, ConfigError, ConfigErrors, loadAndValidate, loadFiles, parseDocuments, validateSet, type Loaded } from './load.js';
import type { HTTPRoute, Mesh, Workload } from './types.js';

const lines = (...l: string[]) => `${l.join('\n')}\n`;
const errorsOf = (text: string, file = 'mesh.yaml') => parseDocuments(text, file).errors.map(String);
const only = <T>(xs: T[]): T => {
  assert.equal(xs.length, 1, `expected exactly one, got ${JSON.stringify(xs)}`);
  return xs[0];
};

const SHOP = lines(
  '# the sample shop',
  'apiVersion: weft.dev/v1alpha1',
  'kind: Mesh',
  'metadata:',
  '  name: shop',
  'spec:',
  '  trustDomain: shop.local',
  '  defaults:',
  '    namespace: shop',
  '---',
  'apiVersion: weft.dev/v1alpha1',
  'kind: Workload',
  'metadata:',
  '  name: catalog-v1',
  '  labels: {app: catalog, version: v1}',
  'spec:',
  '  command: node',
  '  args: [catalog.mjs]',
  '  env: {LOG_LEVEL: debug}',
  '  replicas: 2',
  '  readinessProbe:',
  '    httpGet: {path: /healthz}',
  '---',
  'apiVersion: weft.dev/v1alpha1',
  'kind: Workload',
  'metadata: {name: web, labels: {app: web}}',
  'spec: {command: node, args: [web.mjs], port: 3000}',
  '---',
  'apiVersion: v1',
  'kind: Service',
  'metadata: {name: catalog}',
  'spec:',
  '  selector: {app: catalog}',
  '  ports:',
  '  - {name: http, port: 80, targetPort: 8080, appProtocol: http}',
  '---',
  'apiVersion: v1',
  'kind: Service',
  'metadata: {name: web}',
  'spec: {selector: {app: web}, ports: [{port: 80}]}',
  '---',
  'apiVersion: gateway.networking.k8s.io/v1',
  'kind: Gateway',
  'metadata: {name: ingress}',
  'spec:',
  '  listeners:',
  '  - {name: http, port: 8080, protocol: HTTP}',
  '---',
  'apiVersion: gateway.networking.k8s.io/v1',
  'kind: HTTPRoute',
  'metadata: {name: web}',
  'spec:',
  '  parentRefs: [{name: ingress, sectionName: http}]',
  '  hostnames: ["shop.example.com", "*.shop.example.com"]',
  '  rules:',
  '  - matches:',
  '    - path: {type: PathPrefix, value: /old}',
  '    filters:',
  '    - type: RequestRedirect',
  '      requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}}',
  '  - matches:',
  '    - path: {type: Exact, value: /api}',
  '      headers: [{name: x-canary, value: "1"}]',
  '      method: GET',
  '    - queryParams: [{type: RegularExpression, name: v, value: "^2"}]',
  '    filters:',
  '    - type: RequestHeaderModifier',
  '      requestHeaderModifier: {set: [{name: x-from, value: gateway}], remove: [x-debug]}',
  '    backendRefs:',
  '    - {name: catalog, port: 80, weight: 90}',
  '    - {name: catalog, port: 80, weight: 10}',
  '  - backendRefs: [{name: web}]',
  '---',
  'apiVersion: gateway.networking.k8s.io/v1',
  'kind: HTTPRoute',
  'metadata: {name: catalog-split}',
  'spec:',
  '  parentRefs: [{group: "", kind: Service, name: catalog, port: 80}]',
  '  rules:',
  '  - backendRefs: [{name: catalog, port: 80}]',
  '---',
);

describe('ConfigError', () => {
  it('formats as file:line:col path: message (hint: ...)', () => {
    const e = new ConfigError({ file: 'mesh.yaml', line: 14, column: 7, path: 'spec.rules[0].backendRefs[1].weight', message: 'must be >= 0', code: 'range' });
    assert.equal(String(e), 'mesh.yaml:14:7 spec.rules[0].backendRefs[1].weight: must be >= 0');
    const h = new ConfigError({ file: 'a.yaml', line: 1, column: 2, path: 'spec.comand', message: 'unknown field', hint: 'did you mean command?', code: 'unknown-field' });
    assert.equal(h.toString(), 'a.yaml:1:2 spec.comand: unknown field (hint: did you mean command?)');
    const all = new ConfigErrors([e, h]);
    assert.ok(all instanceof Error);
    assert.equal(all.message, `${String(e)}\n${String(h)}`);
  });
});

describe('parseDocuments', () => {
  it('accepts the sample shop, with defaults applied', () => {
    const { objects, errors } = parseDocuments(SHOP, 'shop.yaml');
    assert.deepEqual(errors, []);
    assert.deepEqual(objects.map((o) => `${o.resource.kind}/${o.resource.metadata.name}`), [
      'Mesh/shop', 'Workload/catalog-v1', 'Workload/web', 'Service/catalog', 'Service/web', 'Gateway/ingress', 'HTTPRoute/web', 'HTTPRoute/catalog-split',
    ]);
    assert.deepEqual(validateSet(objects), []);
    // Where each document starts, for `weft up` file sync and later errors.
    assert.deepEqual(objects[0].source, { file: 'shop.yaml', line: 2, column: 1 });
    assert.deepEqual(objects[1].source, { file: 'shop.yaml', line: 11, column: 1 });
  });

  it('applies defaults so consumers can trust the typed values', () => {
    const { objects, errors } = parseDocuments(SHOP, 'shop.yaml');
    assert.deepEqual(errors, []);
    const byName = (kind: string, name: string) => objects.find((o) => o.resource.kind === kind && o.resource.metadata.name === name)!.resource;

    // Namespace from the Mesh's spec.defaults.namespace; Mesh itself has none.
    assert.equal(byName('Mesh', 'shop').metadata.namespace, undefined);
    for (const o of objects.slice(1)) assert.equal(o.resource.metadata.namespace, 'shop');

    const web = byName('Workload', 'web') as Workload;
    assert.deepEqual(web.spec, { command: 'node', args: ['web.mjs'], port: 3000, env: {}, replicas: 1, serviceAccount: 'default', restartPolicy: 'Always' });
    const catalog = byName('Workload', 'catalog-v1') as Workload;
    assert.deepEqual(catalog.spec.readinessProbe, { httpGet: { path: '/healthz' }, periodSeconds: 1 });
    assert.equal(catalog.spec.port, 0);

    const svc = byName('Service', 'web');
    assert.deepEqual(svc.spec, { selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP' }] });

    const gw = byName('Gateway', 'ingress');
    assert.equal(gw.kind === 'Gateway' && gw.spec.gatewayClassName, 'weft');

    const route = byName('HTTPRoute', 'web') as HTTPRoute;
    assert.equal(route.spec.parentRefs[0].kind, 'Gateway');
    const [redirect, api, fallback] = route.spec.rules;
    assert.deepEqual(redirect.filters?.[0], {
      type: 'RequestRedirect', requestRedirect: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/new' }, statusCode: 302 },
    });
    assert.deepEqual(api.matches[1], { queryParams: [{ type: 'RegularExpression', name: 'v', value: '^2' }], path: { type: 'PathPrefix', value: '/' } });
    assert.deepEqual(api.matches[0].headers, [{ name: 'x-canary', value: '1', type: 'Exact' }]);
    assert.deepEqual(api.backendRefs?.map((b) => [b.kind, b.weight]), [['Service', 90], ['Service', 10]]);
    assert.deepEqual(fallback.matches, [{ path: { type: 'PathPrefix', value: '/' } }]);
    assert.deepEqual(fallback.backendRefs, [{ name: 'web', kind: 'Service', weight: 1 }]);

    const mesh = byName('Mesh', 'shop') as Mesh;
    assert.deepEqual(mesh.spec, {
      trustDomain: 'shop.local', outboundTrafficPolicy: { mode: 'ALLOW_ANY' }, certificateLifetime: '24h', defaults: { namespace: 'shop' }, pathNormalization: { escapedSlashes: 'REJECT' },
    });
  });

  it('defaults a Mesh without spec, and namespaces to "default" when there is no Mesh', () => {
    const m = parseDocuments(lines('apiVersion: weft.dev/v1alpha1', 'kind: Mesh', 'metadata: {name: m}'), 'm.yaml');
    assert.deepEqual(m.errors, []);
    assert.deepEqual((m.objects[0].resource as Mesh).spec, {
      trustDomain: 'cluster.local', outboundTrafficPolicy: { mode: 'ALLOW_ANY' }, certificateLifetime: '24h', defaults: { namespace: 'default' }, pathNormalization: { escapedSlashes: 'REJECT' },
    });

    const text = lines('apiVersion: v1', 'kind: Service', 'metadata: {name: a}', 'spec: {selector: {app: a}, ports: [{port: 80}]}');
    assert.equal(parseDocuments(text, 'a.yaml').objects[0].resource.metadata.namespace, 'default');
    assert.equal(parseDocuments(text, 'a.yaml', { defaultNamespace: 'prod' }).objects[0].resource.metadata.namespace, 'prod');
    const explicit = text.replace('{name: a}', '{name: a, namespace: team}');
    assert.equal(parseDocuments(explicit, 'a.yaml', { defaultNamespace: 'prod' }).objects[0].resource.metadata.namespace, 'team');
  });

  it('reports a negative weight at its line and column', () => {
    const text = lines(
      'apiVersion: gateway.networking.k8s.io/v1', // 1
      'kind: HTTPRoute',
      'metadata:',
      '  name: web',
      'spec:', // 5
      '  parentRefs:',
      '  - name: ingress',
      '  rules:',
      '  - backendRefs:',
      '    - name: v1', // 10
      '      port: 80',
      '      weight: 90',
      '    - name: v2',
      '      weight: -1', // 14
    );
    assert.deepEqual(errorsOf(text), ['mesh.yaml:14:15 spec.rules[0].backendRefs[1].weight: must be >= 0']);
  });

  it('reports a missing required field at the parent mapping, naming the field', () => {
    const text = lines('apiVersion: weft.dev/v1alpha1', 'kind: Workload', 'metadata: {name: web}', 'spec:', '  replicas: 2');
    const e = only(parseDocuments(text, 'w.yaml').errors);
    assert.equal(String(e), 'w.yaml:5:3 spec.command: is required');
    assert.equal(e.code, 'required');
    assert.deepEqual(errorsOf(lines('apiVersion: v1', 'kind: Service', 'spec: {selector: {a: b}, ports: [{port: 1}]}')), ['mesh.yaml:1:1 metadata: is required']);
  });

  it('rejects unknown fields with a did-you-mean hint', () => {
    const text = lines(
      'apiVersion: weft.dev/v1alpha1',
      'kind: Workload',
      'metadata: {name: web}',
      'spec:',
      '  command: node',
      '  replcias: 2',
    );
    const e = only(parseDocuments(text, 'w.yaml').errors);
    assert.equal(String(e), 'w.yaml:6:3 spec.replcias: unknown field (hint: did you mean replicas?)');
    assert.equal(e.code, 'unknown-field');

    const typo = lines(
      'apiVersion: gateway.networking.k8s.io/v1',
      'kind: HTTPRoute',
      'metadata: {name: r}',
      'spec:',
      '  parentRefs: [{name: gw}]',
      '  rules:',
      '  - backendRef: [{name: a}]',
    );
    assert.deepEqual(errorsOf(typo), ['mesh.yaml:7:5 spec.rules[0].backendRef: unknown field (hint: did you mean backendRefs?)']);

    // A field with nothing close lists the known ones; a spec field at the top level says where it goes.
    assert.deepEqual(errorsOf(lines('apiVersion: weft.dev/v1alpha1', 'kind: Workload', 'metadata: {name: w}', 'command: node', 'spec: {command: node}')), [
      'mesh.yaml:4:1 command: unknown field (hint: Workload fields go under spec: did you mean spec.command?)',
    ]);
    assert.deepEqual(errorsOf(lines('apiVersion: weft.dev/v1alpha1', 'kind: Mesh', 'metadata: {name: m, namespace: x}')), [
      'mesh.yaml:3:21 metadata.namespace: unknown field (hint: Mesh is cluster-scoped: it has no namespace)',
    ]);
  });

  it('says what type was expected', () => {
    const text = lines(
      'apiVersion: weft.dev/v1alpha1',
      'kind: Workload',
      'metadata: {name: web, labels: {version: 2}}',
      'spec:',
      '  command: node',
      '  replicas: "3"',
      '  env: {DEBUG: true}',
      '  args: node',
    );
    assert.deepEqual(errorsOf(text), [
      'mesh.yaml:3:41 metadata.labels.version: must be a string (got the number 2) (hint: quote it to make it a string: "2")',
      'mesh.yaml:6:13 spec.replicas: must be an integer (got the string "3") (hint: remove the quotes: 3)',
      'mesh.yaml:7:16 spec.env.DEBUG: must be a string (got true) (hint: quote it to make it a string: "true")',
      'mesh.yaml:8:9 spec.args: must be a list (got the string "node")',
    ]);
    assert.deepEqual(errorsOf(lines('apiVersion: v1', 'kind: Service', 'metadata: {name: a}', 'spec:')), ['mesh.yaml:4:1 spec: must be a mapping (got nothing)']);
  });

  it('gives YAML syntax errors their own position', () => {
    const text = lines(
      'apiVersion: v1',
      'kind: Service',
      'metadata:',
      '  name: "web',
      'spec: {}',
    );
    const e = only(parseDocuments(text, 'bad.yaml').errors);
    assert.equal(e.code, 'yaml');
    assert.equal(e.file, 'bad.yaml');
    assert.match(String(e), /^bad\.yaml:\d+:\d+ invalid YAML: /);

    const dup = lines('apiVersion: v1', 'kind: Service', 'kind: Service');
    assert.deepEqual(errorsOf(dup), ['mesh.yaml:3:1 invalid YAML: Map keys must be unique']);

    const flow = lines('apiVersion: v1', 'kind: Service', 'metadata: {name: a', 'spec: {}');
    const f = only(parseDocuments(flow, 'f.yaml').errors);
    assert.equal(f.code, 'yaml');
    // The line of the { that is never closed, not the line where the parser gives up.
    assert.equal(f.line, 3, String(f));
  });

  it('names the supported kinds for an unknown apiVersion/kind', () => {
    const [unknown] = errorsOf(lines('apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: a}'));
    assert.equal(unknown, 'mesh.yaml:2:7 kind: unknown kind Deployment (apiVersion apps/v1) (hint: supported: weft.dev/v1alpha1 Mesh, weft.dev/v1alpha1 Workload, v1 Service, gateway.networking.k8s.io/v1 Gateway, gateway.networking.k8s.io/v1 HTTPRoute, gateway.networking.k8s.io/v1 GRPCRoute, weft.dev/v1alpha1 PeerAuthentication, weft.dev/v1alpha1 AuthorizationPolicy, weft.dev/v1alpha1 Telemetry, weft.dev/v1alpha1 TrafficPolicy, weft.dev/v1alpha1 FaultInjection, weft.dev/v1alpha1 RateLimitPolicy, v1 Secret)');
    assert.deepEqual(errorsOf(lines('apiVersion: gateway.networking.k8s.io/v1beta1', 'kind: HTTPRoute', 'metadata: {name: a}')), [
      'mesh.yaml:1:13 apiVersion: HTTPRoute is not served as gateway.networking.k8s.io/v1beta1 (hint: use apiVersion: gateway.networking.k8s.io/v1)',
    ]);
    assert.match(only(errorsOf(lines('apiVersion: v1', 'kind: service', 'metadata: {name: a}'))), /\(hint: did you mean Service\? supported: /);
  });

  it('skips empty documents', () => {
    const text = `---\n# nothing here\n---\n${lines('apiVersion: weft.dev/v1alpha1', 'kind: Mesh', 'metadata: {name: m}')}---\n---\n`;
    const { objects, errors } = parseDocuments(text, 'm.yaml');
    assert.deepEqual(errors, []);
    assert.equal(objects.length, 1);
    assert.deepEqual(objects[0].source, { file: 'm.yaml', line: 4, column: 1 });
    assert.deepEqual(parseDocuments('', 'e.yaml'), { objects: [], errors: [] });
  });

  it('rejects a document that is not a mapping', () => {
    assert.deepEqual(errorsOf('- a\n- b\n'), [
      'mesh.yaml:1:1 each document must be a mapping with apiVersion, kind, metadata and spec (got a list) (hint: separate objects with "---" lines instead of listing them)',
    ]);
  });

  it('reports every bad document of a multi-document file and keeps none of them', () => {
    const bad = SHOP.replace('weight: 10}', 'weight: ten}').replace('replicas: 2', 'replicas: -2');
    const { errors, objects } = parseDocuments(bad, 'shop.yaml');
    assert.deepEqual(errors.map(String), [
      'shop.yaml:20:13 spec.replicas: must be >= 0',
      'shop.yaml:71:41 spec.rules[1].backendRefs[1].weight: must be an integer (got the string "ten")',
    ]);
    assert.ok(!objects.some((o) => o.resource.metadata.name === 'catalog-v1'));
  });

  it('checks names are DNS names', () => {
    assert.deepEqual(errorsOf(lines('apiVersion: v1', 'kind: Service', 'metadata: {name: Web.v1}', 'spec: {selector: {a: b}, ports: [{port: 1}]}')), [
      'mesh.yaml:3:18 metadata.name: must be a DNS-1035 label: lowercase letters, digits and "-", starting with a letter and ending with a letter or digit',
    ]);
    assert.deepEqual(errorsOf(lines('apiVersion: weft.dev/v1alpha1', 'kind: Workload', 'metadata: {name: web, namespace: My_NS}', 'spec: {command: x}')), [
      'mesh.yaml:3:34 metadata.namespace: must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit',
    ]);
  });

  it('stays fast on huge values (no regex backtracking)', () => {
    const long = `${'a-'.repeat(100_000)}!`;
    const started = performance.now();
    const errors = errorsOf(lines('apiVersion: v1', 'kind: Service', `metadata: {name: "${long}", labels: {"${long}": "${long}"}}`, 'spec: {selector: {a: b}, ports: [{port: 1}]}'));
    assert.ok(errors.length >= 3, errors.join('\n'));
    assert.ok(performance.now() - started < 2000, `took ${performance.now() - started} ms`);
  });

  it('accepts every example in docs/config-reference.md', () => {
    const md = readFileSync(fileURLToPath(new URL('../../../docs/config-reference.md', import.meta.url)), 'utf8');
    // The first yaml block is the generic shape of an object, not an example.
    const examples = [...md.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]).slice(1);
    assert.ok(examples.length >= 5);
    const { objects, errors } = parseDocuments(examples.join('---\n'), 'config-reference.md');
    assert.deepEqual(errors.map(String), []);
    assert.deepEqual(validateSet(objects).map(String), []);
    assert.deepEqual([...new Set(objects.map((o) => o.resource.kind))], ['Mesh', 'Workload', 'Service', 'Gateway', 'Secret', 'HTTPRoute', 'GRPCRoute', 'FaultInjection', 'RateLimitPolicy', 'PeerAuthentication', 'AuthorizationPolicy', 'Telemetry']);
  });

  it('round-trips: re-serialised objects parse to the same objects', () => {
    const first = parseDocuments(SHOP, 'shop.yaml');
    assert.deepEqual(first.errors, []);
    const text = first.objects.map((o) => stringify(o.resource)).join('---\n');
    const second = parseDocuments(text, 'again.yaml');
    assert.deepEqual(second.errors, []);
    assert.deepEqual(second.objects.map((o) => o.resource), first.objects.map((o) => o.resource));
  });
});

describe('loadFiles / loadAndValidate', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'weft-api-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads files, shows paths as given, and lets a Mesh in one file set the namespace of all', async () => {
    const a = path.join(dir, 'mesh.yaml');
    const b = path.join(dir, 'svc.yaml');
    await writeFile(a, lines('apiVersion: weft.dev/v1alpha1', 'kind: Mesh', 'metadata: {name: m}', 'spec: {defaults: {namespace: team}}'));
    await writeFile(b, lines('apiVersion: v1', 'kind: Service', 'metadata: {name: s}', 'spec: {selector: {app: s}, ports: [{port: 80}]}'));
    const objects = await loadAndValidate([b, a]);
    assert.deepEqual(objects.map((o) => [o.source.file, o.resource.metadata.namespace]), [[b, 'team'], [a, undefined]]);
  });

  it('rejects the whole input when one document is wrong', async () => {
    const good = path.join(dir, 'good.yaml');
    const bad = path.join(dir, 'bad.yaml');
    await writeFile(good, lines('apiVersion: v1', 'kind: Service', 'metadata: {name: s}', 'spec: {selector: {app: s}, ports: [{port: 80}]}'));
    await writeFile(bad, lines(
      'apiVersion: v1', 'kind: Service', 'metadata: {name: t}', 'spec: {selector: {app: t}, ports: [{port: 80}]}',
      '---',
      'apiVersion: v1', 'kind: Service', 'metadata: {name: u}', 'spec: {selector: {app: u}, ports: [{port: 0}]}',
    ));
    const r = await loadFiles([good, bad]);
    assert.deepEqual(r.errors.map(String), [`${bad}:9:43 spec.ports[0].port: must be >= 1`]);
    await assert.rejects(loadAndValidate([good, bad]), (e: unknown) => {
      assert.ok(e instanceof ConfigErrors);
      assert.equal(e.errors.length, 1);
      assert.equal(e.message, `${bad}:9:43 spec.ports[0].port: must be >= 1`);
      return true;
    });
  });

  it('rejects a set with cross-object errors', async () => {
    const f = path.join(dir, 'dup.yaml');
    await writeFile(f, lines('apiVersion: weft.dev/v1alpha1', 'kind: Mesh', 'metadata: {name: a}', '---', 'apiVersion: weft.dev/v1alpha1', 'kind: Mesh', 'metadata: {name: b}'));
    await assert.rejects(loadAndValidate([f]), (e: unknown) => {
      assert.ok(e instanceof ConfigErrors);
      assert.equal(e.message, `${f}:6:7 kind: only one Mesh is allowed (hint: the Mesh a is defined at ${f}:1:1)`);
      return true;
    });
  });

  it('reports per-object and cross-object errors in one pass', async () => {
    const f = path.join(dir, 'both.yaml');
    await writeFile(f, lines(
      'apiVersion: weft.dev/v1alpha1', 'kind: Mesh', 'metadata: {name: a}',
      '---',
      'apiVersion: v1', 'kind: Service', 'metadata: {name: u}', 'spec: {selector: {app: u}, ports: [{port: 0}]}',
      '---',
      'apiVersion: weft.dev/v1alpha1', 'kind: Mesh', 'metadata: {name: b}',
    ));
    await assert.rejects(loadAndValidate([f]), (e: unknown) => {
      assert.ok(e instanceof ConfigErrors);
      assert.deepEqual(e.errors.map(String), [
        `${f}:8:43 spec.ports[0].port: must be >= 1`,
        `${f}:11:7 kind: only one Mesh is allowed (hint: the Mesh a is defined at ${f}:1:1)`,
      ]);
      return true;
    });
    // The same through parseDocuments + allErrors (what `weft apply` and a watched file's reload use).
    const text = readFileSync(f, 'utf8');
    const { objects, errors } = parseDocuments(text, 'both.yaml');
    assert.deepEqual(allErrors(objects, errors).map((x) => `${x.line}:${x.code}`), ['8:range', '11:duplicate']);
  });

  it('reports a file that cannot be read', async () => {
    const missing = path.join(dir, 'nope.yaml');
    const r = await loadFiles([missing]);
    assert.deepEqual(r.errors.map(String), [`${missing}:1:1 cannot read: no such file`]);
  });
});

describe('unclosed flow collections', () => {
  it('reports one error at the line and column of the { that is never closed', () => {
    assert.deepEqual(errorsOf(lines(
      'apiVersion: v1', 'kind: Service', 'metadata:', '  name: a', 'spec:', '  selector: { app: a', '  ports: [{ port: 80 }]',
    )), ['mesh.yaml:6:13 invalid YAML: this "{" is never closed (hint: close it with "}" on the same line, or write the mapping as indented block lines instead)']);
  });

  it('the same for [, for a brace whose next line is indented deeper, and at the end of the text', () => {
    assert.deepEqual(errorsOf(lines('apiVersion: v1', 'kind: Service', 'metadata: {name: a', '  labels: x', 'spec: 1')).map((e) => e.split(' (hint')[0]),
      ['mesh.yaml:3:11 invalid YAML: this "{" is never closed']);
    assert.deepEqual(errorsOf(lines('apiVersion: v1', 'kind: Service', 'metadata: {name: a}', 'spec:', '  ports: [{ port: 80 }')).map((e) => e.split(' (hint')[0]),
      ['mesh.yaml:5:10 invalid YAML: this "[" is never closed']);
  });

  it('points at the inner bracket when an outer one is closed by mistake', () => {
    assert.deepEqual(errorsOf('a: {b: [1, 2}\n').map((e) => e.split(' (hint')[0]), ['mesh.yaml:1:8 invalid YAML: this "[" is never closed']);
  });

  it('names the document it is in and still reads the others', () => {
    const text = lines(
      'apiVersion: v1', 'kind: Service', 'metadata: {name: good}', 'spec: {selector: {app: g}, ports: [{port: 80}]}',
      '---',
      'apiVersion: v1', 'kind: Service', 'metadata:', '  name: a', 'spec:', '  selector: { app: a',
    );
    const r = parseDocuments(text, 'two.yaml');
    assert.deepEqual(r.errors.map((e) => `${e.file}:${e.line}:${e.column}`), ['two.yaml:11:13']);
    assert.deepEqual(r.objects.map((o) => o.resource.metadata.name), ['good']);
  });
});

describe('validateSet', () => {
  const parse = (text: string): Loaded[] => {
    const r = parseDocuments(text, 'set.yaml');
    assert.deepEqual(r.errors.map(String), []);
    return r.objects;
  };
  const svc = (name: string, ns?: string) => lines(
    'apiVersion: v1', 'kind: Service', `metadata: {name: ${name}${ns === undefined ? '' : `, namespace: ${ns}`}}`, 'spec: {selector: {app: x}, ports: [{port: 80}]}',
  );

  it('refuses a second TrafficPolicy for the same Service, at the second', () => {
    const tp = (name: string, target: string) => lines('apiVersion: weft.dev/v1alpha1', 'kind: TrafficPolicy', `metadata: {name: ${name}}`, `spec: {targetRef: {kind: Service, name: ${target}}, retryBudget: {retryRatio: 0.1}}`);
    const objects = parse(`${svc('a')}---\n${tp('one', 'a')}---\n${tp('two', 'a')}---\n${tp('three', 'b')}`);
    assert.deepEqual(validateSet(objects).map(String), [
      'set.yaml:14:41 spec.targetRef.name: Service default/a already has TrafficPolicy one (hint: defined at set.yaml:6:1; merge the two)',
    ]);
  });

  it('reports a duplicate at the second definition, pointing at the first', () => {
    const objects = parse(`${svc('a')}---\n${svc('b')}---\n${svc('a', 'default')}---\n${svc('a', 'other')}`);
    assert.deepEqual(validateSet(objects).map(String), [
      'set.yaml:13:18 metadata.name: Service default/a is defined twice (hint: first defined at set.yaml:1:1)',
    ]);
    // Across inputs too (e.g. two files given to loadFiles).
    const other = parseDocuments(svc('a'), 'other.yaml').objects;
    assert.deepEqual(validateSet([...parse(svc('a')), ...other]).map(String), [
      'other.yaml:3:18 metadata.name: Service default/a is defined twice (hint: first defined at set.yaml:1:1)',
    ]);
  });

  it('rejects a fixed port with several replicas', () => {
    const objects = parse(lines('apiVersion: weft.dev/v1alpha1', 'kind: Workload', 'metadata: {name: w}', 'spec:', '  command: node', '  port: 8080', '  replicas: 3'));
    const e = only(validateSet(objects));
    assert.equal(String(e), 'set.yaml:6:9 spec.port: a fixed port cannot be shared by 3 replicas (hint: set port: 0 to let the runtime pick a free port for each replica, or replicas: 1)');
    const one = parse(lines('apiVersion: weft.dev/v1alpha1', 'kind: Workload', 'metadata: {name: w}', 'spec: {command: node, port: 8080}'));
    assert.deepEqual(validateSet(one), []);
  });

  it('points at a regular expression that does not compile', () => {
    const objects = parse(lines(
      'apiVersion: gateway.networking.k8s.io/v1',
      'kind: HTTPRoute',
      'metadata: {name: r}',
      'spec:',
      '  parentRefs: [{name: gw}]',
      '  rules:',
      '  - matches:',
      '    - path: {type: RegularExpression, value: "/v[0-9+"}',
      '      headers:',
      '      - {type: RegularExpression, name: x-user, value: "^(a|b$"}',
      '      - {name: x-exact, value: "(not a regex"}',
      '      queryParams:',
      '      - {type: RegularExpression, name: a, value: "(x+)\\\\1"}',
      '      - {type: RegularExpression, name: b, value: "(?=y)z"}',
      '      - {type: RegularExpression, name: c, value: "(a+)+$"}',
    ));
    const hint = '(hint: JavaScript RegExp syntax, compiled without flags, without backreferences or lookahead)';
    const linear = 'cannot be matched in linear time: backreferences (\\1, \\k<name>) and lookahead ((?=, (?!) are not supported';
    assert.deepEqual(validateSet(objects).map(String), [
      `set.yaml:8:46 spec.rules[0].matches[0].path.value: invalid regular expression: Unterminated character class ${hint}`,
      `set.yaml:10:56 spec.rules[0].matches[0].headers[0].value: invalid regular expression: Unterminated group ${hint}`,
      `set.yaml:13:51 spec.rules[0].matches[0].queryParams[0].value: invalid regular expression: ${linear} ${hint}`,
      `set.yaml:14:51 spec.rules[0].matches[0].queryParams[1].value: invalid regular expression: ${linear} ${hint}`,
    ], 'a pattern that only backtracks badly, such as (a+)+$, is allowed: it runs in linear time');
  });

  it('checks references to objects of the same set', () => {
    const objects = parse(lines(
      'apiVersion: v1', 'kind: Service', 'metadata: {name: multi}', 'spec: {selector: {app: m}, ports: [{name: http, port: 80}, {name: grpc, port: 9090}]}',
      '---',
      'apiVersion: gateway.networking.k8s.io/v1', 'kind: Gateway', 'metadata: {name: gw}', 'spec: {listeners: [{name: http, port: 8080, protocol: HTTP}]}',
      '---',
      'apiVersion: gateway.networking.k8s.io/v1', // 11
      'kind: HTTPRoute',
      'metadata: {name: r}',
      'spec:',
      '  parentRefs: [{name: gw, sectionName: https}, {kind: Service, name: multi, port: 81}]', // 15
      '  rules:',
      '  - backendRefs:',
      '    - {name: multi}', // 18
      '    - {name: multi, port: 8080}',
      '    - {name: elsewhere, namespace: other, port: 1}',
    ));
    assert.deepEqual(validateSet(objects).map(String), [
      'set.yaml:15:40 spec.parentRefs[0].sectionName: Gateway default/gw has no listener named "https" (hint: listeners: http)',
      'set.yaml:15:83 spec.parentRefs[1].port: Service default/multi has no port 81 (hint: its ports: 80 (http), 9090 (grpc))',
      'set.yaml:18:7 spec.rules[0].backendRefs[0].port: is required: Service default/multi has 2 ports (hint: its ports: 80 (http), 9090 (grpc))',
      'set.yaml:19:27 spec.rules[0].backendRefs[1].port: Service default/multi has no port 8080 (hint: its ports: 80 (http), 9090 (grpc))',
    ]);
  });

  it('rejects two Gateways on one port', () => {
    const gw = (name: string, addr: string) => lines(
      'apiVersion: gateway.networking.k8s.io/v1', 'kind: Gateway', `metadata: {name: ${name}}`,
      `spec: {addresses: [{value: "${addr}"}], listeners: [{name: http, port: 8080, protocol: HTTP}]}`,
    );
    assert.deepEqual(validateSet(parse(`${gw('a', '127.0.0.1')}---\n${gw('b', '127.0.0.2')}`)), []);
    assert.deepEqual(validateSet(parse(`${gw('a', '127.0.0.1')}---\n${gw('b', '0.0.0.0')}`)).map(String), [
      'set.yaml:9:72 spec.listeners[0].port: port 8080 on 0.0.0.0 is already used by Gateway default/a listener http (hint: give each Gateway its own ports)',
    ]);
  });

  it('works on objects that did not come from YAML (no locate): errors point at the source', () => {
    const resource = { apiVersion: 'weft.dev/v1alpha1', kind: 'Workload' as const, metadata: { name: 'w', namespace: 'default' }, spec: { command: 'x', args: [], env: {}, replicas: 2, serviceAccount: 'default', port: 80 } };
    const e = only(validateSet([{ resource, source: { file: 'api', line: 1, column: 1 } }]));
    assert.equal(String(e), 'api:1:1 spec.port: a fixed port cannot be shared by 2 replicas (hint: set port: 0 to let the runtime pick a free port for each replica, or replicas: 1)');
  });
});
