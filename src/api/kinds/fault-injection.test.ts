import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allErrors, parseDocuments } from '../load.js';
import { danglingReferences } from '../references.js';
import { faultSnapOf, grpcCodeOf } from '../fault.js';
import type { FaultInjection } from '../types.js';
import { errs, grpcRoute, msgs, objectsOf, route } from './testing.js';

const fi = (...spec: string[]) => ['apiVersion: weft.dev/v1alpha1', 'kind: FaultInjection', 'metadata: {name: slow-catalog}', 'spec:', ...spec].join('\n');
const FAULT_FILTER = '    filters: [{type: ExtensionRef, extensionRef: {group: weft.dev, kind: FaultInjection, name: slow-catalog}}]';
/** Every error of a text, the cross-object checks included (`context`: objects already stored). */
const all = (text: string, context: string[] = []) => {
  const r = parseDocuments(text, 'r.yaml');
  return allErrors(r.objects, r.errors, context.flatMap((t) => parseDocuments(t, 'stored.yaml').objects.map((o) => o.resource))).map(String);
};

describe('FaultInjection', () => {
  it('takes a delay, an abort or both, with percentages (decimals allowed) defaulting to 100', () => {
    const [o] = objectsOf(fi('  delay: {fixedDelay: 2s, percentage: 10}', '  abort: {httpStatus: 503, percentage: 0.5}', '  match: {headers: [{name: x-chaos, value: "on"}]}')) as FaultInjection[];
    assert.deepEqual(o.spec, { delay: { fixedDelay: '2s', percentage: 10 }, abort: { httpStatus: 503, percentage: 0.5 }, match: { headers: [{ type: 'Exact', name: 'x-chaos', value: 'on' }] } });
    const [d] = objectsOf(fi('  delay: {fixedDelay: 1m30s}')) as FaultInjection[];
    assert.equal(d.spec.delay?.percentage, 100);
    assert.deepEqual(msgs(fi('  abort: {grpcStatus: UNAVAILABLE}')), []);
    assert.deepEqual(msgs(fi('  abort: {grpcStatus: 14, percentage: 30}')), []);
    assert.deepEqual(msgs(fi('  abort: {grpcStatus: deadline_exceeded}')), []);
  });

  it('says at file:line what is wrong', () => {
    assert.deepEqual(errs(fi('  match: {headers: [{name: x, value: y}]}')), [
      'r.yaml:5:3 spec.delay: a FaultInjection needs a delay, an abort or both (hint: e.g. delay: { fixedDelay: 2s } or abort: { httpStatus: 503 })',
    ]);
    assert.deepEqual(errs(fi('  delay: {fixedDelay: 2s, percentage: 101}')), ['r.yaml:5:39 spec.delay.percentage: must be <= 100']);
    assert.deepEqual(msgs(fi('  abort: {httpStatus: 503, percentage: -1}')), ['spec.abort.percentage: must be >= 0']);
    assert.deepEqual(msgs(fi('  abort: {httpStatus: 100}')), ['spec.abort.httpStatus: must be >= 200']);
    assert.deepEqual(msgs(fi('  abort: {httpStatus: 600}')), ['spec.abort.httpStatus: must be <= 599']);
    assert.deepEqual(msgs(fi('  abort: {percentage: 5}')), ['spec.abort.httpStatus: an abort needs httpStatus or grpcStatus']);
    assert.deepEqual(errs(fi('  abort: {httpStatus: 503, grpcStatus: UNAVAILABLE}')), [
      'r.yaml:5:28 spec.abort.grpcStatus: httpStatus and grpcStatus cannot both be set (hint: keep one: a gRPC call aborted with httpStatus gets the gRPC status of that HTTP status (503: UNAVAILABLE))',
    ]);
    assert.match(msgs(fi('  abort: {grpcStatus: UNAVAILBLE}'))[0], /^spec\.abort\.grpcStatus: must be a gRPC status name or a number from 0 to 16 \(got "UNAVAILBLE"\)$/);
    assert.match(msgs(fi('  abort: {grpcStatus: 17}'))[0], /^spec\.abort\.grpcStatus: must be a gRPC status name or a number from 0 to 16 \(got 17\)$/);
    assert.match(msgs(fi('  delay: {fixedDelay: 2}'))[0], /^spec\.delay\.fixedDelay: must be a string \(got the number 2\)/);
    assert.match(msgs(fi('  delay: {fixedDelay: 1.5s}'))[0], /^spec\.delay\.fixedDelay: must be a Gateway API duration/);
    assert.deepEqual(msgs(fi('  delay: {fixedDelay: 0s}')), ['spec.delay.fixedDelay: must be longer than 0s']);
    assert.deepEqual(msgs(fi('  delay: {percentage: 5}')), ['spec.delay.fixedDelay: is required']);
    assert.deepEqual(msgs(fi('  delay: {fixedDelay: 1s, exponentialDelay: 1s}')), ['spec.delay.exponentialDelay: exponentialDelay is not implemented (Istio does not implement it either); use fixedDelay']);
    assert.deepEqual(msgs(fi('  abort: {httpStatus: 503}', '  match: {headers: [{name: X-A, value: "1"}, {name: x-a, value: "2"}]}')), ['spec.match.headers[1].name: header "x-a" is matched twice (names are case-insensitive)']);
    assert.match(msgs(fi('  abort: {httpStatus: 503}', '  match: {headers: [{type: RegularExpression, name: x-a, value: "(a+)+\\\\1"}]}'))[0], /^spec\.match\.headers\[0\]\.value: invalid regular expression/);
    assert.deepEqual(msgs(fi('  abort: {httpStatus: 503}', '  match: {headers: [{type: RegularExpression, name: x-a, value: "on|yes"}]}')), []);
  });

  it('resolves into what the proxy runs: milliseconds, percentages, the gRPC status as a number', () => {
    assert.equal(grpcCodeOf('UNAVAILABLE'), 14);
    assert.equal(grpcCodeOf('unavailable'), 14);
    assert.equal(grpcCodeOf(4), 4);
    assert.equal(grpcCodeOf('NOPE'), undefined);
    const [o] = objectsOf(fi('  delay: {fixedDelay: 1m500ms, percentage: 12.5}', '  abort: {grpcStatus: RESOURCE_EXHAUSTED}', '  match: {headers: [{name: x-chaos, value: "on"}]}')) as FaultInjection[];
    assert.deepEqual(faultSnapOf('default/slow-catalog', o), {
      ref: 'default/slow-catalog', delay: { ms: 60_500, percent: 12.5 }, abort: { grpcStatus: 8, percent: 100 }, headers: [{ type: 'Exact', name: 'x-chaos', value: 'on' }],
    });
    assert.deepEqual(faultSnapOf('default/gone', undefined), { ref: 'default/gone', missing: true });
  });
});

