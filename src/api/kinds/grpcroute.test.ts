import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDocuments } from '../load.js';
import { validateSet } from '../set.js';
import { danglingReferences } from '../references.js';
import type { GRPCRoute } from '../types.js';
import { errs, grpcRoute, msgs, objectsOf } from './testing.js';

const gw = '  parentRefs: [{name: gw}]';
const match = (m: string) => msgs(grpcRoute(gw, '  rules:', `  - matches: [${m}]`));

describe('GRPCRoute', () => {
  it('loads with its defaults filled in: method type Exact, one catch-all match, weight 1, Gateway parent', () => {
    const [r] = objectsOf(grpcRoute(
      gw,
      '  hostnames: [grpc.example.com]',
      '  rules:',
      '  - matches: [{method: {service: helloworld.Greeter, method: SayHello}, headers: [{name: x-env, value: canary}]}]',
      '    backendRefs: [{name: greeter-v2, port: 50051}]',
      '  - backendRefs: [{name: greeter, port: 50051}]',
    )) as GRPCRoute[];
    assert.equal(r.kind, 'GRPCRoute');
    assert.equal(r.metadata.namespace, 'default');
    assert.equal(r.spec.parentRefs[0].kind, 'Gateway');
    assert.deepEqual(r.spec.rules[0].matches, [{ method: { type: 'Exact', service: 'helloworld.Greeter', method: 'SayHello' }, headers: [{ type: 'Exact', name: 'x-env', value: 'canary' }] }]);
    assert.deepEqual(r.spec.rules[1].matches, [{}], 'no matches: every call');
    assert.equal(r.spec.rules[1].backendRefs![0].weight, 1);
  });

  it('needs a service or a method in a method match', () => {
    assert.deepEqual(match('{method: {service: a.B}}'), []);
    assert.deepEqual(match('{method: {method: Get}}'), []);
    assert.deepEqual(match('{method: {}}'), ["spec.rules[0].matches[0].method: one or both of 'service' or 'method' must be specified"]);
    assert.deepEqual(match('{method: {type: RegularExpression}}'), ["spec.rules[0].matches[0].method: one or both of 'service' or 'method' must be specified"]);
    assert.deepEqual(match('{method: {service: ""}}'), ['spec.rules[0].matches[0].method.service: must not be empty']);
  });

  it('takes only gRPC names for Exact service and method (the Gateway API CEL rules)', () => {
    for (const ok of ['helloworld.Greeter', 'Greeter', '.grpc.health.v1.Health', '_a.b_2.C']) assert.deepEqual(match(`{method: {service: "${ok}"}}`), [], ok);
    for (const bad of ['a..b', '1pkg.Svc', 'pkg.Svc.', 'pkg-x.Svc', 'pkg.*', 'a b']) {
      assert.match(match(`{method: {service: "${bad}"}}`)[0], /^spec\.rules\[0\]\.matches\[0\]\.method\.service: must be a gRPC service name for an Exact match/, bad);
    }
    for (const ok of ['SayHello', '_x', 'Get2']) assert.deepEqual(match(`{method: {method: "${ok}"}}`), [], ok);
    for (const bad of ['2Get', 'Say.Hello', 'Get*', 'say-hello']) {
      assert.match(match(`{method: {method: "${bad}"}}`)[0], /^spec\.rules\[0\]\.matches\[0\]\.method\.method: must be a gRPC method name for an Exact match/, bad);
    }
    // "/" is the separator of the path the call is sent to: say which field is which.
    assert.deepEqual(errs(grpcRoute(gw, '  rules:', '  - matches: [{method: {service: helloworld.Greeter/SayHello}}]')), [
      'r.yaml:7:34 spec.rules[0].matches[0].method.service: must be a gRPC service name for an Exact match: "."-separated parts of letters, digits and "_", each starting with a letter or "_" (e.g. "helloworld.Greeter") (hint: the service and the method are separate fields: service: pkg.Service, method: Method)',
    ]);
    assert.equal(match(`{method: {service: "${'a'.repeat(1025)}"}}`)[0], 'spec.rules[0].matches[0].method.service: must be at most 1024 characters (got 1025)');
  });

  it('checks RegularExpression service and method patterns: they compile, run in linear time, and have no anchors', () => {
    assert.deepEqual(match('{method: {type: RegularExpression, service: "helloworld\\\\..*", method: "Say.*|Get[A-Z]+"}}'), []);
    assert.deepEqual(match('{method: {type: RegularExpression, service: "[^$]+"}}'), [], 'inside a class "^" and "$" are characters');
    assert.deepEqual(match('{method: {type: RegularExpression, service: "a\\\\$b"}}'), [], 'escaped');
    assert.deepEqual(errs(grpcRoute(gw, '  rules:', '  - matches: [{method: {type: RegularExpression, method: "^Say.*$"}}]')), [
      'r.yaml:7:58 spec.rules[0].matches[0].method.method: must not use the anchors "^" or "$": the pattern is always matched against the whole name (hint: e.g. "Say.*")',
    ]);
    assert.deepEqual(match('{method: {type: RegularExpression, service: "(a"}}'), ['spec.rules[0].matches[0].method.service: invalid regular expression: Unterminated group']);
    assert.match(match('{method: {type: RegularExpression, method: "(a)\\\\1"}}')[0], /method\.method: invalid regular expression: cannot be matched in linear time/);
  });

  it('checks header matches as HTTPRoute does: names once (case-insensitive), regexes that compile', () => {
    assert.deepEqual(match('{headers: [{name: x-a, value: "1"}, {type: RegularExpression, name: x-b, value: "v[0-9]+"}]}'), []);
    assert.deepEqual(match('{headers: [{name: X-A, value: "1"}, {name: x-a, value: "2"}]}'), ['spec.rules[0].matches[0].headers[1].name: header "x-a" is matched twice (names are case-insensitive)']);
    assert.deepEqual(match('{headers: [{type: RegularExpression, name: x, value: "(a"}]}'), ['spec.rules[0].matches[0].headers[0].value: invalid regular expression: Unterminated group']);
    assert.deepEqual(match('{headers: [{type: Prefix, name: x, value: a}]}'), ['spec.rules[0].matches[0].headers[0].type: must be one of Exact, RegularExpression (got the string "Prefix")']);
  });

  it('enforces the Gateway API limits: 8 matches a rule, 16 rules, 128 matches in all, 16 headers', () => {
    const many = (n: number, item: string) => `[${Array.from({ length: n }, (_, i) => item.replace('$i', String(i))).join(', ')}]`;
    assert.deepEqual(msgs(grpcRoute(gw, `  rules: [{matches: ${many(9, '{method: {method: M$i}}')}}]`)), ['spec.rules[0].matches: must have at most 8 items (got 9)']);
    assert.deepEqual(msgs(grpcRoute(gw, `  rules: ${many(17, '{name: r$i}')}`)), ['spec.rules: must have at most 16 items (got 17)']);
    assert.deepEqual(msgs(grpcRoute(gw, `  rules: [{matches: [{headers: ${many(17, '{name: h$i, value: v}')}}]}]`)), ['spec.rules[0].matches[0].headers: must have at most 16 items (got 17)']);
    assert.deepEqual(msgs(grpcRoute(gw, '  rules: [{name: a}, {name: a}]')), ['spec.rules[1].name: rule name must be unique within the route']);
  });

  it('requires parentRefs and at least one rule', () => {
    assert.deepEqual(msgs(grpcRoute('  rules: [{}]')), ['spec.parentRefs: is required']);
    assert.deepEqual(msgs(grpcRoute(gw)), ['spec.rules: is required']);
    assert.deepEqual(msgs(grpcRoute(gw, '  rules: []')), ['spec.rules: must have at least 1 item']);
    assert.deepEqual(msgs(grpcRoute('  parentRefs: [{name: gw}, {name: gw}]', '  rules: [{}]')), [
      'spec.parentRefs[1]: sectionName or port must be unique when parentRefs includes 2 or more references to the same parent',
    ]);
    assert.deepEqual(msgs(grpcRoute('  parentRefs: [{kind: Service, group: "", name: greeter, port: 50051}]', '  hostnames: ["10.0.0.1"]', '  rules: [{}]')), ['spec.hostnames[0]: must be a DNS name, not an IP address']);
  });

  it('takes the filters GRPCRoute has, with HTTPRoute\'s rules for them, and says what it has not', () => {
    const f = (...x: string[]) => msgs(grpcRoute(gw, '  rules:', '  - filters:', ...x));
    assert.deepEqual(f(
      '    - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x-a, value: "1"}]}}',
      '    - {type: ResponseHeaderModifier, responseHeaderModifier: {remove: [x-b]}}',
      '    - {type: RequestMirror, requestMirror: {backendRef: {name: shadow, port: 50051}, percent: 5}}',
      '    - {type: RequestMirror, requestMirror: {backendRef: {name: shadow2}}}',
    ), []);
    assert.deepEqual(f('    - {type: RequestHeaderModifier, requestHeaderModifier: {remove: [a]}}', '    - {type: RequestHeaderModifier, requestHeaderModifier: {remove: [b]}}'), ['spec.rules[0].filters[1].type: RequestHeaderModifier filter cannot be repeated']);
    assert.deepEqual(f('    - {type: RequestHeaderModifier}'), ['spec.rules[0].filters[0].requestHeaderModifier: is required when type is RequestHeaderModifier']);
    assert.deepEqual(errs(grpcRoute(gw, '  rules:', '  - filters: [{type: URLRewrite}]')), [
      'r.yaml:7:22 spec.rules[0].filters[0].type: GRPCRoute has no URLRewrite filter (an HTTPRoute has) (hint: supported: RequestHeaderModifier, ResponseHeaderModifier, RequestMirror, ExtensionRef)',
    ]);
    assert.deepEqual(f('    - {type: ExtensionRef, extensionRef: {group: x, kind: y, name: z}}'), [
      'spec.rules[0].filters[0].extensionRef.group: weft has no extension filter of group "x" and kind "y"',
    ]);
    assert.deepEqual(msgs(grpcRoute(gw, '  rules: [{backendRefs: [{name: a, filters: [{type: RequestMirror, requestMirror: {backendRef: {name: b}}}]}]}]')), [
      'spec.rules[0].backendRefs[0].filters[0].type: RequestMirror on a backendRef is not implemented by weft',
    ]);
    assert.deepEqual(msgs(grpcRoute(gw, '  rules: [{sessionPersistence: {}}]')), ['spec.rules[0].sessionPersistence: session persistence is not implemented by weft']);
  });

  it('takes backendRefs with weights, checked as HTTPRoute\'s', () => {
    assert.deepEqual(msgs(grpcRoute(gw, '  rules: [{backendRefs: [{name: a, port: 50051, weight: 90}, {name: b, port: 50051, weight: 10}]}]')), []);
    assert.deepEqual(msgs(grpcRoute(gw, '  rules: [{backendRefs: [{name: a, weight: -1}]}]')), ['spec.rules[0].backendRefs[0].weight: must be >= 0']);
    assert.deepEqual(msgs(grpcRoute(gw, '  rules: [{backendRefs: [{kind: Pod, name: a}]}]')).map((m) => m.split(':')[0]), ['spec.rules[0].backendRefs[0].kind']);
  });

  it('takes HTTPRoute\'s retry and timeouts (weft), not gRPC status codes yet', () => {
    const t = (x: string) => msgs(grpcRoute(gw, '  rules:', `  - ${x}`));
    assert.deepEqual(t('{retry: {attempts: 3, retryOn: [connect-failure]}, timeouts: {request: 5s, backendRequest: 1s}}'), []);
    assert.deepEqual(t('{timeouts: {request: 1s, backendRequest: 2s}}'), ['spec.rules[0].timeouts.backendRequest: must not be longer than timeouts.request (1s), got "2s"']);
    assert.deepEqual(t('{retry: {backoff: 1s, maxBackoff: 10ms}}'), ['spec.rules[0].retry.maxBackoff: must not be shorter than backoff (1s), got "10ms"']);
    assert.deepEqual(t('{retry: {grpcStatuses: [UNAVAILABLE]}}'), ['spec.rules[0].retry.grpcStatuses: gRPC statuses go in retryOn: cancelled, deadline-exceeded, resource-exhausted, unavailable']);
  });

  it('checks references to Services and Gateways of the same input', () => {
    const text = [
      'apiVersion: v1', 'kind: Service', 'metadata: {name: greeter}', 'spec: {selector: {app: greeter}, ports: [{name: grpc, port: 50051}, {name: admin, port: 9000}]}',
      '---',
      grpcRoute('  parentRefs: [{kind: Service, group: "", name: greeter, port: 50052}]', '  rules:', '  - backendRefs: [{name: greeter}]', '    filters: [{type: RequestMirror, requestMirror: {backendRef: {name: greeter, port: 1}}}]'),
    ].join('\n');
    const loaded = parseDocuments(text, 'r.yaml');
    assert.deepEqual(loaded.errors.map(String), []);
    assert.deepEqual(validateSet(loaded.objects).map(String), [
      'r.yaml:10:64 spec.parentRefs[0].port: Service default/greeter has no port 50052 (hint: its ports: 50051 (grpc), 9000 (admin))',
      'r.yaml:12:19 spec.rules[0].backendRefs[0].port: is required: Service default/greeter has 2 ports (hint: its ports: 50051 (grpc), 9000 (admin))',
      'r.yaml:13:87 spec.rules[0].filters[0].requestMirror.backendRef.port: Service default/greeter has no port 1 (hint: its ports: 50051 (grpc), 9000 (admin))',
    ]);
  });

  it('reports references to missing Services and Gateways as HTTPRoute\'s are (weft apply warnings, weft check)', () => {
    const objs = objectsOf(grpcRoute('  parentRefs: [{name: edge}, {kind: Service, name: greeter}]', '  rules: [{backendRefs: [{name: greeter-v2, port: 50051}]}]'));
    assert.deepEqual(danglingReferences(objs).map((d) => [d.object, d.missing, d.message]), [
      ['GRPCRoute default/g', 'gateway', 'GRPCRoute default/g: parentRefs[0] names Gateway default/edge, which does not exist'],
      ['GRPCRoute default/g', 'service', 'GRPCRoute default/g: parentRefs[1] names Service default/greeter, which does not exist'],
      ['GRPCRoute default/g', 'service', 'GRPCRoute default/g: rules[0].backendRefs[0] names Service default/greeter-v2, which does not exist'],
    ]);
  });
});
