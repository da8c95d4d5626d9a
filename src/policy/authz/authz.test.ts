import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthzRule } from '../../api/types.js';
import { normalizePath } from '../normalize/index.js';
import { AuthzCompileError, authorize, compileAuthz, explain, type AuthzPolicySnap, type AuthzRequest } from './index.js';

const WEB = 'spiffe://cluster.local/ns/shop/sa/web';

function request(over: Partial<AuthzRequest> = {}): AuthzRequest {
  return { principal: WEB, sourceIp: '10.0.0.5', method: 'GET', path: '/', host: 'shop.local:8080', port: 8080, headers: {}, ...over };
}
const policy = (name: string, action: AuthzPolicySnap['action'], rules: AuthzRule[]): AuthzPolicySnap => ({ name, action, rules });
const plaintext: Partial<AuthzRequest> = { principal: undefined };

/** [what, rule, request overrides, does the rule match] */
type Case = [string, AuthzRule, Partial<AuthzRequest>, boolean];
const src = (source: AuthzRule extends { from?: (infer S)[] } ? S extends { source: infer T } ? T : never : never): AuthzRule => ({ from: [{ source }] });
const op = (operation: NonNullable<AuthzRule['to']>[number]['operation']): AuthzRule => ({ to: [{ operation }] });
const cond = (key: string, values?: string[], notValues?: string[]): AuthzRule => ({
  when: [{ key, ...(values !== undefined ? { values } : {}), ...(notValues !== undefined ? { notValues } : {}) }],
});

