// `weft learn --web`: a small local HTTP server for the page, the track's own compiled modules, the ts-fsrs
// library and weft's docs. It keeps no state: progress lives in the browser.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IMPORT_MAP, PAGE_CSS, pageHtml } from './page.js';

const LEARN_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const DOCS_DIR = path.resolve(LEARN_DIR, '..', '..', '..', 'docs');
/** Modules of the track that only make sense under Node; the page never loads them. */
const NODE_ONLY = new Set(['store.js', 'terminal.js', 'web/server.js']);

function browserModules(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const n of readdirSync(dir)) {
      const p = path.join(dir, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.js') && !n.endsWith('.test.js')) {
        const rel = path.relative(LEARN_DIR, p).split(path.sep).join('/');
        if (!NODE_ONLY.has(rel)) out.set(`/js/${rel}`, p);
      }
    }
  };
  walk(LEARN_DIR);
  return out;
}

export interface LearnServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface LearnServerOptions {
  host?: string;
  port?: number;
}

export async function startLearnServer(o: LearnServerOptions = {}): Promise<LearnServer> {
  const modules = browserModules();
  const fsrsFile = fileURLToPath(import.meta.resolve('ts-fsrs'));
  const html = pageHtml();
  const mapHash = createHash('sha256').update(IMPORT_MAP).digest('base64');
  const headers = {
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'content-security-policy':
      `default-src 'none'; script-src 'self' 'sha256-${mapHash}'; style-src 'self'; img-src 'self' data:; ` +
      "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  };
  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer, head: boolean) => {
    res.writeHead(status, { ...headers, 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(head ? undefined : body);
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) return send(res, 405, 'text/plain; charset=utf-8', 'only GET\n', false);
    const p = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (p === '/' || p === '/index.html') return send(res, 200, 'text/html; charset=utf-8', html, head);
    if (p === '/app.css') return send(res, 200, 'text/css; charset=utf-8', PAGE_CSS, head);
    if (p === '/vendor/ts-fsrs.js') return send(res, 200, 'text/javascript; charset=utf-8', readFileSync(fsrsFile), head);
    const mod = modules.get(p);
    if (mod) return send(res, 200, 'text/javascript; charset=utf-8', readFileSync(mod), head);
    const doc = /^\/docs\/([a-z0-9-]+\.md)$/.exec(p);
    if (doc && existsSync(path.join(DOCS_DIR, doc[1]))) return send(res, 200, 'text/plain; charset=utf-8', readFileSync(path.join(DOCS_DIR, doc[1])), head);
    send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
  };
  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (e) {
      send(res, 500, 'text/plain; charset=utf-8', `internal error: ${(e as Error).message}\n`, false);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}/`,
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
