import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { route, errs, msgs } from './testing.js';

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
    assert.deepEqual(t('{grpcStatuses: [unavailable]}'), ['spec.rules[0].retry.grpcStatuses: gRPC statuses go in retryOn: cancelled, deadline-exceeded, resource-exhausted, unavailable']);
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
      'r.yaml:8:22 spec.rules[0].filters[0].type: the CORS filter is not implemented by weft yet (hint: supported: RequestHeaderModifier, ResponseHeaderModifier, URLRewrite, RequestRedirect, RequestMirror, ExtensionRef)',
    ]);
  });

  it('suggests enum values', () => {
    assert.deepEqual(errs(route('  parentRefs: [{name: gw}]', '  rules: [{matches: [{path: {type: Prefix, value: /}, method: get}]}]')), [
      'r.yaml:6:36 spec.rules[0].matches[0].path.type: must be one of Exact, PathPrefix, RegularExpression (got the string "Prefix") (hint: did you mean PathPrefix?)',
      'r.yaml:6:63 spec.rules[0].matches[0].method: must be one of GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH (got the string "get") (hint: did you mean GET?)',
    ]);
  });
});
