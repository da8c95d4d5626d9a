// The cross-field rules (Gateway API CEL validations and weft's own), through the public parser.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGoDuration } from './checks.js';
import { parseDocuments } from './load.js';

const route = (...spec: string[]) => [
  'apiVersion: gateway.networking.k8s.io/v1',
  'kind: HTTPRoute',
  'metadata: {name: r}',
  'spec:',
  ...spec,
].join('\n');
const errs = (text: string) => parseDocuments(text, 'r.yaml').errors.map(String);
/** Errors without positions, for rules where the wording is what matters. */
const msgs = (text: string) => parseDocuments(text, 'r.yaml').errors.map((e) => `${e.path}: ${e.message}`);

describe('HTTPRoute rules', () => {
  it('takes Gateway API timeouts and checks backendRequest against request (GEP-1742)', () => {
    const t = (x: string) => msgs(route('  parentRefs: [{name: gw}]', '  rules:', `  - timeouts: ${x}`));
    assert.deepEqual(t('{request: 10s, backendRequest: 2s}'), []);
    assert.deepEqual(t('{request: 1m30s}'), []);
    assert.deepEqual(t('{request: 0s, backendRequest: 5s}'), [], '"0s" request: no overall limit, any backendRequest');
    assert.deepEqual(t('{request: 1s, backendRequest: 2s}'), ['spec.rules[0].timeouts.backendRequest: must not be longer than timeouts.request (1s), got "2s"']);
    assert.deepEqual(t('{request: 1s, backendRequest: 0s}'), ['spec.rules[0].timeouts.backendRequest: must not be longer than timeouts.request (1s), got "0s"']);
    assert.deepEqual(t('{request: 1.5s}'), ['spec.rules[0].timeouts.request: must be a Gateway API duration such as "10s", "500ms" or "1m30s" (units h, m, s, ms; "0s" turns the timeout off)']);
    assert.deepEqual(t('{request: 100000s}'), ['spec.rules[0].timeouts.request: must be a Gateway API duration such as "10s", "500ms" or "1m30s" (units h, m, s, ms; "0s" turns the timeout off)']);
    assert.deepEqual(t('{idle: 1s}').map((m) => m.split(':')[0]), ['spec.rules[0].timeouts.idle']);
  });

  it('takes a GEP-1731 retry with weft extensions, and says what is not there yet', () => {
    const t = (x: string) => msgs(route('  parentRefs: [{name: gw}]', '  rules:', `  - retry: ${x}`));
    assert.deepEqual(t('{attempts: 3, backoff: 50ms, codes: [500, 503], retryOn: [connect-failure, reset], nonIdempotent: true, maxBackoff: 1s}'), []);
    assert.deepEqual(t('{attempts: 11}'), ['spec.rules[0].retry.attempts: must be <= 10']);
    assert.deepEqual(t('{codes: [200]}'), ['spec.rules[0].retry.codes[0]: must be >= 400']);
    assert.match(t('{retryOn: [timeout]}')[0], /^spec\.rules\[0\]\.retry\.retryOn\[0\]: must be one of/);
    assert.deepEqual(t('{grpcStatuses: [unavailable]}'), ['spec.rules[0].retry.grpcStatuses: retrying on gRPC statuses needs HTTP/2, which weft does not carry yet']);
    assert.deepEqual(t('{backoff: 1s, maxBackoff: 100ms}'), ['spec.rules[0].retry.maxBackoff: must not be shorter than backoff (1s), got "100ms"']);
  });

  it('takes RequestMirror (repeatable, percent or fraction) on a rule, not on a backendRef', () => {
    const t = (...x: string[]) => msgs(route('  parentRefs: [{name: gw}]', '  rules:', ...x));
    assert.deepEqual(t('  - filters:', '    - {type: RequestMirror, requestMirror: {backendRef: {name: a, port: 80}, percent: 10}}', '    - {type: RequestMirror, requestMirror: {backendRef: {name: b}, fraction: {numerator: 1, denominator: 3}}}'), []);
    assert.deepEqual(t('  - filters: [{type: RequestMirror, requestMirror: {backendRef: {name: a}, percent: 10, fraction: {numerator: 1}}}]'), ['spec.rules[0].filters[0].requestMirror.fraction: percent and fraction cannot both be set']);
    assert.deepEqual(t('  - filters: [{type: RequestMirror, requestMirror: {backendRef: {name: a}, fraction: {numerator: 5, denominator: 4}}}]'), ['spec.rules[0].filters[0].requestMirror.fraction.numerator: must not be greater than the denominator (4)']);
    assert.deepEqual(t('  - filters: [{type: RequestMirror, requestMirror: {percent: 10}}]'), ['spec.rules[0].filters[0].requestMirror.backendRef: is required']);
    assert.deepEqual(t('  - backendRefs: [{name: a, filters: [{type: RequestMirror, requestMirror: {backendRef: {name: b}}}]}]'), ['spec.rules[0].backendRefs[0].filters[0].type: RequestMirror on a backendRef is not implemented by weft']);
  });

  it('places a timeout error at its file:line:column', () => {
    assert.deepEqual(errs(route('  parentRefs: [{name: gw}]', '  rules:', '  - timeouts:', '      request: 1s', '      backendRequest: 5s')), [
      'r.yaml:9:23 spec.rules[0].timeouts.backendRequest: must not be longer than timeouts.request (1s), got "5s" (hint: backendRequest limits one attempt; request limits the whole exchange, retries included)',
    ]);
  });

  it('rejects RequestRedirect and URLRewrite in one rule', () => {
    assert.deepEqual(msgs(route(
      '  parentRefs: [{name: gw}]',
      '  rules:',
      '  - filters:',
      '    - {type: URLRewrite, urlRewrite: {hostname: a.example.com}}',
      '    - {type: RequestRedirect, requestRedirect: {scheme: https}}',
    )), ['spec.rules[0].filters[1].type: may specify either RequestRedirect or URLRewrite, but not both']);
  });

  it('rejects RequestRedirect together with backendRefs', () => {
    assert.deepEqual(msgs(route(
      '  parentRefs: [{name: gw}]',
      '  rules:',
      '  - filters: [{type: RequestRedirect, requestRedirect: {scheme: https}}]',
      '    backendRefs: [{name: web, port: 80}]',
    )), ['spec.rules[0].filters[0]: RequestRedirect filter must not be used together with backendRefs']);
  });

  it('allows ReplacePrefixMatch only with exactly one PathPrefix match', () => {
    const rewrite = '    filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}}}]';
    assert.deepEqual(msgs(route('  parentRefs: [{name: gw}]', '  rules:', '  - matches: [{path: {type: PathPrefix, value: /v1}}]', rewrite)), []);
    // The default match is a PathPrefix "/" match, so it qualifies.
    assert.deepEqual(msgs(route('  parentRefs: [{name: gw}]', '  rules:', '  - backendRefs: [{name: a, port: 80}]', rewrite)), []);
    assert.deepEqual(msgs(route('  parentRefs: [{name: gw}]', '  rules:', '  - matches: [{path: {type: Exact, value: /v1}}]', rewrite)), [
      'spec.rules[0].filters[0].urlRewrite.path.type: when using URLRewrite with path.replacePrefixMatch, exactly one PathPrefix match must be specified',
    ]);
    assert.deepEqual(msgs(route(
      '  parentRefs: [{name: gw}]', '  rules:', '  - matches: [{path: {value: /a}}, {path: {value: /b}}]',
      '    backendRefs:',
      '    - name: a',
      '      port: 80',
      '      filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /c}}}]',
    )), ['spec.rules[0].backendRefs[0].filters[0].requestRedirect.path.type: when using RequestRedirect with path.replacePrefixMatch, exactly one PathPrefix match must be specified']);
  });

  it('keeps path modifier fields consistent with their type', () => {
    assert.deepEqual(msgs(route(
      '  parentRefs: [{name: gw}]',
      '  rules:',
      '  - filters:',
      '    - type: URLRewrite',
      '      urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /x, replacePrefixMatch: /y}}',
      '  - filters:',
      '    - type: URLRewrite',
      '      urlRewrite: {path: {type: ReplaceFullPath}}',
    )), [
      'spec.rules[0].filters[0].urlRewrite.path.replacePrefixMatch: must not be set when type is ReplaceFullPath',
      'spec.rules[1].filters[0].urlRewrite.path.replaceFullPath: is required when type is ReplaceFullPath',
    ]);
  });

  it('requires the filter field that matches the type, and nothing else', () => {
    assert.deepEqual(errs(route(
      '  parentRefs: [{name: gw}]',
      '  rules:',
      '  - filters:',
      '    - type: RequestHeaderModifier',
      '      responseHeaderModifier: {remove: [x-a]}',
    )), [
      'r.yaml:8:7 spec.rules[0].filters[0].requestHeaderModifier: is required when type is RequestHeaderModifier',
      'r.yaml:9:7 spec.rules[0].filters[0].responseHeaderModifier: must not be set when type is RequestHeaderModifier (hint: set type: ResponseHeaderModifier, or move it to a filter of its own)',
    ]);
  });

  it('does not repeat a filter type, nor act twice on one header', () => {
    assert.deepEqual(msgs(route(
      '  parentRefs: [{name: gw}]',
      '  rules:',
      '  - filters:',
      '    - type: RequestHeaderModifier',
      '      requestHeaderModifier: {set: [{name: X-A, value: "1"}], remove: [x-a]}',
      '    - type: RequestHeaderModifier',
      '      requestHeaderModifier: {add: [{name: x-b, value: "1"}]}',
    )), [
      'spec.rules[0].filters[0].requestHeaderModifier.remove[0]: header "x-a" has more than one action',
      'spec.rules[0].filters[1].type: RequestHeaderModifier filter cannot be repeated',
    ]);
  });

  it('checks Exact and PathPrefix path values', () => {
    const path = (v: string, type = 'PathPrefix') => msgs(route('  parentRefs: [{name: gw}]', '  rules:', `  - matches: [{path: {type: ${type}, value: ${JSON.stringify(v)}}}]`));
    assert.deepEqual(path('/a/b-c_d.e~f%20'), []);
    assert.deepEqual(path('api'), ['spec.rules[0].matches[0].path.value: must be an absolute path and start with "/" for Exact and PathPrefix matches']);
    assert.deepEqual(path('/a//b', 'Exact'), ['spec.rules[0].matches[0].path.value: must not contain "//" for Exact and PathPrefix matches']);
    assert.deepEqual(path('/a/..'), ['spec.rules[0].matches[0].path.value: must not end with "/.." or "/." for Exact and PathPrefix matches']);
    assert.deepEqual(path('/a b').length, 1);
    // Regular expressions are not paths.
    assert.deepEqual(path('^/v[0-9]+$', 'RegularExpression'), []);
  });

  it('enforces the Gateway API limits', () => {
    const many = (n: number, item: string) => `[${Array.from({ length: n }, (_, i) => item.replace('$i', String(i))).join(', ')}]`;
    assert.deepEqual(msgs(route('  parentRefs: [{name: gw}]', `  rules: ${many(17, '{name: r$i}')}`)), ['spec.rules: must have at most 16 items (got 17)']);
    assert.deepEqual(msgs(route('  parentRefs: [{name: gw}]', `  rules: [{matches: ${many(65, '{path: {value: /p$i}}')}}]`)), ['spec.rules[0].matches: must have at most 64 items (got 65)']);
    assert.deepEqual(msgs(route('  parentRefs: [{name: gw}]', `  rules: [{matches: [{headers: ${many(17, '{name: h$i, value: v}')}}]}]`)), ['spec.rules[0].matches[0].headers: must have at most 16 items (got 17)']);
    assert.deepEqual(msgs(route('  parentRefs: [{name: gw}]', `  rules: ${many(3, `{matches: ${many(60, '{path: {value: /p$i}}')}}`)}`)), [
      'spec.rules: a route may have at most 128 matches across all its rules (got 180)',
    ]);
    assert.deepEqual(msgs(route('  parentRefs: [{name: gw}]', '  rules: [{backendRefs: [{name: a, weight: 1000001}]}]')), ['spec.rules[0].backendRefs[0].weight: must be <= 1000000']);
    assert.deepEqual(msgs(route('  parentRefs: [{name: gw}]', '  rules: [{filters: [{type: RequestRedirect, requestRedirect: {statusCode: 304}}]}]')), [
      'spec.rules[0].filters[0].requestRedirect.statusCode: must be one of 301, 302, 303, 307, 308 (got the number 304)',
    ]);
  });

  it('validates hostnames and header names', () => {
    assert.deepEqual(msgs(route('  parentRefs: [{name: gw}]', '  hostnames: ["*.example.com", "a.*.example.com", "10.0.0.1", "Shop.example.com"]')), [
      'spec.hostnames[1]: must be a lowercase DNS name, optionally starting with a "*." wildcard label (e.g. "shop.example.com", "*.example.com"); no IP, no port',
      'spec.hostnames[3]: must be a lowercase DNS name, optionally starting with a "*." wildcard label (e.g. "shop.example.com", "*.example.com"); no IP, no port',
    ]);
    assert.deepEqual(msgs(route('  parentRefs: [{name: gw}]', '  hostnames: ["10.0.0.1"]')), ['spec.hostnames[0]: must be a DNS name, not an IP address']);
    assert.deepEqual(msgs(route('  parentRefs: [{name: gw}]', '  rules: [{matches: [{headers: [{name: ":authority", value: x}, {name: ok, value: "a\\nb"}]}]}]')), [
      'spec.rules[0].matches[0].headers[0].name: must be an HTTP header name: letters, digits and !#$%&\'*+-.^_`|~ (no spaces, no ":")',
      'spec.rules[0].matches[0].headers[1].value: must be a valid HTTP header value: printable characters and tabs, no line breaks or control characters',
    ]);
    assert.deepEqual(msgs(route('  parentRefs: [{name: gw}]', '  rules: [{matches: [{headers: [{name: X-A, value: "1"}, {name: x-a, value: "2"}]}]}]')), [
      'spec.rules[0].matches[0].headers[1].name: header "x-a" is matched twice (names are case-insensitive)',
    ]);
  });

  it('checks parentRefs: distinct, right groups, not empty', () => {
    assert.deepEqual(msgs(route('  parentRefs: [{name: gw}, {name: gw}]')), [
      'spec.parentRefs[1]: sectionName or port must be unique when parentRefs includes 2 or more references to the same parent',
    ]);
    assert.deepEqual(msgs(route('  parentRefs: [{name: gw, sectionName: a}, {name: gw}]')), [
      'spec.parentRefs[1]: sectionName or port must be specified when parentRefs includes 2 or more references to the same parent',
    ]);
    assert.deepEqual(msgs(route('  parentRefs: [{name: gw, sectionName: a}, {name: gw, sectionName: b}, {kind: Service, group: "", name: gw}]')), []);
    assert.deepEqual(msgs(route('  parentRefs: [{kind: Service, group: gateway.networking.k8s.io, name: s}]')), [
      'spec.parentRefs[0].group: a Service parent must have group "" (got "gateway.networking.k8s.io")',
    ]);
    assert.deepEqual(msgs(route('  parentRefs: []')), ['spec.parentRefs: must have at least 1 item']);
    assert.deepEqual(msgs(route('  rules: [{}]')), ['spec.parentRefs: is required']);
  });

  it('says which Gateway API features weft does not implement', () => {
    assert.deepEqual(errs(route('  parentRefs: [{name: gw}]', '  rules:', '  - timeouts: {request: 10s}', '    filters: [{type: CORS}]')), [
      'r.yaml:8:22 spec.rules[0].filters[0].type: the CORS filter is not implemented by weft yet (hint: supported: RequestHeaderModifier, ResponseHeaderModifier, URLRewrite, RequestRedirect, RequestMirror)',
    ]);
  });

  it('suggests enum values', () => {
    assert.deepEqual(errs(route('  parentRefs: [{name: gw}]', '  rules: [{matches: [{path: {type: Prefix, value: /}, method: get}]}]')), [
      'r.yaml:6:36 spec.rules[0].matches[0].path.type: must be one of Exact, PathPrefix, RegularExpression (got the string "Prefix") (hint: did you mean PathPrefix?)',
      'r.yaml:6:63 spec.rules[0].matches[0].method: must be one of GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH (got the string "get") (hint: did you mean GET?)',
    ]);
  });
});