const MATRIX: Case[] = [
  // from: principals (Istio form and SPIFFE form), wildcards, plaintext
  ['principal, Istio form', src({ principals: ['cluster.local/ns/shop/sa/web'] }), {}, true],
  ['principal, spiffe:// form', src({ principals: [WEB] }), {}, true],
  ['principal, request without spiffe:// prefix', src({ principals: ['cluster.local/ns/shop/sa/web'] }), { principal: 'cluster.local/ns/shop/sa/web' }, true],
  ['principal, other service account', src({ principals: ['cluster.local/ns/shop/sa/api'] }), {}, false],
  ['principal, any of several', src({ principals: ['cluster.local/ns/shop/sa/api', 'cluster.local/ns/shop/sa/web'] }), {}, true],
  ['principal prefix', src({ principals: ['cluster.local/ns/shop/*'] }), {}, true],
  ['principal prefix, other namespace', src({ principals: ['cluster.local/ns/bank/*'] }), {}, false],
  ['principal suffix', src({ principals: ['*/sa/web'] }), {}, true],
  ['principal "*" with mTLS', src({ principals: ['*'] }), {}, true],
  ['principal "*" plaintext', src({ principals: ['*'] }), plaintext, false],
  ['principal exact plaintext', src({ principals: ['cluster.local/ns/shop/sa/web'] }), plaintext, false],
  ['notPrincipals listed', src({ notPrincipals: ['cluster.local/ns/shop/sa/web'] }), {}, false],
  ['notPrincipals not listed', src({ notPrincipals: ['cluster.local/ns/shop/sa/api'] }), {}, true],
  ['notPrincipals plaintext', src({ notPrincipals: ['cluster.local/ns/shop/sa/api'] }), plaintext, true],
  ['notPrincipals "*" plaintext (require mTLS idiom)', src({ notPrincipals: ['*'] }), plaintext, true],
  ['notPrincipals "*" with mTLS', src({ notPrincipals: ['*'] }), {}, false],
  // from: namespaces
  ['namespace', src({ namespaces: ['shop'] }), {}, true],
  ['namespace, other', src({ namespaces: ['bank'] }), {}, false],
  ['namespace prefix', src({ namespaces: ['sh*'] }), {}, true],
  ['namespace is a whole segment', src({ namespaces: ['sho'] }), {}, false],
  ['namespace plaintext', src({ namespaces: ['shop'] }), plaintext, false],
  ['notNamespaces listed', src({ notNamespaces: ['shop'] }), {}, false],
  ['notNamespaces not listed', src({ notNamespaces: ['bank'] }), {}, true],
  ['notNamespaces plaintext', src({ notNamespaces: ['shop'] }), plaintext, true],
  // from: ipBlocks
  ['ipBlocks CIDR', src({ ipBlocks: ['10.0.0.0/24'] }), {}, true],
  ['ipBlocks single address', src({ ipBlocks: ['10.0.0.5'] }), {}, true],
  ['ipBlocks other CIDR', src({ ipBlocks: ['10.0.1.0/24'] }), {}, false],
  ['ipBlocks host bits set', src({ ipBlocks: ['10.0.0.77/24'] }), {}, true],
  ['ipBlocks, IPv4-mapped source', src({ ipBlocks: ['10.0.0.0/24'] }), { sourceIp: '::ffff:10.0.0.5' }, true],
  ['ipBlocks, loopback mapped', src({ ipBlocks: ['127.0.0.1'] }), { sourceIp: '::ffff:127.0.0.1' }, true],
  ['ipBlocks IPv6', src({ ipBlocks: ['2001:db8::/32'] }), { sourceIp: '2001:db8:0:1::9' }, true],
  ['ipBlocks IPv6, other', src({ ipBlocks: ['2001:db8::/32'] }), { sourceIp: '2001:db9::1' }, false],
  ['ipBlocks IPv4 vs IPv6 source', src({ ipBlocks: ['10.0.0.0/8'] }), { sourceIp: '::1' }, false],
  ['notIpBlocks listed', src({ notIpBlocks: ['10.0.0.0/8'] }), {}, false],
  ['notIpBlocks not listed', src({ notIpBlocks: ['192.168.0.0/16'] }), {}, true],
  // from: AND within a source, OR across sources
  ['source fields AND: one fails', src({ principals: ['*'], ipBlocks: ['192.168.0.0/16'] }), {}, false],
  ['source fields AND: all match', src({ principals: ['*'], ipBlocks: ['10.0.0.0/8'] }), {}, true],
  ['sources OR', { from: [{ source: { principals: ['cluster.local/ns/shop/sa/api'] } }, { source: { namespaces: ['shop'] } }] }, {}, true],
  // to: methods
  ['method', op({ methods: ['GET', 'HEAD'] }), {}, true],
  ['method, other', op({ methods: ['POST'] }), {}, false],
  ['method is case-sensitive', op({ methods: ['get'] }), {}, false],
  ['notMethods', op({ notMethods: ['GET'] }), {}, false],
  // to: paths
  ['path exact', op({ paths: ['/admin'] }), { path: '/admin' }, true],
  ['path exact, longer path', op({ paths: ['/admin'] }), { path: '/admin/users' }, false],
  ['path is case-sensitive', op({ paths: ['/admin'] }), { path: '/ADMIN' }, false],
  ['path prefix', op({ paths: ['/admin*'] }), { path: '/admin/users' }, true],
  ['path prefix is a string prefix', op({ paths: ['/admin*'] }), { path: '/administrator' }, true],
  ['path prefix, other', op({ paths: ['/api/*'] }), { path: '/admin' }, false],
  ['path suffix', op({ paths: ['*.html'] }), { path: '/a/b.html' }, true],
  ['path suffix, other', op({ paths: ['*.html'] }), { path: '/a/b.json' }, false],
  ['path "*"', op({ paths: ['*'] }), { path: '/anything' }, true],
  ['notPaths listed', op({ notPaths: ['/healthz'] }), { path: '/healthz' }, false],
  ['notPaths not listed', op({ notPaths: ['/healthz'] }), { path: '/orders' }, true],
  ['notPaths prefix', op({ notPaths: ['/public/*'] }), { path: '/public/a.css' }, false],
  // to: hosts (case-insensitive, port stripped unless the value has one)
  ['host', op({ hosts: ['shop.local'] }), {}, true],
  ['host, case-insensitive', op({ hosts: ['SHOP.Local'] }), { host: 'Shop.LOCAL:8080' }, true],
  ['host, trailing dot', op({ hosts: ['shop.local'] }), { host: 'shop.local.' }, true],
  ['host suffix', op({ hosts: ['*.local'] }), {}, true],
  ['host prefix', op({ hosts: ['shop.*'] }), {}, true],
  ['host, other', op({ hosts: ['bank.local'] }), {}, false],
  ['host with port', op({ hosts: ['shop.local:8080'] }), {}, true],
  ['host with other port', op({ hosts: ['shop.local:9090'] }), {}, false],
  ['host with port prefix', op({ hosts: ['shop.local:*'] }), {}, true],
  ['host, IPv6 literal', op({ hosts: ['[::1]'] }), { host: '[::1]:8080' }, true],
  ['host missing', op({ hosts: ['*'] }), { host: '' }, false],
  ['notHosts listed', op({ notHosts: ['shop.local'] }), {}, false],
  ['notHosts, host missing', op({ notHosts: ['shop.local'] }), { host: '' }, true],
  // to: ports
  ['port', op({ ports: ['8080'] }), {}, true],
  ['port, other', op({ ports: ['80'] }), {}, false],
  ['notPorts listed', op({ notPorts: ['8080'] }), {}, false],
  ['notPorts not listed', op({ notPorts: ['9090'] }), {}, true],
  // to: AND within an operation, OR across operations
  ['operation fields AND', op({ methods: ['GET'], paths: ['/admin'] }), { path: '/orders' }, false],
  ['operations OR', { to: [{ operation: { methods: ['POST'] } }, { operation: { paths: ['/orders'] } }] }, { path: '/orders' }, true],
  // when: request headers
  ['header value', cond('request.headers[x-version]', ['v1', 'v2']), { headers: { 'x-version': 'v1' } }, true],
  ['header value, other', cond('request.headers[x-version]', ['v1']), { headers: { 'x-version': 'v3' } }, false],
  ['header name is case-insensitive', cond('request.headers[X-Version]', ['v1']), { headers: { 'x-version': 'v1' } }, true],
  ['header value is case-sensitive', cond('request.headers[x-version]', ['v1']), { headers: { 'x-version': 'V1' } }, false],
  ['header missing', cond('request.headers[x-version]', ['v1']), {}, false],
  ['header presence', cond('request.headers[x-version]', ['*']), { headers: { 'x-version': 'anything' } }, true],
  ['header presence, empty value', cond('request.headers[x-version]', ['*']), { headers: { 'x-version': '' } }, false],
  ['header prefix', cond('request.headers[user-agent]', ['Mozilla/*']), { headers: { 'user-agent': 'Mozilla/5.0' } }, true],
  ['repeated header, one value matches', cond('request.headers[x-role]', ['admin']), { headers: { 'x-role': ['user', 'admin'] } }, true],
  ['repeated header, none matches', cond('request.headers[x-role]', ['admin']), { headers: { 'x-role': ['user', 'guest'] } }, false],
  ['notValues, listed', cond('request.headers[x-role]', undefined, ['admin']), { headers: { 'x-role': 'admin' } }, false],
  ['notValues, not listed', cond('request.headers[x-role]', undefined, ['admin']), { headers: { 'x-role': 'user' } }, true],
  ['notValues, header missing', cond('request.headers[x-role]', undefined, ['admin']), {}, true],
  ['notValues, repeated: one value not listed', cond('request.headers[x-role]', undefined, ['admin']), { headers: { 'x-role': ['admin', 'user'] } }, true],
  ['notValues, repeated: every value listed', cond('request.headers[x-role]', undefined, ['admin', 'root']), { headers: { 'x-role': ['admin', 'root'] } }, false],
  ['values and notValues together', cond('request.headers[x-role]', ['a*'], ['admin']), { headers: { 'x-role': 'auditor' } }, true],
  ['values and notValues together, excluded', cond('request.headers[x-role]', ['a*'], ['admin']), { headers: { 'x-role': 'admin' } }, false],
  // when: source identity, addresses, port
  ['source.principal', cond('source.principal', ['cluster.local/ns/shop/sa/web']), {}, true],
  ['source.principal, other', cond('source.principal', ['cluster.local/ns/shop/sa/api']), {}, false],
  ['source.principal plaintext', cond('source.principal', ['*']), plaintext, false],
  ['source.principal notValues plaintext', cond('source.principal', undefined, ['cluster.local/ns/shop/sa/web']), plaintext, true],
  ['source.namespace', cond('source.namespace', ['shop']), {}, true],
  ['source.namespace notValues', cond('source.namespace', undefined, ['shop']), {}, false],
  ['source.ip', cond('source.ip', ['10.0.0.0/16']), {}, true],
  ['source.ip notValues', cond('source.ip', undefined, ['10.0.0.0/16']), {}, false],
  ['remote.ip (the peer address)', cond('remote.ip', ['10.0.0.5']), {}, true],
  ['destination.port', cond('destination.port', ['8080', '8443']), {}, true],
  ['destination.port, other', cond('destination.port', ['9090']), {}, false],
  ['conditions AND', { when: [{ key: 'source.namespace', values: ['shop'] }, { key: 'destination.port', values: ['9090'] }] }, {}, false],
  // whole rules
  ['empty rule matches everything', {}, plaintext, true],
  ['empty lists are as if absent', { from: [], to: [], when: [] }, {}, true],
  ['from AND to AND when: all match', {
    from: [{ source: { namespaces: ['shop'] } }], to: [{ operation: { methods: ['GET'], paths: ['/orders*'] } }], when: [{ key: 'request.headers[x-version]', values: ['v1'] }],
  }, { path: '/orders/7', headers: { 'x-version': 'v1' } }, true],
  ['from AND to AND when: when fails', {
    from: [{ source: { namespaces: ['shop'] } }], to: [{ operation: { methods: ['GET'] } }], when: [{ key: 'request.headers[x-version]', values: ['v1'] }],
  }, { headers: { 'x-version': 'v2' } }, false],
  ['from AND to: from fails', { from: [{ source: { namespaces: ['bank'] } }], to: [{ operation: { methods: ['GET'] } }] }, {}, false],
];

