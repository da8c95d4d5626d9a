import { test } from 'node:test';
import type { CheckResult } from '../../api/control-api.js';
import { golden } from './golden.js';
import { renderCheck } from './check.js';

const results: CheckResult[] = [
  { category: 'config', check: 'routes point at existing services', status: 'FAIL', message: 'HTTPRoute default/shop: backendRef catalg:80 names no Service', hint: 'fix the name in mesh.yaml:41 (did you mean "catalog"?)' },
  { category: 'config', check: 'policies target existing workloads', status: 'PASS', message: 'all 3 policies select at least one workload', hint: 'never shown for PASS' },
  { category: 'workloads', check: 'apps are ready', status: 'WARN', message: 'catalog-v2-0: not ready (4 restarts, last exit code 1)', hint: 'weft logs catalog-v2 --app' },
  { category: 'proxies', check: 'every proxy is synced', status: 'FAIL', message: 'checkout-0 NACKED: listener outbound: bind 127.0.0.1:15001: EADDRINUSE', hint: 'another process holds the port: stop it or change the port' },
  { category: 'certificates', check: 'proxy certificates are valid', status: 'PASS', message: '6 proxies, earliest expiry in 23h41m' },
];

test('check: categories with PASS, WARN and FAIL, hints only where something is wrong', () => {
  golden('check-table', renderCheck(results, 'table'));
  golden('check-json', renderCheck(results, 'json'));
});

test('check: all pass, and no checks at all', () => {
  golden('check-pass-table', renderCheck(results.filter((r) => r.status === 'PASS'), 'table'));
  golden('check-empty-table', renderCheck([], 'table'));
});