describe('Service, Gateway and Workload rules', () => {
  it('Service ports: unique numbers and names, TCP only', () => {
    const svc = (ports: string) => msgs(['apiVersion: v1', 'kind: Service', 'metadata: {name: s}', `spec: {selector: {app: s}, ports: ${ports}}`].join('\n'));
    assert.deepEqual(svc('[{name: http, port: 80}, {name: http, port: 80}]'), [
      'spec.ports[1].name: port name "http" is used twice',
      'spec.ports[1].port: port 80 is listed twice',
    ]);
    assert.deepEqual(svc('[{port: 53, protocol: UDP}]'), ['spec.ports[0].protocol: weft carries TCP only']);
    assert.deepEqual(svc('[]'), ['spec.ports: must have at least 1 item']);
    assert.deepEqual(svc('[{port: 80, targetPort: http}, {port: 81, targetPort: 8081}, {port: 82, targetPort: 0}]'), ['spec.ports[2].targetPort: must be >= 1']);
  });

  it('Gateway listeners: unique names and port/protocol/hostname; addresses are IPs', () => {
    const gw = (...spec: string[]) => msgs(['apiVersion: gateway.networking.k8s.io/v1', 'kind: Gateway', 'metadata: {name: g}', 'spec:', ...spec].join('\n'));
    assert.deepEqual(gw('  listeners:', '  - {name: a, port: 80, protocol: HTTP}', '  - {name: a, port: 80, protocol: HTTP, hostname: x.example.com}', '  - {name: c, port: 80, protocol: HTTP}'), [
      'spec.listeners[1].name: listener name "a" is used twice',
      'spec.listeners[2]: the combination of port, protocol and hostname must be unique for each listener',
    ]);
    assert.deepEqual(gw('  addresses: [{value: localhost}]', '  listeners: [{name: a, port: 80, protocol: HTTP}]'), ['spec.addresses[0].value: must be an IP address (got "localhost")']);
    assert.deepEqual(gw('  listeners: [{name: a, port: 443, protocol: HTTPS}]'), ['spec.listeners[0].protocol: TLS listeners are not implemented by weft yet']);
    assert.deepEqual(gw('  listeners: [{name: a, port: 80}]'), ['spec.listeners[0].protocol: is required']);
  });

  it('Workload fields', () => {
    const w = (...spec: string[]) => msgs(['apiVersion: weft.dev/v1alpha1', 'kind: Workload', 'metadata: {name: w}', 'spec:', '  command: node', ...spec].join('\n'));
    assert.deepEqual(w('  port: 70000', '  replicas: -1', '  readinessProbe: {httpGet: {path: healthz}, periodSeconds: 0}'), [
      'spec.port: must be <= 65535',
      'spec.replicas: must be >= 0',
      'spec.readinessProbe.httpGet.path: must start with "/"',
      'spec.readinessProbe.periodSeconds: must be >= 1',
    ]);
    assert.deepEqual(w('  replicas: 0', '  cwd: app', '  serviceAccount: web'), []);
  });
});

