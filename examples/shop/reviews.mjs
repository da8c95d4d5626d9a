// reviews: what customers said about each product. The leaf of the call graph:
//   GET /reviews/<id>   {productId, average, count, reviews: [{author, stars, text}], servedBy}
import { serve, sendJson, replica } from './lib.mjs';

const REVIEWS = {
  1: [
    { author: 'ana', stars: 5, text: 'Soft, and dries fast.' },
    { author: 'bo', stars: 4, text: 'Good, shrank a little.' },
  ],
  2: [
    { author: 'chen', stars: 5, text: 'Will outlive me.' },
    { author: 'dee', stars: 5, text: 'Heavy, heats evenly.' },
    { author: 'eli', stars: 3, text: 'Needs seasoning first.' },
  ],
  3: [{ author: 'fay', stars: 4, text: 'Small and sturdy.' }],
  4: [],
};

serve((req, res, url) => {
  const m = /^\/reviews\/([^/]+)$/.exec(url.pathname);
  if (req.method !== 'GET' || m === null) return sendJson(res, 404, { error: `no such route: ${req.method} ${url.pathname}` });
  const reviews = REVIEWS[m[1]];
  if (reviews === undefined) return sendJson(res, 404, { error: `no product ${m[1]}` });
  const average = reviews.length === 0 ? null : Math.round((reviews.reduce((s, r) => s + r.stars, 0) / reviews.length) * 10) / 10;
  sendJson(res, 200, { productId: m[1], average, count: reviews.length, reviews, servedBy: replica });
});