describe('authorize: matrix of matchers under ALLOW, DENY and AUDIT', () => {
  for (const [what, rule, over, match] of MATRIX) {
    it(`${what} -> ${match ? 'matches' : 'no match'}`, () => {
      const req = request(over);
      const allow = authorize(compileAuthz([policy('ns/p', 'ALLOW', [rule])]), req);
      assert.equal(allow.allowed, match, `ALLOW: ${allow.reason}`);
      assert.equal(allow.policy, match ? 'ns/p' : undefined);
      if (!match) assert.equal(allow.reason, 'no ALLOW policy matched');

      const deny = authorize(compileAuthz([policy('ns/p', 'DENY', [rule])]), req);
      assert.equal(deny.allowed, !match, `DENY: ${deny.reason}`);
      assert.equal(deny.policy, match ? 'ns/p' : undefined);

      const audit = authorize(compileAuthz([policy('ns/p', 'AUDIT', [rule])]), req);
      assert.equal(audit.allowed, true);
      assert.deepEqual(audit.audited, match ? ['ns/p'] : []);

      // explain agrees with authorize and says so for the rule.
      const ex = explain(compileAuthz([policy('ns/p', 'DENY', [rule])]), req);
      assert.deepEqual(ex.decision, deny);
      assert.ok(ex.trace.some((l) => l.startsWith(`DENY ns/p rule 0: ${match ? 'matches' : 'does not match'}`)), ex.trace.join('\n'));
    });
  }
});

