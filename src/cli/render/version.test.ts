import { test } from 'node:test';
import { golden } from './golden.js';
import { renderVersion } from './version.js';

const up = { client: '0.1.0', server: { version: '0.1.0', mesh: 'shop', url: 'http://127.0.0.1:41234' } };
const down = { client: '0.1.0', server: null, unavailable: 'no running mesh found: start one with `weft up -f mesh.yaml`, or pass --control URL' };

test('version: with a running control plane, without one, --short, JSON', () => {
  golden('version-table', renderVersion(up, { output: 'table', short: false }) + renderVersion(down, { output: 'table', short: false }));
  golden('version-short', renderVersion(up, { output: 'table', short: true }));
  golden('version-json', renderVersion(up, { output: 'json', short: false }) + renderVersion(down, { output: 'json', short: false }) + renderVersion(up, { output: 'json', short: true }));
});
