// Real etcd for tests (Debian's etcd-server, /usr/bin/etcd; scripts/test.mjs installs it): one member or a
// cluster of several, all on loopback with free ports and a temporary data directory each, removed by close().
// A member can be stopped and restarted (same name, ports and data) to test what a control plane does while
// etcd loses a member or its quorum.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort } from '../../src/runtime/ports.js';
import { waitFor } from '../../src/util/wait.js';

export const ETCD_BIN = process.env.WEFT_TEST_ETCD ?? '/usr/bin/etcd';

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  /** The running process; undefined while stopped. */
  proc: ChildProcess | undefined;
  /** What the process wrote, for a failure message. */
  output: string;
}

export interface EtcdCluster {
  members: EtcdMember[];
  /** Client URLs of every member ("http://127.0.0.1:port"). */
  endpoints: string[];
  /** The `--store` value for weft: "etcd://127.0.0.1:p1,127.0.0.1:p2/prefix/". */
  storeUrl(prefix?: string): string;
  /** Stops member i (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  stop(i: number): Promise<void>;
  /** Starts member i again with its data; resolves once it reports healthy (needs a quorum to be up). */
  restart(i: number): Promise<void>;
  /** Stops every member and removes their data. */
  close(): Promise<void>;
}

function health(clientUrl: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${clientUrl}/health`, { timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(res.statusCode === 200 && /"health":\s*"true"/.test(body)));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/** Starts `members` etcd members (default 1) forming one new cluster, and waits until each is healthy. */
export async function startEtcd(opts: { members?: number } = {}): Promise<EtcdCluster> {
  const n = opts.members ?? 1;
  if (!existsSync(ETCD_BIN)) {
    throw new Error(`etcd is not installed at ${ETCD_BIN}: apt-get install etcd-server (scripts/test.mjs installs it), or set WEFT_TEST_ETCD`);
  }
  const root = mkdtempSync(path.join(os.tmpdir(), 'weft-etcd-'));
  const token = `weft-test-${randomBytes(4).toString('hex')}`;
  const members: EtcdMember[] = [];
  for (let i = 0; i < n; i++) {
    const [client, peer] = [await freePort(), await freePort()];
    members.push({ name: `m${i}`, clientUrl: `http://127.0.0.1:${client}`, peerUrl: `http://127.0.0.1:${peer}`, dataDir: path.join(root, `m${i}`), proc: undefined, output: '' });
  }
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');

  const launch = (m: EtcdMember): void => {
    const proc = spawn(ETCD_BIN, [
      '--name', m.name, '--data-dir', m.dataDir,
      '--listen-client-urls', m.clientUrl, '--advertise-client-urls', m.clientUrl,
      '--listen-peer-urls', m.peerUrl, '--initial-advertise-peer-urls', m.peerUrl,
      '--initial-cluster', initialCluster, '--initial-cluster-state', 'new', '--initial-cluster-token', token,
      // Fast elections on loopback, so a test that stops a member does not wait seconds for a new leader.
      '--heartbeat-interval', '50', '--election-timeout', '500',
      '--logger', 'zap', '--log-level', 'warn',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    m.output = '';
    const keep = (d: Buffer) => { m.output = (m.output + d.toString()).slice(-8000); };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    proc.on('exit', () => { if (m.proc === proc) m.proc = undefined; });
    m.proc = proc;
  };
  const waitHealthy = async (ms: EtcdMember[]): Promise<void> => {
    for (const m of ms) {
      try {
        await waitFor(`etcd member ${m.name} at ${m.clientUrl} to be healthy`, async () => m.proc !== undefined && (await health(m.clientUrl)), 30_000, 100);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${m.name} said:\n${m.output}`);
      }
    }
  };
  const stop = async (m: EtcdMember): Promise<void> => {
    const proc = m.proc;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(kill);
  };

  members.forEach(launch);
  try {
    await waitHealthy(members);
  } catch (err) {
    await Promise.all(members.map(stop));
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  const hostPorts = members.map((m) => m.clientUrl.replace(/^http:\/\//, ''));
  return {
    members,
    endpoints: members.map((m) => m.clientUrl),
    storeUrl: (prefix = '/weft/') => `etcd://${hostPorts.join(',')}${prefix}`,
    stop: (i) => stop(members[i]),
    restart: async (i) => {
      await stop(members[i]);
      launch(members[i]);
      await waitHealthy([members[i]]);
    },
    close: async () => {
      await Promise.all(members.map(stop));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
