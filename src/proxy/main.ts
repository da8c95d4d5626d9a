// `weft proxy`: runs one proxy process. Under `weft up` the runtime forks it with an IPC channel, hands it
// its bootstrap credential over that channel (never a file), and hears back its ports and readiness.
import { readFileSync } from 'node:fs';
import { Proxy } from './proxy.js';
import { XdsClient } from './xds/client.js';
import { VERSION } from '../version.js';

export interface ProxyMainOptions {
  name: string;
  kind: 'sidecar' | 'gateway';
  workload: string;
  namespace: string;
  control: string;
  appPort?: number;
  host: string;
  outboundPort: number;
  inboundPort: number;
  adminPort: number;
  tokenFile?: string;
  drainMs: number;
}

/** Messages a forked proxy sends its parent. */
export type ProxyIpc =
  | { type: 'ready'; ports: ReturnType<Proxy['ports']>; configVersion: string | null }
  | { type: 'ports'; ports: ReturnType<Proxy['ports']>; configVersion: string | null };

async function bootstrapToken(o: ProxyMainOptions): Promise<string> {
  if (o.tokenFile) return readFileSync(o.tokenFile, 'utf8').trim();
  const env = process.env.WEFT_PROXY_TOKEN;
  if (env) {
    delete process.env.WEFT_PROXY_TOKEN;
    return env;
  }
  if (process.send) {
    return new Promise((resolve) => {
      const onMsg = (m: unknown) => {
        const msg = m as { type?: string; token?: string };
        if (msg?.type === 'bootstrap' && typeof msg.token === 'string') {
          process.off('message', onMsg);
          resolve(msg.token);
        }
      };
      process.on('message', onMsg);
    });
  }
  throw new Error('no bootstrap credential: pass --token-file, set WEFT_PROXY_TOKEN, or run under `weft up`');
}

export async function runProxy(o: ProxyMainOptions): Promise<void> {
  const log = (msg: string) => process.stdout.write(`${msg}\n`);
  const proxy = new Proxy({
    name: o.name, kind: o.kind, workload: o.workload, namespace: o.namespace, appPort: o.appPort, host: o.host,
    ports: { outbound: o.outboundPort, inbound: o.inboundPort, admin: o.adminPort }, log,
  });
  const token = await bootstrapToken(o);
  await proxy.start();
  let announced = false;
  const report = () => {
    if (!process.send) return;
    const msg: ProxyIpc = { type: announced ? 'ports' : 'ready', ports: proxy.ports(), configVersion: proxy.version };
    announced = true;
    process.send(msg);
  };
  const xds = new XdsClient({
    url: o.control,
    token,
    hello: { proxy: { name: o.name, kind: o.kind, workload: o.workload, namespace: o.namespace, version: VERSION } },
    currentVersion: () => proxy.version,
    log,
    apply: async (snap) => {
      const first = proxy.version === null;
      await proxy.apply(snap);
      log(`applied config ${snap.version}`);
      if (first || process.send) report();
    },
  });
  xds.start();
  const p = proxy.ports();
  log(`proxy ${o.name} (${o.kind}) admin=${o.host}:${p.admin}${p.outbound ? ` outbound=${o.host}:${p.outbound}` : ''}${p.inbound ? ` inbound=${o.host}:${p.inbound}` : ''}`);

  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log(`draining (${why})`);
    xds.stop();
    await proxy.drain(o.drainMs);
    log('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  if (process.send) {
    process.on('message', (m) => {
      if ((m as { type?: string })?.type === 'drain') void stop('asked by runtime');
    });
    // The runtime went away without stopping us: do not linger as an orphan.
    process.on('disconnect', () => void stop('runtime gone'));
  }
}