describe('ExtensionRef filters', () => {
  const withFault = (filters = FAULT_FILTER) => route('  parentRefs: [{name: gw}]', '  rules:', '  - backendRefs: [{name: catalog, port: 80}]', filters);
  it('are taken on HTTPRoute and GRPCRoute rules when they name a FaultInjection', () => {
    assert.deepEqual(msgs(withFault()), []);
    assert.deepEqual(msgs(grpcRoute('  parentRefs: [{name: gw}]', '  rules:', '  - backendRefs: [{name: catalog, port: 80}]', FAULT_FILTER)), []);
  });

  it('refuse an extension weft does not have, a repeated one, and one on a backendRef', () => {
    assert.deepEqual(errs(withFault('    filters: [{type: ExtensionRef, extensionRef: {group: example.com, kind: Foo, name: x}}]')), [
      'r.yaml:8:58 spec.rules[0].filters[0].extensionRef.group: weft has no extension filter of group "example.com" and kind "Foo" (hint: the one ExtensionRef weft implements is { group: weft.dev, kind: FaultInjection, name: <a FaultInjection in the route\'s namespace> })',
    ]);
    assert.deepEqual(msgs(withFault('    filters: [{type: ExtensionRef, extensionRef: {group: weft.dev, kind: Fault, name: x}}]')), [
      'spec.rules[0].filters[0].extensionRef.kind: weft has no extension filter of group "weft.dev" and kind "Fault"',
    ]);
    assert.deepEqual(msgs(withFault('    filters: [{type: ExtensionRef}]')), ['spec.rules[0].filters[0].extensionRef: is required when type is ExtensionRef']);
    assert.deepEqual(msgs(withFault('    filters: [{type: ExtensionRef, extensionRef: {group: weft.dev, name: x}}]')), ['spec.rules[0].filters[0].extensionRef.kind: is required']);
    assert.deepEqual(msgs(withFault('    filters: [{type: ExtensionRef, extensionRef: {group: weft.dev, kind: FaultInjection, name: a}}, {type: ExtensionRef, extensionRef: {group: weft.dev, kind: FaultInjection, name: b}}]')), [
      'spec.rules[0].filters[1].type: ExtensionRef filter cannot be repeated',
    ]);
    assert.deepEqual(msgs(route('  parentRefs: [{name: gw}]', '  rules: [{backendRefs: [{name: a, filters: [{type: ExtensionRef, extensionRef: {group: weft.dev, kind: FaultInjection, name: x}}]}]}]')), [
      'spec.rules[0].backendRefs[0].filters[0].type: a FaultInjection on a backendRef is not implemented by weft',
    ]);
  });

  it('must name a FaultInjection of the route\'s namespace, in the input or already stored', () => {
    assert.deepEqual(all(`${fi('  abort: {httpStatus: 503}')}\n---\n${withFault()}`), []);
    assert.deepEqual(all(withFault(), [fi('  abort: {httpStatus: 503}')]), []);
    assert.deepEqual(all(withFault()), [
      "r.yaml:8:96 spec.rules[0].filters[0].extensionRef.name: FaultInjection default/slow-catalog does not exist (hint: namespace default has no FaultInjection; define it (weft apply, or in the same file) in the route's namespace)",
    ]);
    const other = fi('  abort: {httpStatus: 503}').replace('metadata: {name: slow-catalog}', 'metadata: {name: slow-catalog, namespace: chaos}');
    const near = fi('  abort: {httpStatus: 503}').replace('slow-catalog', 'slow-cart');
    assert.deepEqual(all(`${other}\n---\n${near}\n---\n${withFault()}`).map((e) => e.replace(/^.*?: /, '')), [
      'FaultInjection default/slow-catalog does not exist (hint: namespace default has slow-cart)',
    ]);
  });

  it('to a FaultInjection that is gone are dangling references that fail requests', () => {
    const objects = objectsOf(withFault());
    const d = danglingReferences(objects).filter((x) => x.missing === 'faultinjection');
    assert.deepEqual(d.map((x) => [x.severity, x.key, x.target, x.message]), [
      ['error', 'HTTPRoute/default/r', 'FaultInjection default/slow-catalog', 'HTTPRoute default/r: rules[0].filters[0] names FaultInjection default/slow-catalog, which does not exist'],
    ]);
    assert.match(d[0].hint, /500 filter-not-found/);
    assert.deepEqual(danglingReferences([...objects, ...objectsOf(fi('  abort: {httpStatus: 503}'))]).filter((x) => x.missing === 'faultinjection'), []);
  });
});
