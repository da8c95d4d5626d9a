import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TapEvent } from '../../api/control-api.js';
import { golden } from './golden.js';
import { countTop, renderTapEvent, renderTapWaiting, renderTop, type TopRow } from './tap.js';

const ev = (o: Partial<TapEvent>): TapEvent => ({
  proxy: 'web-0', time: '2026-12-04T17:05:01.123Z', direction: 'outbound', method: 'GET', path: '/products', authority: 'catalog', status: 200, flags: '-',
  latencyMs: 3.2, source: 'spiffe://shop.local/ns/default/sa/web', destination: 'spiffe://shop.local/ns/default/sa/catalog', destinationService: 'catalog',
  destinationWorkload: 'catalog-v1', tls: true, ...o,
});

const events: TapEvent[] = [
  ev({}),
  ev({ proxy: 'catalog-v1-0', direction: 'inbound', latencyMs: 2.1 }),
  ev({ time: '2026-12-04T17:05:01.388Z', method: 'POST', path: '/cart', authority: 'checkout.shop', status: 503, flags: 'UF', latencyMs: 1000, destination: null, destinationService: 'checkout', destinationWorkload: null }),
  ev({ proxy: 'legacy-0', direction: 'inbound', method: 'GET', path: '/health', authority: 'legacy', source: null, destinationWorkload: 'legacy', tls: false, latencyMs: 0.4 }),
  ev({ proxy: 'catalog-v2-0', direction: 'inbound', path: '/products', status: 500, latencyMs: 48, destinationWorkload: 'catalog-v2' }),
  ev({ proxy: 'catalog-v1-0', direction: 'inbound', path: '/products', latencyMs: 4.9 }),
];

test('tap: one line per request, text and JSON; the waiting line', () => {
  golden('tap-text', events.map((e) => renderTapEvent(e, 'text')).join(''));
  golden('tap-json', events.map((e) => renderTapEvent(e, 'json')).join(''));
  golden('tap-waiting', renderTapWaiting('catalog') + renderTapWaiting(undefined));
});

test('top: counts each request once where it is received, busiest first', () => {
  const counts = new Map<string, TopRow>();
  for (const e of events) countTop(counts, e);
  assert.equal([...counts.values()].reduce((n, r) => n + r.n, 0), 4, 'outbound hops are not counted');
  golden('top-table', renderTop(counts.values(), false));
  golden('top-tty', renderTop(counts.values(), true));
  golden('top-empty', renderTop([], false));
});