const doc = (apiVersion: string, kind: string, ...body: string[]) => [`apiVersion: ${apiVersion}`, `kind: ${kind}`, ...body].join('\n');
const policy = (...spec: string[]) => doc('security.istio.io/v1', 'AuthorizationPolicy', 'metadata: {name: p, namespace: shop}', 'spec:', ...spec);
const peer = (...spec: string[]) => doc('weft.dev/v1alpha1', 'PeerAuthentication', 'metadata: {name: p, namespace: shop}', 'spec:', ...spec);
const objectsOf = (text: string) => {
  const r = parseDocuments(text, 'p.yaml');
  assert.deepEqual(r.errors.map(String), []);
  return r.objects.map((o) => o.resource);
};

describe('PeerAuthentication and AuthorizationPolicy', () => {
  it('reads Istio apiVersions and weft.dev/v1alpha1, with defaults', () => {
    const text = [
      doc('weft.dev/v1alpha1', 'AuthorizationPolicy', 'metadata: {name: allow-nothing}'),
      doc('security.istio.io/v1beta1', 'AuthorizationPolicy', 'metadata: {name: deny, namespace: shop}', 'spec: {action: DENY, rules: [{}]}'),
      doc('security.istio.io/v1', 'PeerAuthentication', 'metadata: {name: default, namespace: weft-system}', 'spec: {mtls: {}}'),
      doc('security.istio.io/v1beta1', 'PeerAuthentication', 'metadata: {name: strict}'),
    ].join('\n---\n');
    const [allowNothing, deny, mesh, strict] = objectsOf(text);
    assert.deepEqual(allowNothing.spec, { action: 'ALLOW' });
    assert.equal(allowNothing.metadata.namespace, 'default');
    assert.deepEqual(deny.spec, { action: 'DENY', rules: [{}] });
    assert.equal(deny.apiVersion, 'security.istio.io/v1beta1');
    assert.deepEqual(mesh.spec, { mtls: { mode: 'UNSET' } });
    assert.deepEqual(strict.spec, {});
  });

  it('accepts a full policy', () => {
    objectsOf(policy(
      '  selector: {matchLabels: {app: catalog}}',
      '  action: ALLOW',
      '  rules:',
      '  - from:',
      '    - source: {principals: ["cluster.local/ns/shop/sa/web", "spiffe://cluster.local/ns/shop/sa/api"], notNamespaces: [bank]}',
      '    - source: {ipBlocks: ["10.0.0.0/8", "2001:db8::/32", "127.0.0.1"], notIpBlocks: ["10.9.0.0/16"]}',
      '    to:',
      '    - operation: {methods: [GET, HEAD], paths: ["/api/*", "*.html", "/exact", "*"], notPaths: ["/api/admin*"], hosts: ["*.shop.local", "shop.local:8080"], ports: ["8080"]}',
      '    when:',
      '    - {key: "request.headers[x-version]", values: [v1, "v2*"]}',
      '    - {key: source.namespace, notValues: [bank]}',
      '    - {key: source.ip, values: ["10.0.0.0/8"]}',
      '    - {key: remote.ip, notValues: ["192.168.0.1"]}',
      '    - {key: source.principal, values: ["*"]}',
      '    - {key: destination.port, values: ["8080"]}',
    ));
    objectsOf(peer('  selector: {matchLabels: {app: catalog}}', '  mtls: {mode: STRICT}', '  portLevelMtls:', '    8080: {mode: DISABLE}', '    "9090": {mode: PERMISSIVE}'));
  });

  it('rejects empty sources and operations, as Istio does', () => {
    assert.deepEqual(errs(policy('  rules:', '  - from: [{}]', '    to: [{operation: {}}]')), [
      'r.yaml:6:12 spec.rules[0].from[0].source: is required',
      'r.yaml:7:22 spec.rules[0].to[0].operation: must not be empty',
    ]);
  });

  it('says what is not implemented', () => {
    assert.deepEqual(errs(policy('  action: CUSTOM', '  provider: {name: ext}')), [
      'r.yaml:5:11 spec.action: action CUSTOM is not implemented: weft has no external authorization providers (hint: supported: ALLOW, DENY, AUDIT)',
      'r.yaml:6:3 spec.provider: provider is not implemented: weft has no external authorization providers (action CUSTOM)',
    ]);
    assert.deepEqual(msgs(policy('  rules: [{from: [{source: {requestPrincipals: ["*"]}}]}]')), [
      'spec.rules[0].from[0].source.requestPrincipals: requestPrincipals is not implemented: weft has no request (JWT) authentication; match the peer with principals',
    ]);
    assert.deepEqual(msgs(policy('  rules: [{when: [{key: "request.auth.claims[iss]", values: [x]}, {key: connection.sni, values: [a]}, {key: request.method, values: [GET]}]}]')), [
      'spec.rules[0].when[0].key: request.auth.claims[iss] is not implemented: weft has no request (JWT) authentication',
      'spec.rules[0].when[1].key: connection.sni is not supported by weft',
      'spec.rules[0].when[2].key: unknown condition key "request.method"',
    ]);
  });

  it('checks values: wildcards, paths, CIDRs, ports, methods, conditions', () => {
    assert.deepEqual(errs(policy(
      '  rules:',
      '  - from: [{source: {principals: ["a*b"], ipBlocks: ["10.0.0.0/33", "10.0.0.256"]}}]',
      '    to: [{operation: {paths: ["/a*b", "admin", "/%61dmin", "/a//b", "{*}/x"], ports: ["0", 8080], methods: [get]}}]',
    )), [
      // Cross-field rules run once the schema passed: the number is reported alone.
      'r.yaml:7:92 spec.rules[0].to[0].operation.ports[1]: must be a string (got the number 8080) (hint: quote it to make it a string: "8080")',
    ]);
    assert.deepEqual(errs(policy('  rules:', '  - from: [{source: {principals: ["a*b"]}}]')), [
      'r.yaml:6:35 spec.rules[0].from[0].source.principals[0]: "*" may only be the whole value, its first character (suffix match) or its last (prefix match) (got "a*b")',
    ]);
    assert.deepEqual(msgs(policy(
      '  rules:',
      '  - from: [{source: {ipBlocks: ["10.0.0.0/33", "10.0.0.256"]}}]',
      '    to: [{operation: {paths: ["/a*b", "admin", "/%61dmin", "/a//b", "{*}/x"], ports: ["0"], methods: [get]}}]',
      '    when: [{key: "request.headers[x-a]"}, {key: destination.port, values: ["http"]}]',
    )), [
      'spec.rules[0].from[0].source.ipBlocks[0]: prefix length must be 0..32 (got "10.0.0.0/33")',
      'spec.rules[0].from[0].source.ipBlocks[1]: must be an IP address or CIDR such as "10.0.0.0/8" or "2001:db8::/32" (got "10.0.0.256")',
      'spec.rules[0].to[0].operation.paths[0]: "*" may only be the whole value, its first character (suffix match) or its last (prefix match) (got "/a*b")',
      'spec.rules[0].to[0].operation.paths[1]: must start with "/" (got "admin")',
      'spec.rules[0].to[0].operation.paths[2]: must not percent-encode letters, digits or "-._~" (got "/%61dmin")',
      'spec.rules[0].to[0].operation.paths[3]: is not a normalized path, so no request can match it (got "/a//b")',
      'spec.rules[0].to[0].operation.paths[4]: path templates ("{*}", "{**}") are not implemented',
      'spec.rules[0].to[0].operation.ports[0]: must be a port number 1..65535 (got "0")',
      'spec.rules[0].to[0].operation.methods[0]: methods are case-sensitive: "get" never matches',
      'spec.rules[0].when[0].values: values or notValues is required',
      'spec.rules[0].when[1].values[0]: must be a port number 1..65535 (got "http")',
    ]);
  });

  it('checks PeerAuthentication modes, ports and selectors', () => {
    assert.deepEqual(errs(peer('  mtls: {mode: strict}')), [
      'r.yaml:5:16 spec.mtls.mode: must be one of UNSET, DISABLE, PERMISSIVE, STRICT (got the string "strict") (hint: did you mean STRICT?)',
    ]);
    assert.deepEqual(errs(peer('  portLevelMtls:', '    8080: {mode: DISABLE}', '    70000: {mode: STRICT}')), [
      'r.yaml:5:3 spec.portLevelMtls: needs spec.selector: port-level settings apply only to the workloads a selector picks (hint: add spec.selector.matchLabels, or set spec.mtls.mode for the whole namespace)',
      'r.yaml:7:5 spec.portLevelMtls["70000"]: invalid key: port must be 1..65535 (got 70000)',
    ]);
    assert.deepEqual(msgs(peer('  selector: {matchLabels: {}}', '  portLevelMtls: {http: {mode: STRICT}}')), [
      'spec.selector.matchLabels: must not be empty',
      'spec.portLevelMtls.http: invalid key: must be a port number such as 8080',
    ]);
    const root = doc('weft.dev/v1alpha1', 'PeerAuthentication', 'metadata: {name: p, namespace: weft-system}', 'spec: {selector: {matchLabels: {app: a}}}');
    assert.deepEqual(msgs(root), [
      'spec.selector: a PeerAuthentication in the root namespace weft-system applies to the whole mesh and cannot have a selector',
    ]);
  });
});

