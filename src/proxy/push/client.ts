// The proxy side of config push: keeps one stream to the control plane, applies each snapshot, ACKs or
// NACKs it, and keeps serving the last good snapshot whenever the stream is down or a snapshot is bad.
// Reconnects with exponential backoff and full jitter so a restarted control plane is not stampeded. With
// several control-plane addresses (an HA control plane), a lost or refused stream moves on to the next
// address at once; the backoff grows only when a whole round of addresses has failed.
import http2 from 'node:http2';
import type { Snapshot } from '../../api/snapshot.js';
import { lineReader, STREAM_PATH, type ControlMessage, type ProxyHello, type ProxyMessage } from '../../api/push.js';

export interface XdsClientOptions {
  /** The control plane's address, or several separated by commas (replicas of one HA control plane). */
  url: string;
  /** The bootstrap credential for each connection: single-use credentials need a fresh one every time. */
  token: string | (() => Promise<string>);
  hello: Omit<ProxyHello, 'type' | 'configVersion'>;
  /** Applies a snapshot; throwing rejects it (NACK) and leaves the previous one serving. */
  apply: (snapshot: Snapshot) => Promise<void>;
  currentVersion: () => string | null;
  log: (msg: string) => void;
  backoff?: { baseMs: number; maxMs: number };
  /** Messages other than snapshots (certificates, bundles, renew requests). */
  onMessage?: (m: ControlMessage) => void;
  /** Called each time the stream is (re)established, after hello. */
  onConnected?: () => void;
  /** TLS to the control plane (https URLs): the roots to trust, our certificate once we have one, and a check of the server's identity. */
  tls?: () => { ca: string[]; key?: string; cert?: string; checkServerIdentity: (host: string, cert: import('node:tls').PeerCertificate) => Error | undefined };
  /**
   * Liveness of an idle stream: a PING every `pingMs`; a control plane that has answered none for `deadMs`
   * is gone and the stream is reopened. Default 10 s / 30 s.
   */
  keepalive?: { pingMs: number; deadMs: number };
}

export class XdsClient {
  private session: http2.ClientHttp2Session | undefined;
  private stream: http2.ClientHttp2Stream | undefined;
  private stopped = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();
  private pending: Snapshot | undefined;
  connected = false;
  private readonly urls: string[];
  /** The address in use (or tried next). */
  private index: number;
  /** Addresses failed in a row since the last stream that worked. */
  private failedInRound = 0;

  constructor(private readonly opts: XdsClientOptions) {
    this.urls = opts.url.split(',').map((u) => u.trim()).filter((u) => u !== '');
    if (this.urls.length === 0) throw new Error('no control plane address');
    // Proxies start on different replicas (by name), so an HA control plane shares the streams.
    let h = 0;
    for (const c of opts.hello.proxy.name) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
    this.index = h % this.urls.length;
  }

  /** The control-plane address this client uses now. */
  get url(): string {
    return this.urls[this.index]!;
  }

  start(): void {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.stream?.close();
    this.session?.destroy();
  }

  private connect(): void {
    if (this.stopped) return;
    const t = this.opts.token;
    if (typeof t === 'string') return this.open(t);
    t().then((token) => this.open(token), (e) => {
      this.opts.log(`no bootstrap credential for the control plane: ${(e as Error).message}`);
      this.retry();
    });
  }

