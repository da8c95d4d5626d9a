import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errs, msgs, objectsOf } from './testing.js';
import { parseDocuments } from '../load.js';
import { validateSet } from '../set.js';
import { danglingReferences } from '../references.js';
import type { RateLimitPolicy } from '../types.js';

const rl = (...spec: string[]) => ['apiVersion: weft.dev/v1alpha1', 'kind: RateLimitPolicy', 'metadata: {name: p}', 'spec:', ...spec].join('\n');
const wl = (...limits: string[]) => rl('  targetRef: {kind: Workload, name: catalog}', '  limits:', ...limits.map((l) => `  - ${l}`));

describe('RateLimitPolicy', () => {
  it('takes limits on a Workload, an HTTPRoute or a GRPCRoute, with burst and by defaulted', () => {
    const [p] = objectsOf(rl(
      '  targetRef: {group: gateway.networking.k8s.io, kind: HTTPRoute, name: web}',
      '  limits:',
      '  - {requests: 100, per: 1s}',
      '  - {requests: 5, per: 1m, burst: 20, by: sourcePrincipal, match: {path: {type: PathPrefix, value: /search}, headers: [{name: x-tier, value: free}]}}',
      '  - {requests: 1, per: 1ms, by: {header: X-User-Id}}',
      '  - {requests: 1, per: 1h, by: path}',
      '  - {requests: 1, per: 1h, by: sourceIP}',
    )) as RateLimitPolicy[];
    assert.deepEqual(p.spec.limits.map((l) => [l.burst, l.by]), [[undefined, 'none'], [20, 'sourcePrincipal'], [undefined, { header: 'X-User-Id' }], [undefined, 'path'], [undefined, 'sourceIP']]);
    assert.deepEqual(msgs(rl('  targetRef: {kind: GRPCRoute, name: g}', '  limits: [{requests: 1, per: 1s}]')), []);
    assert.deepEqual(msgs(rl('  targetRef: {group: weft.dev, kind: Workload, name: w}', '  limits: [{requests: 1, per: 1s}]')), []);
  });

  it('refuses a limit that cannot work, at its file:line', () => {
    assert.deepEqual(errs(wl('{requests: 0, per: 1s}')), ['r.yaml:7:16 spec.limits[0].requests: must be >= 1']);
    assert.deepEqual(errs(wl('{requests: 10, per: 0s}')), ['r.yaml:7:25 spec.limits[0].per: must be at least 1ms (got 0s) (hint: e.g. per: 1s for requests per second)']);
    assert.deepEqual(errs(wl('{requests: 10, per: 1 second}')).map((e) => e.split(' (')[0]), ['r.yaml:7:25 spec.limits[0].per: must be a Gateway API duration such as "10s", "500ms" or "1m30s"']);
    assert.deepEqual(errs(wl('{requests: 10, per: 1s, burst: 5}')), ['r.yaml:7:36 spec.limits[0].burst: must be >= requests (10): the bucket must hold what one period adds (got 5) (hint: leave burst out for 10, or raise it)']);
    assert.deepEqual(msgs(wl('{requests: 10, per: 1s, by: sourceprincipal}')), ['spec.limits[0].by: must be one of none, sourcePrincipal, sourceIP, path, or {header: NAME} (got "sourceprincipal")']);
    assert.match(errs(wl('{requests: 10, per: 1s, by: sourcePrincpal}'))[0], /hint: did you mean sourcePrincipal\?/);
    assert.match(errs(wl('{requests: 10, per: 1s, by: "header: x-user"}'))[0], /hint: write a header as a mapping: by: \{header: x-user-id\}/);
    assert.deepEqual(msgs(wl('{requests: 10, per: 1s, by: {header: "x user"}}')).map((m) => m.split(':')[0]), ['spec.limits[0].by.header']);
    assert.deepEqual(msgs(wl('{requests: 10, per: 1s, by: {cookie: session}}')), ['spec.limits[0].by.header: is required', 'spec.limits[0].by.cookie: unknown field']);
    assert.deepEqual(msgs(wl('{requests: 10, per: 1s, by: 3}')), ['spec.limits[0].by: must be a string or a mapping (got the number 3)']);
    assert.deepEqual(msgs(wl('{requests: 10, per: 1s, match: {path: {type: PathPrefix, value: search}}}')), ['spec.limits[0].match.path.value: must be an absolute path and start with "/" for Exact and PathPrefix matches']);
    assert.match(msgs(wl('{requests: 10, per: 1s, match: {headers: [{type: RegularExpression, name: x, value: "(a"}]}}'))[0], /^spec\.limits\[0\]\.match\.headers\[0\]\.value: invalid regular expression/);
    assert.deepEqual(msgs(rl('  targetRef: {kind: Workload, name: w}', '  limits: []')), ['spec.limits: must have at least 1 item']);
    assert.deepEqual(msgs(rl('  targetRef: {kind: Workload, name: w}')), ['spec.limits: is required']);
  });

  it('says which Envoy Gateway and Gateway API shapes to write instead', () => {
    assert.deepEqual(msgs(wl('{requests: 10, unit: Second}')), ['spec.limits[0].per: is required', 'spec.limits[0].unit: use per: a duration ("1s", "1m", "1h") instead of a unit name']);
    assert.deepEqual(msgs(rl('  targetRef: {kind: Service, name: s}', '  limits: [{requests: 1, per: 1s}]')), ['spec.targetRef.kind: target the Workload (its inbound side) or the routes that send traffic to the Service']);
    assert.deepEqual(msgs(rl('  targetRef: {kind: Workload, name: w, sectionName: a}', '  limits: [{requests: 1, per: 1s}]')), ['spec.targetRef.sectionName: a limit applies to every rule of its route; use match to narrow it']);
    assert.deepEqual(msgs(rl('  targetRef: {group: weft.dev, kind: HTTPRoute, name: r}', '  limits: [{requests: 1, per: 1s}]')), ['spec.targetRef.group: HTTPRoute is in group gateway.networking.k8s.io, not weft.dev']);
  });

  it('its target must exist, in the same input or already stored', () => {
    const workload = 'apiVersion: weft.dev/v1alpha1\nkind: Workload\nmetadata: {name: catalog}\nspec: {command: node}\n';
    const set = (text: string, context: Parameters<typeof validateSet>[1] = []) => {
      const r = parseDocuments(text, 'set.yaml');
      assert.deepEqual(r.errors.map(String), []);
      return validateSet(r.objects, context).map(String);
    };
    assert.deepEqual(set(`${workload}---\n${wl('{requests: 1, per: 1s}')}`), []);
    assert.deepEqual(set(wl('{requests: 1, per: 1s}')), ['set.yaml:5:37 spec.targetRef.name: Workload default/catalog does not exist (hint: namespace default has no Workload; define it in the same input or apply it first)']);
    assert.deepEqual(set(`${workload.replace('catalog', 'catalogue')}---\n${wl('{requests: 1, per: 1s}')}`), ['set.yaml:10:37 spec.targetRef.name: Workload default/catalog does not exist (hint: namespace default has Workload catalogue)']);
    const stored = parseDocuments(workload, 'old.yaml').objects.map((o) => o.resource);
    assert.deepEqual(set(wl('{requests: 1, per: 1s}'), stored), []);
    // Deleting the target later leaves the policy dangling: a warning on apply/delete, a FAIL in weft check.
    const policy = parseDocuments(wl('{requests: 1, per: 1s}'), 'p.yaml').objects.map((o) => o.resource);
    assert.deepEqual(danglingReferences(policy).map((d) => [d.severity, d.target, d.message]), [
      ['error', 'Workload default/catalog', 'RateLimitPolicy default/p: targetRef names Workload default/catalog, which does not exist'],
    ]);
    assert.deepEqual(danglingReferences([...stored, ...policy]), []);
  });
});
