// The "naive Node" anchor of issue 5: the mesh hop as a Node developer would first write it, one process
// per side, no mesh features (no metrics, logs, routing, identity checks): node:http server + undici Pool
// out over mTLS; node:https server requiring a client certificate + undici Pool to the app.
//   node naive-node.mjs out <listenPort> <inPort> <certsDir>
//   node naive-node.mjs in  <inPort> <appPort> <certsDir>
// The bench runs both on the proxies' core; weft has to do better than this with all its layers on.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { Pool } from 'undici';

const [role, listenPort, targetPort, certs] = process.argv.slice(2);
const cert = (f) => readFileSync(path.join(certs, f));
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function proxyTo(pool) {
  return async (req, res) => {
    const headers = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k)) headers[k] = v;
    try {
      const up = await pool.request({ method: req.method, path: req.url, headers, body: req.method === 'GET' || req.method === 'HEAD' ? null : req });
      for (const k of Object.keys(up.headers)) if (HOP.has(k)) delete up.headers[k];
      res.writeHead(up.statusCode, up.headers);
      up.body.pipe(res);
    } catch {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    }
  };
}

if (role === 'out') {
  const pool = new Pool(`https://127.0.0.1:${targetPort}`, {
    connections: 64,
    connect: { ca: cert('ca.crt'), cert: cert('client.crt'), key: cert('client.key'), servername: 'server', checkServerIdentity: () => undefined },
  });
  http.createServer(proxyTo(pool)).listen(Number(listenPort), '127.0.0.1');
} else if (role === 'in') {
  const pool = new Pool(`http://127.0.0.1:${targetPort}`, { connections: 64 });
  https.createServer({ ca: cert('ca.crt'), cert: cert('server.crt'), key: cert('server.key'), requestCert: true, rejectUnauthorized: true }, proxyTo(pool))
    .listen(Number(listenPort), '127.0.0.1');
} else {
  console.error('usage: naive-node.mjs out|in <listenPort> <targetPort> <certsDir>');
  process.exit(2);
}
