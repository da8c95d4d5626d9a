// web: the shop's front end, the service the ingress gateway sends visitors to.
//   GET /               an HTML page listing the products
//   GET /api/products   the same as JSON: {products, catalogVersion, servedBy, requestId}
//
// It calls catalog with Node's global fetch, which ignores HTTP_PROXY; so it uses the other way the mesh
// offers: CATALOG_URL, a local port of its sidecar that stands for the catalog Service. The sidecar applies
// catalog's routing (the 90/10 split between catalog-v1 and catalog-v2) exactly as for a proxied call.
import { serve, sendJson, traceHeaders, replica } from './lib.mjs';

const CATALOG_URL = process.env.CATALOG_URL;

async function fetchCatalog(req) {
  if (!CATALOG_URL) throw Object.assign(new Error('CATALOG_URL is not set (the mesh sets it; standalone, point it at catalog)'), { status: 500 });
  let res;
  try {
    res = await fetch(new URL('/products', CATALOG_URL), { headers: { ...traceHeaders(req), accept: 'application/json' }, signal: AbortSignal.timeout(5000) });
  } catch (err) {
    throw Object.assign(new Error(`catalog: ${err.cause?.code ?? err.cause?.message ?? err.message}`), { status: 502 });
  }
  const text = await res.text();
  if (res.status !== 200) {
    // The mesh names its own errors (no healthy endpoint, timeout, ...) in x-weft-error.
    throw Object.assign(new Error(`catalog: ${res.status} ${res.headers.get('x-weft-error') ?? text.slice(0, 200)}`), { status: 502 });
  }
  return JSON.parse(text);
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(data) {
  const rows = data.products.map((p) => `      <li>${esc(p.name)}${p.new ? ' <b>NEW</b>' : ''} - $${esc(p.price)}`
    + ` - ${p.rating === null ? (p.reviewsError ? `reviews unavailable (${esc(p.reviewsError)})` : 'no reviews yet') : `${esc(p.rating)}/5 (${esc(p.reviewCount)} review${p.reviewCount === 1 ? '' : 's'})`}</li>`);
  return `<!doctype html>
<html>
  <head><meta charset="utf-8"><title>weft shop</title></head>
  <body>
    <h1>weft shop</h1>
    <ul>
${rows.join('\n')}
    </ul>
    <p><small>catalog ${esc(data.catalogVersion)} (${esc(data.servedBy.catalog)}), web ${esc(data.servedBy.web)}, request ${esc(data.requestId ?? '-')}</small></p>
  </body>
</html>
`;
}

serve(async (req, res, url) => {
  if (req.method !== 'GET' || (url.pathname !== '/' && url.pathname !== '/api/products')) {
    return sendJson(res, 404, { error: `no such route: ${req.method} ${url.pathname}` });
  }
  let catalog;
  try {
    catalog = await fetchCatalog(req);
  } catch (err) {
    if (err.status === undefined) throw err;
    return sendJson(res, err.status, { error: err.message });
  }
  const data = {
    catalogVersion: catalog.version,
    servedBy: { web: replica, catalog: catalog.servedBy, reviews: catalog.reviewsServedBy },
    requestId: req.headers['x-request-id'] ?? null,
    products: catalog.products,
  };
  if (url.pathname === '/api/products') return sendJson(res, 200, data);
  const html = page(data);
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
  res.end(html);
});