describe('authorize: policy combination', () => {
  const allowShop = policy('shop/allow-shop', 'ALLOW', [{ from: [{ source: { namespaces: ['shop'] } }] }]);
  const denyAdmin = policy('shop/deny-admin', 'DENY', [{ to: [{ operation: { paths: ['/admin*'] } }] }]);

  it('allows everything when no policy applies', () => {
    const d = authorize(compileAuthz([]), request({ principal: undefined, path: '/admin' }));
    assert.equal(d.allowed, true);
    assert.equal(d.policy, undefined);
    assert.deepEqual(d.audited, []);
  });

  it('denies everything with an ALLOW policy without rules (allow-nothing)', () => {
    for (const rules of [[], undefined]) {
      const c = compileAuthz([{ name: 'shop/allow-nothing', action: 'ALLOW', rules: rules as unknown as AuthzRule[] }]);
      const d = authorize(c, request());
      assert.deepEqual({ allowed: d.allowed, reason: d.reason, policy: d.policy }, { allowed: false, reason: 'no ALLOW policy matched', policy: undefined });
    }
  });

  it('a DENY policy without rules denies nothing', () => {
    assert.equal(authorize(compileAuthz([policy('shop/d', 'DENY', [])]), request()).allowed, true);
  });

  it('DENY beats ALLOW', () => {
    const c = compileAuthz([allowShop, denyAdmin]);
    const d = authorize(c, request({ path: '/admin/users' }));
    assert.equal(d.allowed, false);
    assert.equal(d.policy, 'shop/deny-admin');
    assert.match(d.reason, /denied by DENY policy shop\/deny-admin \(rule 0\)/);
    const ok = authorize(c, request({ path: '/orders' }));
    assert.equal(ok.allowed, true);
    assert.equal(ok.policy, 'shop/allow-shop');
  });

  it('an ALLOW policy that does not match denies, once any ALLOW policy applies', () => {
    const c = compileAuthz([allowShop, denyAdmin]);
    const d = authorize(c, request({ principal: 'spiffe://cluster.local/ns/bank/sa/teller' }));
    assert.equal(d.allowed, false);
    assert.equal(d.reason, 'no ALLOW policy matched');
    // Only DENY policies: what they do not deny is allowed.
    assert.equal(authorize(compileAuthz([denyAdmin]), request({ principal: undefined })).allowed, true);
  });

  it('any matching ALLOW policy and any of its rules is enough', () => {
    const c = compileAuthz([
      policy('shop/a', 'ALLOW', [{ to: [{ operation: { methods: ['POST'] } }] }]),
      policy('shop/b', 'ALLOW', [{ to: [{ operation: { ports: ['9090'] } }] }, { to: [{ operation: { paths: ['/orders'] } }] }]),
    ]);
    const d = authorize(c, request({ path: '/orders' }));
    assert.equal(d.allowed, true);
    assert.equal(d.policy, 'shop/b');
    assert.match(d.reason, /rule 1/);
  });

  it('AUDIT policies only annotate, whatever the decision', () => {
    const auditAll = policy('shop/audit-all', 'AUDIT', [{}]);
    const auditAdmin = policy('shop/audit-admin', 'AUDIT', [{ to: [{ operation: { paths: ['/admin*'] } }] }]);
    const c = compileAuthz([auditAdmin, auditAll, denyAdmin]);
    const denied = authorize(c, request({ path: '/admin' }));
    assert.equal(denied.allowed, false);
    assert.deepEqual(denied.audited, ['shop/audit-admin', 'shop/audit-all']);
    const allowed = authorize(c, request({ path: '/x' }));
    assert.equal(allowed.allowed, true);
    assert.deepEqual(allowed.audited, ['shop/audit-all']);
    // AUDIT alone does not make the workload default-deny.
    assert.equal(authorize(compileAuthz([auditAdmin]), request()).allowed, true);
  });

  it('shares frozen decisions, so a caller cannot corrupt the next one', () => {
    const c = compileAuthz([denyAdmin]);
    const a = authorize(c, request({ path: '/admin' }));
    assert.ok(Object.isFrozen(a) && Object.isFrozen(a.audited));
    assert.throws(() => { (a as { allowed: boolean }).allowed = true; });
    assert.equal(authorize(c, request({ path: '/admin' })).allowed, false);
  });
});

