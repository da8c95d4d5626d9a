// The control plane's HTTP/1.1 JSON API, used by the CLI and the local runtime. Every call needs the
// admin token. Config changes are validated whole before anything is stored: a bad file changes nothing.
import { listenOn } from '../../util/listen.js';
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { timingSafeEqual } from 'node:crypto';
import {
  CONTROL_API_MAX_BODY as MAX_BODY, type Answer, type ApplyResult, type CheckResult, type ControlStatus, type DeleteResult, type EdgeRow, type ExplainView,
  type IdentityView, type JoinTokenView, type JoinView, type ObjectRow, type PrometheusSdGroup, type ProxyConfigView, type RolloutRestartResult, type Rollouts, type StatRow,
} from '../../api/control-api.js';

/** What each endpoint answers, typed by the contracts in src/api/control-api.ts (the CLI reads the same types). */
export interface ApiHandlers {
  status(): ControlStatus;
  proxyConfig(name: string): ProxyConfigView | undefined;
  identity(name: string): IdentityView | undefined;
  caRotate(): Promise<Answer<{ steps: string[] }>>;
  caImport(body: unknown): Promise<Answer<{ bundle: number }>>;
  bundle(): string[];
  check(): CheckResult[];
  /** `backends`: by service, each row lists the backend Services its requests went to. */
  stat(by: 'service' | 'workload', windowMs: number, backends?: boolean): Promise<StatRow[]>;
  edges(windowMs: number): Promise<EdgeRow[]>;
  prometheusSd(): PrometheusSdGroup[];
  /** Streams merged tap events from every proxy to `res` (NDJSON) until it closes. */
  tap(res: http.ServerResponse, query: URLSearchParams): void;
  explain(body: unknown): ExplainView;
  apply(text: string, file: string): Promise<Answer<ApplyResult>>;
  delete(text: string, file: string): Promise<Answer<DeleteResult>>;
  report(runtime: string, body: unknown): Promise<Answer<{ changed: boolean }>>;
  objects(kind: string | undefined): ObjectRow[];
  /** POST /v1/rollout/restart and GET /v1/rollouts (the runtime watches the latter). */
  rolloutRestart(body: unknown): Promise<Answer<RolloutRestartResult>>;
  rollouts(): Rollouts;
  /** POST /v1/join-tokens (admin): a one-time join token for `weft join`. */
  joinToken?(body: unknown): Promise<Answer<JoinTokenView>>;
  /** POST /v1/join (the join token is the credential): a host credential. */
  join?(body: unknown): Promise<Answer<JoinView>>;
  /** POST /v1/hosts/<host>/proxy-tokens: a bootstrap credential for one of that host's proxies. */
  hostProxyToken?(host: string, body: unknown): Answer<{ token: string }>;
  /** GET /v1/hosts (admin). */
  hosts?(): { name: string; joinedAt: string }[];
  /** POST /v1/hosts/<host>/certificate (the host, over mTLS): its certificate renewed for the CSR's key. */
  hostCertificate?(host: string, body: unknown): Promise<Answer<{ certificate: string[] }>>;
}

/**
 * What a joined host's credential may call: what a runtime needs for its own workloads, nothing else
 * (no config changes, no CA, no other host's registry entry).
 */
function hostMayCall(host: string, method: string | undefined, parts: string[]): boolean {
  if (method === 'GET') return parts[1] === 'objects' || parts[1] === 'rollouts' || parts[1] === 'status' || (parts[1] === 'ca' && parts[2] === 'bundle');
  if (method === 'PUT') return parts[1] === 'registry' && parts[2] !== undefined && decodeURIComponent(parts[2]) === host && parts.length === 3;
  if (method === 'POST') return parts[1] === 'hosts' && parts[2] !== undefined && decodeURIComponent(parts[2]) === host && (parts[3] === 'proxy-tokens' || parts[3] === 'certificate');
  return false;
}

