import { test } from 'node:test';
import type { ControlStatus } from '../../api/control-api.js';
import { golden } from './golden.js';
import { renderStatus } from './status.js';

const control = { version: '0.1.0', url: 'http://127.0.0.1:41234', pid: 4242, startedAt: '2026-12-04T17:00:00.000Z', mesh: 'shop', stateDir: '/home/ana/shop/.weft' };

export const STATUS: ControlStatus = {
  control,
  proxies: [
    { name: 'catalog-v1-0', kind: 'sidecar', workload: 'catalog-v1', namespace: 'default', version: '0.1.0', configVersion: 'r12-3f9a', state: 'SYNCED',
      app: { running: true, ready: true, restarts: 0 }, restarts: 0 },
    { name: 'catalog-v2-0', kind: 'sidecar', workload: 'catalog-v2', namespace: 'default', version: '0.1.0', configVersion: 'r12-3f9a', state: 'SYNCED',
      app: { running: true, ready: false, restarts: 4, lastExit: 'code 1' }, restarts: 1 },
    { name: 'checkout-0', kind: 'sidecar', workload: 'checkout', namespace: 'shop', version: '0.1.0', configVersion: 'r11-07c2', state: 'NACKED',
      error: 'listener outbound: bind 127.0.0.1:15001: EADDRINUSE', app: { running: false, ready: false, restarts: 7, lastExit: 'code 1' }, restarts: 0 },
    { name: 'web-0', kind: 'sidecar', workload: 'web', namespace: 'default', version: '0.1.0', configVersion: null, state: 'STALE',
      certError: 'CSR rejected: identity mismatch', app: { running: false, ready: false, restarts: 0, error: 'cannot start node: ENOENT' } },
    { name: 'legacy-0', kind: 'sidecar', workload: 'legacy', namespace: 'default', version: null, configVersion: null, state: 'STALE' },
    { name: 'edge', kind: 'gateway', workload: 'edge', namespace: 'default', version: '0.1.0', configVersion: 'r12-3f9a', state: 'SYNCED', restarts: 2 },
  ],
  gateways: [
    { name: 'edge', listener: 'http', url: 'http://127.0.0.1:8080' },
    { name: 'edge', listener: 'admin', url: 'http://127.0.0.1:8081' },
  ],
};

test('status: several proxies in every state, apps ready, not ready, restarting and failing to start', () => {
  golden('status-table', renderStatus(STATUS, 'table'));
  golden('status-json', renderStatus(STATUS, 'json'));
});

test('status: a control plane with no proxies and no gateways yet (and an older one without a state dir)', () => {
  const { stateDir: _, ...old } = control;
  golden('status-empty-table', renderStatus({ control: old, proxies: [], gateways: [] }, 'table'));
  golden('status-empty-json', renderStatus({ control: old, proxies: [], gateways: [] }, 'json'));
});
