// Helpers for the per-kind validation tests: parse YAML text through the public loader.
import assert from 'node:assert/strict';
import { parseDocuments } from '../load.js';

/** An HTTPRoute document with the given spec lines. */
export const route = (...spec: string[]) => [
  'apiVersion: gateway.networking.k8s.io/v1',
  'kind: HTTPRoute',
  'metadata: {name: r}',
  'spec:',
  ...spec,
].join('\n');
/** A GRPCRoute document with the given spec lines. */
export const grpcRoute = (...spec: string[]) => [
  'apiVersion: gateway.networking.k8s.io/v1',
  'kind: GRPCRoute',
  'metadata: {name: g}',
  'spec:',
  ...spec,
].join('\n');
/** Errors with file:line:column, as a user sees them. */
export const errs = (text: string) => parseDocuments(text, 'r.yaml').errors.map(String);
/** Errors without positions, for rules where the wording is what matters. */
export const msgs = (text: string) => parseDocuments(text, 'r.yaml').errors.map((e) => `${e.path}: ${e.message}`);
export const doc = (apiVersion: string, kind: string, ...body: string[]) => [`apiVersion: ${apiVersion}`, `kind: ${kind}`, ...body].join('\n');
export const policy = (...spec: string[]) => doc('security.istio.io/v1', 'AuthorizationPolicy', 'metadata: {name: p, namespace: shop}', 'spec:', ...spec);
export const peer = (...spec: string[]) => doc('weft.dev/v1alpha1', 'PeerAuthentication', 'metadata: {name: p, namespace: shop}', 'spec:', ...spec);
/** The objects of a text that must load without errors. */
export const objectsOf = (text: string) => {
  const r = parseDocuments(text, 'p.yaml');
  assert.deepEqual(r.errors.map(String), []);
  return r.objects.map((o) => o.resource);
};
