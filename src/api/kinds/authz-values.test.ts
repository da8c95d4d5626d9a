import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conditionKey, portProblem, wildcardProblem } from './authz-values.js';

describe('conditionKey: the one table of `when` keys', () => {
  it('says what each supported key reads', () => {
    assert.deepEqual(conditionKey('source.principal'), { kind: 'principal' });
    assert.deepEqual(conditionKey('source.namespace'), { kind: 'namespace' });
    assert.deepEqual(conditionKey('source.ip'), { kind: 'ip' });
    assert.deepEqual(conditionKey('remote.ip'), { kind: 'ip' });
    assert.deepEqual(conditionKey('destination.port'), { kind: 'port' });
    assert.deepEqual(conditionKey('request.headers[X-User]'), { kind: 'header', header: 'x-user' });
  });

  it('says why the others cannot be evaluated', () => {
    const problem = (key: string) => {
      const k = conditionKey(key);
      return 'kind' in k ? undefined : `${k.code}: ${k.message}`;
    };
    assert.equal(problem('request.auth.claims[iss]'), 'unsupported-field: request.auth.claims[iss] is not implemented: weft has no request (JWT) authentication');
    assert.equal(problem('connection.sni'), 'unsupported-field: connection.sni is not supported by weft');
    assert.equal(problem('experimental.envoy.filters.a'), 'unsupported-field: experimental.envoy.filters.a is not supported by weft');
    assert.equal(problem('request.method'), 'invalid: unknown condition key "request.method"');
    assert.equal(problem('request.headers[]'), 'invalid: header name "" is not a valid HTTP header name');
    assert.equal(problem('request.headers[a b]'), 'invalid: header name "a b" is not a valid HTTP header name');
    // Not a lookup in an object's prototype.
    assert.equal(problem('constructor'), 'invalid: unknown condition key "constructor"');
    assert.equal(problem('__proto__'), 'invalid: unknown condition key "__proto__"');
  });
});

describe('value syntax', () => {
  it('wildcards: exact, "prefix*", "*suffix" or "*"', () => {
    for (const v of ['a', 'a*', '*a', '*']) assert.equal(wildcardProblem(v), undefined, v);
    for (const v of ['a*b', '**', '*a*', 'a**']) assert.match(wildcardProblem(v) ?? '', /"\*" may only be/, v);
  });

  it('ports: 1..65535 written as a string', () => {
    for (const v of ['1', '8080', '65535']) assert.equal(portProblem(v), undefined, v);
    for (const v of ['0', '65536', '', 'http', '80 ', '+80', '123456']) assert.match(portProblem(v) ?? '', /must be a port number 1\.\.65535/, v);
  });
});