describe('Mesh security fields', () => {
  const mesh = (spec: string) => doc('weft.dev/v1alpha1', 'Mesh', 'metadata: {name: m}', `spec: ${spec}`);
  it('accepts Go durations within bounds and both outbound modes', () => {
    for (const d of ['1m', '90m', '24h', '3600s', '1h30m', '1.5h', '2160h']) objectsOf(mesh(`{certificateLifetime: "${d}"}`));
    const [m] = objectsOf(mesh('{outboundTrafficPolicy: {mode: REGISTRY_ONLY}}'));
    assert.deepEqual(m.spec, { trustDomain: 'cluster.local', outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' }, certificateLifetime: '24h', defaults: { namespace: 'default' }, pathNormalization: { escapedSlashes: 'REJECT' } });
  });
  it('rejects bad durations and modes', () => {
    assert.deepEqual(errs(mesh('{certificateLifetime: 30s}')), [
      'r.yaml:4:29 spec.certificateLifetime: must be between 1m and 2160h (90 days) (got "30s") (hint: the default is "24h")',
    ]);
    assert.deepEqual(msgs(mesh('{certificateLifetime: 91d}')), ['spec.certificateLifetime: must be a duration such as "24h", "90m", "1h30m" or "3600s" (units h, m, s, ms)']);
    assert.deepEqual(msgs(mesh('{certificateLifetime: 2161h}')), ['spec.certificateLifetime: must be between 1m and 2160h (90 days) (got "2161h")']);
    assert.deepEqual(msgs(mesh('{outboundTrafficPolicy: {mode: allow_any}}')), ['spec.outboundTrafficPolicy.mode: must be one of ALLOW_ANY, REGISTRY_ONLY (got the string "allow_any")']);
  });
  it('checks listener limits: durations in range, integers in range, no unknown fields', () => {
    const [m] = objectsOf(mesh('{listeners: {requestHeadersTimeout: 5s, idleTimeout: 1h, maxConnections: 10, maxRequestHeadersKb: 8, maxRequestHeaders: 50, maxRequestLineBytes: 4096}}'));
    assert.equal((m.spec as { listeners?: { maxConnections?: number } }).listeners?.maxConnections, 10);
    assert.deepEqual(msgs(mesh('{listeners: {requestHeadersTimeout: 10ms}}')), ['spec.listeners.requestHeadersTimeout: must be between 100ms and 1h (got "10ms")']);
    assert.deepEqual(msgs(mesh('{listeners: {idleTimeout: 48h}}')), ['spec.listeners.idleTimeout: must be between 1s and 24h (got "48h")']);
    assert.deepEqual(msgs(mesh('{listeners: {idleTimeout: soon}}')), ['spec.listeners.idleTimeout: must be a duration such as "5m" or "300s"']);
    assert.equal(msgs(mesh('{listeners: {maxConnections: 0}}')).length, 1);
    assert.equal(msgs(mesh('{listeners: {maxRequestHeaders: 1.5}}')).length, 1);
    assert.equal(msgs(mesh('{listeners: {headerTimeout: 5s}}')).length, 1);
  });
  it('parses Go durations', () => {
    assert.equal(parseGoDuration('24h'), 86_400_000);
    assert.equal(parseGoDuration('1h30m'), 5_400_000);
    assert.equal(parseGoDuration('1.5h'), 5_400_000);
    assert.equal(parseGoDuration('250ms'), 250);
    assert.equal(parseGoDuration('1h1'), undefined);
    assert.equal(parseGoDuration(''), undefined);
    assert.equal(parseGoDuration('-1h'), undefined);
  });
});

describe('TrafficPolicy', () => {
  const tp = (...spec: string[]) => ['apiVersion: weft.dev/v1alpha1', 'kind: TrafficPolicy', 'metadata: {name: p}', 'spec:', '  targetRef: {kind: Service, name: api}', ...spec].join('\n');
  it('takes each balancer with what it needs, and says what does not fit', () => {
    assert.deepEqual(msgs(tp('  loadBalancer: {type: EWMA, slowStart: {window: 30s}}')), []);
    assert.deepEqual(msgs(tp('  loadBalancer: {type: RING_HASH, hashOn: {header: x-user}, ringSize: 128}')), []);
    assert.deepEqual(msgs(tp('  loadBalancer: {type: MAGLEV, hashOn: {sourceIP: true}, tableSize: 65537}')), []);
    assert.deepEqual(msgs(tp('  loadBalancer: {type: RING_HASH}')), ['spec.loadBalancer.hashOn: is required for RING_HASH: one of header, cookie, sourceIP']);
    assert.deepEqual(msgs(tp('  loadBalancer: {type: MAGLEV, hashOn: {header: a, sourceIP: true}}')), ['spec.loadBalancer.hashOn: must name one key to hash, got header, sourceIP']);
    assert.deepEqual(msgs(tp('  loadBalancer: {type: EWMA, hashOn: {header: a}}')), ['spec.loadBalancer.hashOn: only RING_HASH and MAGLEV hash (type is EWMA)']);
    assert.deepEqual(msgs(tp('  loadBalancer: {type: MAGLEV, hashOn: {header: a}, tableSize: 65536}')), ['spec.loadBalancer.tableSize: must be a prime number (got 65536)']);
    assert.deepEqual(msgs(tp('  loadBalancer: {type: RING_HASH, hashOn: {header: a}, slowStart: {window: 1s}}')), ['spec.loadBalancer.slowStart: slow start does not apply to RING_HASH (a key\'s endpoint does not depend on load)']);
    assert.match(msgs(tp('  loadBalancer: {type: RANDOM}'))[0], /^spec\.loadBalancer\.type: must be one of/);
  });
});
