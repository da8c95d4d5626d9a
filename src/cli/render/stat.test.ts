import { test } from 'node:test';
import type { StatRow } from '../../api/control-api.js';
import { golden } from './golden.js';
import { renderStat } from './stat.js';

const row = (name: string, namespace: string, requests: number, successRate: number | null, p: [number, number, number] | null, backends?: StatRow[]): StatRow => ({
  name, namespace, requests, rps: requests / 60, successRate, p50: p?.[0] ?? null, p95: p?.[1] ?? null, p99: p?.[2] ?? null, ...(backends ? { backends } : {}),
});

const services: StatRow[] = [
  row('catalog', 'default', 1800, 0.9944, [3.412, 18.2, 41.7], [
    row('catalog-v1', 'default', 1620, 1, [3.1, 12.8, 22.4]),
    row('catalog-v2', 'default', 180, 0.9444, [7.92, 48.1, 203.5]),
  ]),
  row('checkout', 'shop', 240, 0.75, [12.5, 250, 1001.2], []),
  row('web', 'default', 2400.4, 1, [0.812, 2.3, 9.999], [row('web', 'default', 2400.4, 1, [0.812, 2.3, 9.999])]),
  row('idle', 'default', 0, null, null),
];

test('stat by service: a split service with its backends indented under it, one with no backend rows, one sent only to itself, an idle one', () => {
  golden('stat-service-backends-table', renderStat(services, { by: 'service', window: '1m', output: 'table' }));
  golden('stat-service-backends-json', renderStat(services, { by: 'service', window: '1m', output: 'json' }));
});

test('stat by workload, and with no traffic', () => {
  const workloads = [row('catalog-v1', 'default', 1620, 1, [2.9, 11.1, 20.3]), row('checkout', 'shop', 240, 0.75, [11.2, 240.4, 990])];
  golden('stat-workload-table', renderStat(workloads, { by: 'workload', window: '10m', output: 'table' }));
  golden('stat-empty-table', renderStat([], { by: 'service', window: '30s', output: 'table' }));
  golden('stat-empty-json', renderStat([], { by: 'service', window: '30s', output: 'json' }));
});
