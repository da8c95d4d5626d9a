import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { makeLeaf, makeTestCa, type TestCa, type TestLeaf } from '../../control/ca/fixtures.js';
import { allErrors, parseDocuments } from '../load.js';
import { danglingReferences } from '../references.js';
import type { Secret } from '../types.js';
import { secretCovers, secretExpiry, secretWarnings, tlsPair, withoutSecretValues } from './secret.js';

/** PEM text as an indented YAML block scalar. */
const block = (pem: string, indent = '    ') => `|\n${pem.trimEnd().split('\n').map((l) => indent + l).join('\n')}`;
const b64 = (s: string) => Buffer.from(s).toString('base64');

const secretDoc = (name: string, body: string[], ns?: string) => [
  'apiVersion: v1',
  'kind: Secret',
  `metadata: {name: ${name}${ns !== undefined ? `, namespace: ${ns}` : ''}}`,
  'type: kubernetes.io/tls',
  ...body,
].join('\n');
const tlsSecret = (name: string, leaf: TestLeaf, ns?: string) => secretDoc(name, ['stringData:', `  tls.crt: ${block(leaf.chainPem.join(''))}`, `  tls.key: ${block(leaf.keyPem)}`], ns);
const gatewayDoc = (refs: string, ns?: string) => [
  'apiVersion: gateway.networking.k8s.io/v1',
  'kind: Gateway',
  `metadata: {name: edge${ns !== undefined ? `, namespace: ${ns}` : ''}}`,
  'spec:',
  '  listeners:',
  `  - {name: https, port: 8443, protocol: HTTPS, tls: {certificateRefs: ${refs}}}`,
].join('\n');

const errs = (text: string) => parseDocuments(text, 's.yaml').errors.map(String);
const loaded = (text: string) => {
  const r = parseDocuments(text, 's.yaml');
  assert.deepEqual(r.errors.map(String), []);
  return r.objects.map((o) => o.resource);
};

let ca: TestCa;
let leaf: TestLeaf;
let other: TestLeaf;
let expired: TestLeaf;

before(async () => {
  ca = await makeTestCa();
  leaf = await makeLeaf(ca, { dns: ['shop.example.com'] });
  other = await makeLeaf(ca, { dns: ['other.example.com'] });
  const hour = 3600_000;
  expired = await makeLeaf(ca, { dns: ['old.example.com'], notBefore: new Date(Date.now() - 48 * hour), notAfter: new Date(Date.now() - 24 * hour) });
});

