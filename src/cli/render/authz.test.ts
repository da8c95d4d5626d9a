import { test } from 'node:test';
import { golden } from './golden.js';
import { renderExplain } from './authz.js';

const denied = {
  allowed: false, status: 403, lines: [
    'from spiffe://shop.local/ns/default/sa/web',
    'to service api.default: workloads api',
    'path /a/../admin/x normalizes to /admin/x',
    'workload api: 2 policies apply',
    '  DENY default/deny-admin-paths: path /admin/x matches /admin/*',
    '  => DENY (403 rbac-denied) by default/deny-admin-paths: a DENY rule matched',
  ],
};
const allowed = { allowed: true, status: 200, lines: ['from spiffe://shop.local/ns/default/sa/web', 'to service api.default: workloads api', 'workload api: 0 policies apply', '  => ALLOW: no policy applies'] };

test('authz explain: denied by a named policy, allowed with no policy', () => {
  golden('authz-denied-table', renderExplain(denied, 'table'));
  golden('authz-allowed-table', renderExplain(allowed, 'table'));
  golden('authz-denied-json', renderExplain(denied, 'json'));
  golden('authz-bad-path-table', renderExplain({ allowed: false, status: 400, lines: ['path /%2e%2e/x: escaped dot segment -> 400 before any policy'] }, 'table'));
});