/** A request body over MAX_BODY: answered 413 with the limit, never by cutting the connection. */
class BodyTooLarge extends Error {}

/**
 * `hosts`: the listener for joined hosts instead (mTLS): every caller presents the certificate the mesh CA
 * issued its host at join, and `hostOf` says which joined host it names; no admin token is taken there.
 */
export interface HostListener {
  tls: { key: string; cert: string; ca: string[] };
  hostOf: (peer: TLSSocket) => string | undefined;
}

export async function startApi(h: ApiHandlers, token: string, host: string, port: number, log: (m: string) => void, hosts?: HostListener) {
  const want = Buffer.from(`Bearer ${token}`);
  const handler = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body, null, 2) + '\n';
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    try {
      const url = new URL(req.url ?? '/', 'http://control');
      if (url.pathname === '/healthz') return send(200, { status: 'ok' });
      const parts = url.pathname.split('/').filter(Boolean); // v1, ...
      if (hosts !== undefined) {
        // A joined host may call what its runtime needs, for itself only.
        const named = hosts.hostOf(req.socket as TLSSocket);
        if (named === undefined) return send(403, { error: 'this certificate names no joined host' });
        if (!hostMayCall(named, req.method, parts)) return send(403, { error: `host ${named} may not call ${req.method} ${url.pathname}` });
      } else {
        // Joining: the join token in the body is the credential.
        if (req.method === 'POST' && url.pathname === '/v1/join' && h.join !== undefined) {
          const r = await h.join(JSON.parse(await readBody(req)));
          return send(r.status, r.body);
        }
        const got = Buffer.from(String(req.headers.authorization ?? ''));
        if (got.length !== want.length || !timingSafeEqual(got, want)) return send(401, { error: 'missing or wrong admin token' });
      }
      const body = req.method === 'GET' ? '' : await readBody(req);
      if (parts[0] !== 'v1') return send(404, { error: `no such endpoint ${url.pathname}` });
      if (req.method === 'POST' && parts[1] === 'join-tokens' && h.joinToken !== undefined) {
        const r = await h.joinToken(body === '' ? {} : JSON.parse(body));
        return send(r.status, r.body);
      }
      if (req.method === 'GET' && parts[1] === 'hosts' && parts.length === 2 && h.hosts !== undefined) return send(200, h.hosts());
      if (req.method === 'POST' && parts[1] === 'hosts' && parts[2] && parts[3] === 'certificate' && h.hostCertificate !== undefined) {
        const r = await h.hostCertificate(decodeURIComponent(parts[2]), JSON.parse(body));
        return send(r.status, r.body);
      }
      if (req.method === 'POST' && parts[1] === 'hosts' && parts[2] && parts[3] === 'proxy-tokens' && h.hostProxyToken !== undefined) {
        const r = h.hostProxyToken(decodeURIComponent(parts[2]), JSON.parse(body));
        return send(r.status, r.body);
      }
      if (req.method === 'GET' && parts[1] === 'status') return send(200, h.status());
      if (req.method === 'GET' && parts[1] === 'objects') return send(200, h.objects(url.searchParams.get('kind') ?? undefined));
      if (req.method === 'GET' && parts[1] === 'proxies' && parts[2] && parts[3] === 'config') {
        const c = h.proxyConfig(decodeURIComponent(parts[2]));
        return c === undefined ? send(404, { error: `no proxy named ${parts[2]}` }) : send(200, c);
      }
      if (req.method === 'GET' && parts[1] === 'proxies' && parts[2] && parts[3] === 'identity') {
        const c = h.identity(decodeURIComponent(parts[2]));
        return c === undefined ? send(404, { error: `no proxy named ${parts[2]} has connected` }) : send(200, c);
      }
      if (req.method === 'GET' && parts[1] === 'check') return send(200, h.check());
      if (req.method === 'GET' && parts[1] === 'stat') {
        const by = url.searchParams.get('by') ?? 'service';
        if (by !== 'service' && by !== 'workload') return send(400, { error: `by must be "service" or "workload", got "${by}"` });
        return send(200, await h.stat(by, windowOf(url.searchParams), url.searchParams.get('backends') === '1'));
      }
      if (req.method === 'GET' && parts[1] === 'edges') return send(200, await h.edges(windowOf(url.searchParams)));
      if (req.method === 'GET' && parts[1] === 'prometheus' && parts[2] === 'sd') return send(200, h.prometheusSd());
      if (req.method === 'GET' && parts[1] === 'tap') return h.tap(res, url.searchParams);
      if (req.method === 'POST' && parts[1] === 'authz' && parts[2] === 'explain') {
        try {
          return send(200, h.explain(JSON.parse(body)));
        } catch (e) {
          return send(400, { error: (e as Error).message });
        }
      }
      if (req.method === 'GET' && parts[1] === 'ca' && parts[2] === 'bundle') return send(200, { bundle: h.bundle() });
      if (req.method === 'POST' && parts[1] === 'ca' && parts[2] === 'rotate') {
        const r = await h.caRotate();
        return send(r.status, r.body);
      }
      if (req.method === 'POST' && parts[1] === 'ca' && parts[2] === 'import') {
        const r = await h.caImport(JSON.parse(body));
        return send(r.status, r.body);
      }
      if (req.method === 'POST' && (parts[1] === 'apply' || parts[1] === 'delete')) {
        const { text, file } = JSON.parse(body) as { text: string; file: string };
        if (typeof text !== 'string') return send(400, { error: 'body must be {"text": "<yaml>", "file": "<name>"}' });
        const r = await (parts[1] === 'apply' ? h.apply(text, file ?? '<api>') : h.delete(text, file ?? '<api>'));
        return send(r.status, r.body);
      }
      if (req.method === 'POST' && parts[1] === 'rollout' && parts[2] === 'restart') {
        const r = await h.rolloutRestart(JSON.parse(body));
        return send(r.status, r.body);
      }
      if (req.method === 'GET' && parts[1] === 'rollouts') return send(200, h.rollouts());
      if (req.method === 'PUT' && parts[1] === 'registry' && parts[2]) {
        const r = await h.report(decodeURIComponent(parts[2]), JSON.parse(body));
        return send(r.status, r.body);
      }
      send(404, { error: `no such endpoint ${req.method} ${url.pathname}` });
    } catch (e) {
      if (e instanceof BodyTooLarge) {
        // Answer first, then close: the client may still be sending; cut it off only if it keeps on.
        res.setHeader('connection', 'close');
        send(413, { error: `request body over the control API's limit of ${MAX_BODY / 1024 / 1024} MiB` });
        if (!req.complete) setTimeout(() => req.socket.destroy(), 5000).unref();
        return;
      }
      log(`api error on ${req.method} ${req.url}: ${(e as Error).message}`);
      send(e instanceof SyntaxError ? 400 : 500, { error: (e as Error).message });
    }
  };
  const server = hosts === undefined ? http.createServer(handler)
    : https.createServer({ key: hosts.tls.key, cert: hosts.tls.cert, ca: hosts.tls.ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' }, handler);
  const bound = await listenOn(server, port, host);
  return {
    port: bound,
    /** The control plane's renewed certificate (the host listener). */
    setTls: (t: { key: string; cert: string; ca: string[] }) => {
      if (server instanceof https.Server) server.setSecureContext({ key: t.key, cert: t.cert, ca: t.ca });
    },
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

/** `window` query parameter: "30s", "5m", "1h" (default 1m). */
function windowOf(q: URLSearchParams): number {
  const w = q.get('window') ?? '1m';
  const m = /^(\d+)(s|m|h)$/.exec(w);
  if (m === null) throw new SyntaxError(`window must look like 30s, 5m or 1h, got "${w}"`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 3_600_000);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > MAX_BODY) {
        // Keep reading and dropping the rest, so the 413 reaches the client instead of a reset.
        chunks.length = 0;
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