describe('Secret (kubernetes.io/tls)', () => {
  it('loads from stringData (PEM text) and from data (base64); stringData wins for the same key', () => {
    const [a] = loaded(tlsSecret('a', leaf)) as Secret[];
    assert.equal(tlsPair(a)?.keyPem.trim(), leaf.keyPem.trim());
    assert.equal(a.metadata.namespace, 'default');
    const [b] = loaded(secretDoc('b', ['data:', `  tls.crt: ${b64(leaf.chainPem.join(''))}`, `  tls.key: ${b64(leaf.keyPem)}`])) as Secret[];
    assert.equal(tlsPair(b)?.certPem, leaf.chainPem.join(''));
    // A broken data value is overridden by stringData, as the API server merges them.
    const [c] = loaded(secretDoc('c', ['data:', `  tls.key: ${b64(other.keyPem)}`, '  ca.crt: Zm9v', 'stringData:', `  tls.crt: ${block(leaf.certPem)}`, `  tls.key: ${block(leaf.keyPem)}`])) as Secret[];
    assert.equal(tlsPair(c)?.keyPem.trim(), leaf.keyPem.trim());
    // Base64 wrapped over lines (as `base64` prints it) is fine.
    const wrapped = b64(leaf.certPem).replace(/(.{76})/g, '$1\n');
    loaded(secretDoc('d', ['data:', `  tls.crt: ${block(wrapped)}`, `  tls.key: ${b64(leaf.keyPem)}`]));
  });

  it('refuses at file:line: a missing key, bad base64, no certificate, a key of another certificate, an encrypted key', () => {
    assert.deepEqual(errs(secretDoc('s', ['stringData:', `  tls.crt: ${block(leaf.certPem)}`])), [
      's.yaml:6:3 stringData["tls.key"]: is required (hint: a kubernetes.io/tls Secret holds tls.crt (the PEM certificate chain) and tls.key (its PEM private key), base64 in data or as text in stringData)',
    ]);
    assert.match(errs(secretDoc('s', ['data:', '  tls.crt: "not base64!"', `  tls.key: ${b64(leaf.keyPem)}`])).join('\n'), /^s\.yaml:6:\d+ data\["tls\.crt"\]: is not base64/);
    assert.match(errs(secretDoc('s', ['stringData:', '  tls.crt: hello', `  tls.key: ${block(leaf.keyPem)}`])).join('\n'), /^s\.yaml:6:\d+ stringData\["tls\.crt"\]: holds no PEM certificate/);
    const mismatch = errs(secretDoc('s', ['stringData:', `  tls.crt: ${block(leaf.certPem)}`, `  tls.key: ${block(other.keyPem)}`]));
    assert.equal(mismatch.length, 1);
    assert.match(mismatch[0], /^s\.yaml:\d+:\d+ stringData\["tls\.key"\]: does not belong to the first certificate of tls\.crt .*shop\.example\.com/);
    const garbled = leaf.certPem.replace(/\n(.{10})/, '\nAAAAAAAAAA');
    assert.match(errs(secretDoc('s', ['stringData:', `  tls.crt: ${block(garbled)}`, `  tls.key: ${block(leaf.keyPem)}`])).join('\n'), /certificate 1 of 1 is not a valid X\.509 certificate/);
    const encrypted = '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAh2\n-----END ENCRYPTED PRIVATE KEY-----\n';
    assert.match(errs(secretDoc('s', ['stringData:', `  tls.crt: ${block(leaf.certPem)}`, `  tls.key: ${block(encrypted)}`])).join('\n'), /stringData\["tls\.key"\]: is an encrypted private key/);
    // The chain goes leaf first: an intermediate before the leaf is refused.
    const reversed = secretDoc('s', ['stringData:', `  tls.crt: ${block(ca.intermediatePem + leaf.certPem)}`, `  tls.key: ${block(leaf.keyPem)}`]);
    assert.match(errs(reversed).join('\n'), /does not belong to the first certificate/);
    const wrongOrder = secretDoc('s', ['stringData:', `  tls.crt: ${block(leaf.certPem + other.certPem)}`, `  tls.key: ${block(leaf.keyPem)}`]);
    assert.match(errs(wrongOrder).join('\n'), /certificate 2 of tls\.crt did not issue certificate 1/);
  });

  it('no error message quotes a value', () => {
    const all = [
      ...errs(secretDoc('s', ['stringData:', `  tls.crt: ${block(leaf.certPem)}`, `  tls.key: ${block(other.keyPem)}`])),
      ...errs(secretDoc('s', ['data:', `  tls.crt: "${b64(leaf.certPem)}!"`, `  tls.key: ${b64(leaf.keyPem)}`])),
    ];
    assert.equal(all.length, 2);
    for (const e of all) {
      assert.doesNotMatch(e, /BEGIN|PRIVATE|MI[A-Za-z0-9+/]{20}/, e);
    }
  });

  it('other Secret types, a spec, and unknown fields are refused with a reason', () => {
    assert.deepEqual(errs(['apiVersion: v1', 'kind: Secret', 'metadata: {name: s}', 'type: Opaque', 'data: {password: Zm9v}'].join('\n')), [
      's.yaml:4:7 type: weft reads Secrets of type kubernetes.io/tls only (certificates for Gateway listeners) (hint: supported: kubernetes.io/tls)',
    ]);
    assert.match(errs(['apiVersion: v1', 'kind: Secret', 'metadata: {name: s}', 'data: {}'].join('\n')).join('\n'), /type: is required/);
    assert.match(errs(secretDoc('s', ['spec: {}'])).join('\n'), /spec: a Secret has no spec/);
    assert.match(errs(secretDoc('s', ['stringData:', '  "bad key": x'])).join('\n'), /invalid key: must be a Secret key/);
  });

  it('an expired certificate loads (the mesh keeps running) and is a warning', () => {
    const [s] = loaded(tlsSecret('old', expired)) as Secret[];
    const w = secretWarnings(s, Date.now());
    assert.equal(w.length, 1);
    assert.match(w[0].message, /^the certificate expired on \d{4}-/);
    assert.deepEqual(w[0].path, ['stringData', 'tls.crt']);
    const [fresh] = loaded(tlsSecret('new', leaf)) as Secret[];
    assert.deepEqual(secretWarnings(fresh, Date.now()), []);
    assert.ok(secretExpiry(fresh)! > Date.now());
    // Not valid yet, seen from a clock set two days back.
    assert.match(secretWarnings(fresh, Date.now() - 48 * 3600_000)[0].message, /is not valid before/);
  });

  it('hostname coverage, and what the API shows: type and keys, never values', () => {
    const [s] = loaded(secretDoc('s', ['data:', `  ca.crt: ${b64(ca.rootPem)}`, 'stringData:', `  tls.crt: ${block(leaf.certPem)}`, `  tls.key: ${block(leaf.keyPem)}`])) as Secret[];
    assert.equal(secretCovers(s, 'shop.example.com'), true);
    assert.equal(secretCovers(s, 'other.example.com'), false);
    assert.deepEqual(withoutSecretValues(s), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' }, type: 'kubernetes.io/tls', keys: ['ca.crt', 'tls.crt', 'tls.key'] });
    assert.doesNotMatch(JSON.stringify(withoutSecretValues(s)), /BEGIN/);
  });
});

describe('Gateway certificateRefs', () => {
  it('a Secret in the same input, or already stored, resolves; a missing one is an error at file:line', () => {
    assert.deepEqual(parseAndCheck(`${tlsSecret('shop-tls', leaf)}\n---\n${gatewayDoc('[{name: shop-tls}]')}`, []), []);
    const stored = parseDocuments(tlsSecret('shop-tls', leaf), 'tls.yaml').objects.map((o) => o.resource);
    const gw = parseDocuments(gatewayDoc('[{name: shop-tls}]'), 'gw.yaml');
    assert.deepEqual(gw.errors, []);
    // validateSet with the stored Secret as context.
    assert.deepEqual(parseAndCheck(gatewayDoc('[{name: shop-tls}]'), stored), []);
    assert.deepEqual(parseAndCheck(gatewayDoc('[{name: shop-tsl}]'), stored), [
      'gw.yaml:6:79 spec.listeners[0].tls.certificateRefs[0].name: Secret default/shop-tsl does not exist (hint: namespace default has shop-tls)',
    ]);
    assert.deepEqual(parseAndCheck(gatewayDoc('[{name: x}]'), []), [
      'gw.yaml:6:79 spec.listeners[0].tls.certificateRefs[0].name: Secret default/x does not exist (hint: namespace default has no Secret; add one of type kubernetes.io/tls (weft apply, or in the same file))',
    ]);
  });

  it('another namespace needs a ReferenceGrant, which weft does not implement: refused', () => {
    const text = `${tlsSecret('shop-tls', leaf, 'certs')}\n---\n${gatewayDoc('[{name: shop-tls, namespace: certs}]')}`;
    assert.deepEqual(parseAndCheck(text, []).map((e) => e.replace(/^gw\.yaml:\d+:\d+ /, '')), [
      'spec.listeners[0].tls.certificateRefs[0].namespace: Secret certs/shop-tls is in another namespace than the Gateway (default); that needs a ReferenceGrant, which weft does not implement (hint: put the Secret in namespace default, or leave namespace out)',
    ]);
    // Naming its own namespace explicitly is fine.
    assert.deepEqual(parseAndCheck(`${tlsSecret('shop-tls', leaf, 'edge')}\n---\n${gatewayDoc('[{name: shop-tls, namespace: edge}]', 'edge')}`, []), []);
  });

  it('a stored Gateway whose Secret is gone is a dangling reference (weft delete warns, weft check fails)', () => {
    const objs = loaded(`${tlsSecret('shop-tls', leaf)}\n---\n${gatewayDoc('[{name: shop-tls}]')}`);
    assert.deepEqual(danglingReferences(objs), []);
    const d = danglingReferences(objs.filter((o) => o.kind !== 'Secret'));
    assert.equal(d.length, 1);
    assert.equal(d[0].target, 'Secret default/shop-tls');
    assert.equal(d[0].missing, 'secret');
    assert.match(d[0].message, /Gateway default\/edge: listener https names Secret default\/shop-tls, which does not exist/);
  });
});

function parseAndCheck(text: string, context: ReturnType<typeof loaded>): string[] {
  const r = parseDocuments(text, 'gw.yaml');
  return allErrors(r.objects, r.errors, context).map(String);
}