describe('authorize on normalized paths', () => {
  const c = compileAuthz([policy('shop/deny-admin', 'DENY', [{ to: [{ operation: { paths: ['/admin*'] } }] }])]);
  const decide = (raw: string) => {
    const n = normalizePath(raw);
    return n.ok ? authorize(c, request({ path: n.path })).allowed : `rejected: ${n.reason}`;
  };

  it('denies every spelling of /admin', () => {
    for (const raw of ['/admin', '//admin', '/a/../admin', '/%61dmin', '\\admin', '/./admin', '/%2e%2e/admin', '/admin/../admin/x']) {
      assert.equal(decide(raw), false, raw);
    }
  });

  it('paths stay case-sensitive, and escaped slashes are refused before authorization', () => {
    assert.equal(decide('/ADMIN'), true);
    assert.equal(decide('/public/x'), true);
    assert.equal(decide('/admin%2Fx'), 'rejected: escaped slash in path');
  });
});

// Validation (src/api/kinds/authorization-policy.ts) refuses all of these with a user's wording first; compile
// still refuses them, so a snapshot that broke them is NACKed instead of silently deciding otherwise.
describe('compileAuthz refuses what it cannot evaluate exactly', () => {
  const bad: [string, AuthzPolicySnap, RegExp][] = [
    ['bad CIDR', policy('ns/a', 'ALLOW', [{ from: [{ source: { ipBlocks: ['10.0.0.0/33'] } }] }]), /ns\/a: rules\[0\]\.from\[0\]\.source\.ipBlocks\[0\]: prefix length must be 0\.\.32/],
    ['not an address', policy('ns/a', 'ALLOW', [{ from: [{ source: { notIpBlocks: ['10.0.0.300'] } }] }]), /notIpBlocks\[0\]: must be an IP address or CIDR/],
    ['zone in a CIDR', policy('ns/a', 'ALLOW', [{ from: [{ source: { ipBlocks: ['fe80::1%eth0'] } }] }]), /must be an IP address or CIDR/],
    ['star in the middle', policy('ns/a', 'ALLOW', [{ to: [{ operation: { paths: ['/a*b'] } }] }]), /paths\[0\]: "\*" may only be/],
    ['empty source', policy('ns/a', 'ALLOW', [{ from: [{ source: {} }] }]), /from\[0\]\.source: must set at least one field/],
    ['missing source', policy('ns/a', 'ALLOW', [{ from: [{} as { source: object }] }]), /from\[0\]\.source: must set at least one field/],
    ['empty operation', policy('ns/a', 'ALLOW', [{ to: [{ operation: {} }] }]), /to\[0\]\.operation: must set at least one field/],
    ['unknown source field', policy('ns/a', 'ALLOW', [{ from: [{ source: { requestPrincipals: ['*'] } as object }] }]), /requestPrincipals: unknown or unsupported field/],
    ['port out of range', policy('ns/a', 'ALLOW', [{ to: [{ operation: { ports: ['70000'] } }] }]), /ports\[0\]: must be a port number/],
    ['JWT condition', policy('ns/a', 'ALLOW', [{ when: [{ key: 'request.auth.claims[iss]', values: ['x'] }] }]), /not implemented/],
    ['unknown condition', policy('ns/a', 'ALLOW', [{ when: [{ key: 'connection.sni', values: ['x'] }] }]), /when\[0\]\.key: connection\.sni is not supported/],
    ['condition without values', policy('ns/a', 'ALLOW', [{ when: [{ key: 'source.ip' }] }]), /values or notValues is required/],
    ['CUSTOM', { name: 'ns/a', action: 'CUSTOM' as 'ALLOW', rules: [] }, /action: must be ALLOW, DENY or AUDIT/],
  ];
  for (const [what, p, want] of bad) {
    it(what, () => {
      assert.throws(() => compileAuthz([p]), (e: unknown) => e instanceof AuthzCompileError && want.test(e.message));
    });
  }
});