  private open(token: string): void {
    if (this.stopped) return;
    const t = this.opts.tls?.();
    const url = this.url;
    const session = t ? http2.connect(url, { ca: t.ca, key: t.key, cert: t.cert, checkServerIdentity: t.checkServerIdentity, minVersion: 'TLSv1.2' }) : http2.connect(url);
    this.session = session;
    session.on('error', () => {}); // reported through 'close' below
    // An idle stream carries no frames but these PINGs, so liveness is their answers, not traffic: a session
    // timeout would cut a healthy stream every 30 s on a mesh whose config does not change.
    const { pingMs, deadMs } = this.opts.keepalive ?? { pingMs: 10_000, deadMs: 30_000 };
    let answered = Date.now();
    const ping = setInterval(() => {
      if (session.destroyed) return;
      if (Date.now() - answered > deadMs) {
        down(`no answer to PING for ${Math.round((Date.now() - answered) / 1000)} s`);
        return;
      }
      try {
        session.ping((err) => {
          if (err === null) answered = Date.now();
        });
      } catch {
        // Too many unanswered PINGs in flight: the next tick decides.
      }
    }, pingMs);
    ping.unref();
    const stream = session.request({
      ':method': 'POST',
      ':path': STREAM_PATH,
      authorization: `Bearer ${token}`,
      'x-weft-proxy': this.opts.hello.proxy.name,
      'content-type': 'application/x-ndjson',
    });
    this.stream = stream;
    let failed = false;
    const down = (why: string) => {
      if (failed) return;
      failed = true;
      clearInterval(ping);
      if (this.connected) this.opts.log(`control plane stream lost (${why}); serving last good config ${this.opts.currentVersion() ?? '(none)'}`);
      this.connected = false;
      stream.destroy();
      session.destroy();
      // The next attempt goes to the next address, if there are several.
      this.index = (this.index + 1) % this.urls.length;
      this.failedInRound++;
      this.retry();
    };
    stream.on('response', (headers) => {
      const status = Number(headers[':status']);
      if (status !== 200) {
        this.opts.log(`control plane refused the stream: HTTP ${status}`);
        down(`HTTP ${status}`);
        return;
      }
      this.connected = true;
      this.attempt = 0;
      this.failedInRound = 0;
      this.opts.log(`connected to control plane ${url}`);
      this.opts.onConnected?.();
    });
    stream.on('data', lineReader(
      (m) => this.onMessage(m as ControlMessage),
      (e) => this.opts.log(`bad message from control plane: ${e.message}`),
    ));
    stream.on('error', (e) => down(e.message));
    stream.on('close', () => down('closed'));
    session.on('close', () => down('session closed'));
    this.send({ type: 'hello', ...this.opts.hello, configVersion: this.opts.currentVersion() });
  }

  private retry(): void {
    if (this.stopped) return;
    const { baseMs, maxMs } = this.opts.backoff ?? { baseMs: 200, maxMs: 5000 };
    if (this.urls.length > 1 && this.failedInRound < this.urls.length) {
      // Another replica may be up: try it now (a little jitter so the proxies of a lost replica spread out).
      this.timer = setTimeout(() => this.connect(), Math.random() * Math.min(baseMs, 100));
      return;
    }
    this.failedInRound = 0;
    const cap = Math.min(maxMs, baseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 16);
    const delay = Math.random() * cap;
    this.timer = setTimeout(() => this.connect(), delay);
  }

  send(m: ProxyMessage): void {
    const s = this.stream;
    if (s && !s.destroyed && s.writable) s.write(JSON.stringify(m) + '\n');
  }

  private onMessage(m: ControlMessage): void {
    if (m?.type !== 'snapshot') {
      this.opts.onMessage?.(m);
      return;
    }
    // Apply in order, and skip snapshots superseded while an earlier one was being applied.
    this.pending = m.snapshot;
    this.queue = this.queue.then(async () => {
      const snap = this.pending;
      if (snap === undefined) return;
      this.pending = undefined;
      if (snap.version === this.opts.currentVersion()) {
        this.send({ type: 'ack', version: snap.version });
        return;
      }
      try {
        await this.opts.apply(snap);
        this.send({ type: 'ack', version: snap.version });
      } catch (e) {
        const error = (e as Error).message ?? String(e);
        this.opts.log(`rejected config ${snap.version}: ${error}; still serving ${this.opts.currentVersion() ?? '(none)'}`);
        this.send({ type: 'nack', version: snap.version, error });
      }
    });
  }
}
