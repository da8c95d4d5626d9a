import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { describe, it } from 'node:test';
import { cidrContains, cidrProblem, parseCidr, parseIp } from './ip.js';

const words = (s: string) => {
  const out = new Int32Array(4);
  return parseIp(s, out) ? [...out].map((w) => (w >>> 0).toString(16)).join(':') : undefined;
};

describe('parseIp', () => {
  it('parses IPv4 as IPv4-mapped IPv6, and agrees with node:net on validity', () => {
    assert.equal(words('127.0.0.1'), '0:0:ffff:7f000001');
    assert.equal(words('::ffff:127.0.0.1'), '0:0:ffff:7f000001');
    assert.equal(words('::ffff:7f00:1'), '0:0:ffff:7f000001');
    assert.equal(words('::1'), '0:0:0:1');
    assert.equal(words('::'), '0:0:0:0');
    assert.equal(words('2001:db8::ff00:42:8329'), '20010db8:0:ff00:428329');
    assert.equal(words('1:2:3:4:5:6:7:8'), '10002:30004:50006:70008');
    assert.equal(words('1::'), '10000:0:0:0');
    assert.equal(words('fe80::1%eth0'), 'fe800000:0:0:1');
    for (const s of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.4 ', ':', ':::', '1:2', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1',
      '1:2:3:4:5:6:7::8:9', '::1.2.3', '1.2.3.4::', ':1::', '1::2:', '::ffff:1.2.3.256', '1:2:3:4:5:6:7:1.2.3.4', 'fe80::1%']) {
      assert.equal(words(s), undefined, s);
      if (!s.includes('%')) assert.equal(isIP(s), 0, `node:net accepts ${s}`);
    }
    for (const s of ['1:2:3:4:5:6:1.2.3.4', '::1.2.3.4', '1::1.2.3.4', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8']) {
      assert.notEqual(words(s), undefined, s);
      assert.notEqual(isIP(s), 0, s);
    }
  });
});

describe('CIDR', () => {
  const has = (cidr: string, ip: string) => {
    const out = new Int32Array(4);
    assert.ok(parseIp(ip, out), ip);
    return cidrContains(parseCidr(cidr), out);
  };
  it('matches by prefix, IPv4 blocks covering IPv4-mapped addresses', () => {
    assert.equal(has('10.0.0.0/8', '10.255.1.2'), true);
    assert.equal(has('10.0.0.0/8', '11.0.0.1'), false);
    assert.equal(has('10.0.0.0/8', '::ffff:10.1.2.3'), true);
    assert.equal(has('0.0.0.0/0', '203.0.113.9'), true);
    assert.equal(has('203.0.113.9', '203.0.113.9'), true);
    assert.equal(has('203.0.113.9/32', '203.0.113.10'), false);
    assert.equal(has('192.168.1.0/23', '192.168.0.200'), true);
    assert.equal(has('192.168.1.0/23', '192.168.2.1'), false);
    assert.equal(has('2001:db8::/32', '2001:db8:ffff::1'), true);
    assert.equal(has('2001:db8::/33', '2001:db8:8000::1'), false);
    assert.equal(has('::1/128', '::1'), true);
    assert.equal(has('10.0.0.0/8', '::1'), false);
  });
  it('refuses bad blocks, saying why in the words validation reports', () => {
    for (const s of ['10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/x', '10.0.0/8', 'fe80::/10%eth0', 'fe80::1%eth0/64']) {
      const problem = cidrProblem(s);
      assert.match(problem ?? '', /^(must be an IP address or CIDR|prefix length must be 0\.\.(32|128))/, s);
      assert.throws(() => parseCidr(s), (e: Error) => e.message === problem, s);
    }
    assert.equal(cidrProblem('10.0.0.0/33'), 'prefix length must be 0..32 (got "10.0.0.0/33")');
    assert.equal(cidrProblem('::/129'), 'prefix length must be 0..128 (got "::/129")');
    assert.equal(cidrProblem('fe80::1%eth0'), 'must be an IP address or CIDR such as "10.0.0.0/8" or "2001:db8::/32" (got "fe80::1%eth0")');
    for (const s of ['10.0.0.0/8', '2001:db8::/32', '127.0.0.1', '::ffff:10.0.0.0/104', '0.0.0.0/0']) assert.equal(cidrProblem(s), undefined, s);
  });
});