describe('explain', () => {
  it('says which policy and rule decided, and why the others did not match', () => {
    const c = compileAuthz([
      policy('shop/allow-web', 'ALLOW', [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }], to: [{ operation: { methods: ['GET'] } }] }]),
      policy('shop/deny-admin', 'DENY', [{ to: [{ operation: { paths: ['/admin*'] } }] }]),
      policy('shop/allow-nothing', 'ALLOW', []),
    ]);
    const { decision, trace } = explain(c, request({ method: 'POST', path: '/orders' }));
    assert.equal(decision.allowed, false);
    assert.deepEqual(trace, [
      'request: POST /orders host "shop.local:8080" port 8080 from spiffe://cluster.local/ns/shop/sa/web at 10.0.0.5',
      'DENY shop/deny-admin rule 0: does not match: rules[0].to[0].operation.paths ["/admin*"] does not match "/orders"',
      'ALLOW shop/allow-nothing: no rules, matches nothing',
      'ALLOW shop/allow-web rule 0: does not match: rules[0].to[0].operation.methods ["GET"] does not match "POST"',
      'decision: denied: no ALLOW policy matched',
    ]);
    const plain = explain(c, request({ principal: undefined }));
    assert.ok(plain.trace.includes(
      'ALLOW shop/allow-web rule 0: does not match: rules[0].from[0].source.principals ["cluster.local/ns/shop/sa/web"] does not match no principal (plaintext)',
    ), plain.trace.join('\n'));
    const ok = explain(c, request());
    assert.equal(ok.trace.at(-1), 'decision: allowed: allowed by ALLOW policy shop/allow-web (rule 0)');
    assert.ok(ok.trace.includes(
      'ALLOW shop/allow-web rule 0: matches: rules[0].from[0].source.principals ["cluster.local/ns/shop/sa/web"] matches spiffe://cluster.local/ns/shop/sa/web; rules[0].to[0].operation.methods ["GET"] matches "GET"',
    ), ok.trace.join('\n'));
  });

  it('reports no policies', () => {
    assert.deepEqual(explain(compileAuthz([]), request()).trace.slice(1), [
      'no AuthorizationPolicy selects this workload',
      'decision: allowed: no ALLOW policy applies to this workload',
    ]);
  });
});
