// catalog: the product list, with each product's review summary from the reviews service. One program run
// as two Workloads, catalog-v1 and catalog-v2, which differ only by VERSION: v2 is the canary and adds a
// "new" flag to every product. The mesh splits traffic between them (the catalog-split HTTPRoute).
//   GET /products   {version, servedBy, products: [{id, name, price, [new], rating, reviewCount}]}
//
// It calls reviews the way any HTTP_PROXY-aware client does: it sends the request to the proxy in HTTP_PROXY
// (its sidecar) with the absolute-form target http://reviews/reviews/<id>, and the sidecar routes by the
// service name. No ports or addresses of other services are configured here.
import http from 'node:http';
import { serve, sendJson, traceHeaders, replica } from './lib.mjs';

const VERSION = process.env.VERSION ?? 'v1';
const PRODUCTS = [
  { id: '1', name: 'Linen towel', price: 18 },
  { id: '2', name: 'Cast iron pan', price: 45 },
  { id: '3', name: 'Espresso cups (2)', price: 22 },
  { id: '4', name: 'Wool blanket', price: 89 },
];
const NEW_IN_V2 = new Set(['4']);

const proxy = process.env.HTTP_PROXY ? new URL(process.env.HTTP_PROXY) : undefined;
const agent = new http.Agent({ keepAlive: true });

/** GET http://<service><path> through HTTP_PROXY; resolves to {status, body, error} and never rejects. */
function getViaProxy(service, path, headers) {
  if (proxy === undefined) return Promise.resolve({ status: 0, error: 'HTTP_PROXY is not set' });
  return new Promise((resolve) => {
    const req = http.request({
      host: proxy.hostname, port: proxy.port || 80, method: 'GET', agent, timeout: 5000,
      path: `http://${service}${path}`, // absolute form: the proxy learns the destination from the target
      headers: { ...headers, host: service, accept: 'application/json' },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        let body;
        try { body = JSON.parse(text); } catch { body = undefined; }
        // A mesh error (no endpoint, timeout, ...) names itself in x-weft-error.
        const error = res.statusCode === 200 ? undefined : `${res.statusCode} ${res.headers['x-weft-error'] ?? body?.error ?? text.slice(0, 100)}`;
        resolve({ status: res.statusCode, body, error });
      });
      res.on('error', (e) => resolve({ status: 0, error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => resolve({ status: 0, error: e.message }));
    req.end();
  });
}

serve(async (req, res, url) => {
  if (req.method !== 'GET' || url.pathname !== '/products') return sendJson(res, 404, { error: `no such route: ${req.method} ${url.pathname}` });
  const headers = traceHeaders(req);
  // One call per product, in parallel; a failed call degrades that product's rating instead of the page.
  const reviews = await Promise.all(PRODUCTS.map((p) => getViaProxy('reviews', `/reviews/${p.id}`, headers)));
  const products = PRODUCTS.map((p, i) => ({
    ...p,
    ...(VERSION === 'v2' ? { new: NEW_IN_V2.has(p.id) } : {}),
    rating: reviews[i].body?.average ?? null,
    reviewCount: reviews[i].body?.count ?? null,
    ...(reviews[i].error ? { reviewsError: reviews[i].error } : {}),
  }));
  sendJson(res, 200, { version: VERSION, servedBy: replica, reviewsServedBy: [...new Set(reviews.map((r) => r.body?.servedBy).filter(Boolean))], products });
});
