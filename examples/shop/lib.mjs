// What every shop service shares. Plain Node, no dependencies and no mesh code: the mesh works with apps as
// they are. The one thing an app does for tracing is pass the trace headers of the request it is serving on
// to the calls it makes (see traceHeaders).
import http from 'node:http';

export const name = process.env.WEFT_WORKLOAD ?? process.argv[1]?.replace(/^.*\/|\.mjs$/g, '') ?? 'app';
/** Which replica answered, so the page can show load balancing and the canary split at work. */
export const replica = process.env.WEFT_REPLICA ?? `${name}@${process.pid}`;

const TRACE_HEADERS = ['x-request-id', 'traceparent', 'tracestate'];

/** The headers an outgoing call must carry so the mesh can join it to the incoming request's trace. */
export function traceHeaders(req) {
  const out = {};
  for (const h of TRACE_HEADERS) {
    const v = req.headers[h];
    if (typeof v === 'string') out[h] = v;
  }
  return out;
}

export function sendJson(res, status, body) {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Serves `handler` on 127.0.0.1:$PORT with GET /healthz for the readiness probe, one log line per request,
 * and a clean stop on SIGTERM (finish what is in flight, then exit 0).
 */
export function serve(handler) {
  const port = Number(process.env.PORT);
  if (!process.env.PORT || !Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`${name}: PORT must be set to the port to listen on (got ${JSON.stringify(process.env.PORT)})`);
    process.exit(2);
  }
  const server = http.createServer((req, res) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      // The runtime probes readiness every second: a passing probe is not worth a line.
      if (req.url === '/healthz' && res.statusCode === 200) return;
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const rid = req.headers['x-request-id'] ?? '-';
      console.log(`${new Date().toISOString()} ${replica} ${req.method} ${req.url} ${res.statusCode} ${ms.toFixed(1)}ms request-id=${rid}`);
    });
    const url = new URL(req.url ?? '/', 'http://local');
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end('ok\n');
    }
    Promise.resolve()
      .then(() => handler(req, res, url))
      .catch((err) => {
        console.error(`${replica}: ${req.method} ${req.url}: ${err?.stack ?? err}`);
        if (!res.headersSent) sendJson(res, 500, { error: String(err?.message ?? err) });
        else res.destroy();
      });
  });
  // Longer than clients' usual idle timeouts, so the client (the sidecar) closes an idle connection first
  // instead of sending a request on a connection we are closing.
  server.keepAliveTimeout = 65_000;
  server.listen(port, '127.0.0.1', () => console.log(`${replica} listening on 127.0.0.1:${server.address().port}`));
  const stop = () => {
    // Node 20's close() also ends idle keep-alive connections; requests in flight finish first.
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return server;
}
