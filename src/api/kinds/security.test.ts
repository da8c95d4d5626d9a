import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errs, msgs, doc, policy, peer, objectsOf } from './testing.js';

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
