// Which store `weft control` uses: `--store` (or $WEFT_STORE), else the file store in the state directory.
//   etcd://host:2379                          etcd, keys under /weft/
//   etcd://host1:2379,host2:2379,host3:2379   several members of one cluster
//   etcd://host:2379/prod/                    keys under /prod/
//   file:/abs/dir                             a file store in that directory
import path from 'node:path';
import { openFileStore } from './file.js';
import type { Store } from './store.js';

export type StoreSpec =
  | { kind: 'file'; dir: string }
  | { kind: 'etcd'; endpoints: string[]; prefix: string; text: string };

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** Parses a --store value; throws an error that says what is wrong and what a good value looks like. */
export function parseStoreSpec(text: string | undefined, stateDir: string): StoreSpec {
  if (text === undefined || text === '') return { kind: 'file', dir: path.join(stateDir, 'store') };
  const bad = (why: string): never => {
    throw new Error(`--store ${JSON.stringify(text)}: ${why} (expected etcd://host:2379[,host2:2379,...][/prefix/] or file:/dir)`);
  };
  if (text.startsWith('file:')) {
    const dir = text.slice('file:'.length);
    if (dir === '') bad('no directory after "file:"');
    return { kind: 'file', dir: path.resolve(dir) };
  }
  const m = /^etcd:\/\/([^/]*)(\/.*)?$/.exec(text);
  if (m === null) return bad(text.includes('://') ? `unknown store scheme ${text.slice(0, text.indexOf('://'))}` : 'not a store URL');
  const hosts = m[1].split(',').filter((h) => h !== '');
  if (hosts.length === 0) bad('no etcd host');
  for (const h of hosts) {
    const hp = HOST_PORT.exec(h);
    if (hp === null) bad(`${JSON.stringify(h)} is not host:port (etcd's client port is usually 2379)`);
    const port = Number(hp![2]);
    if (port < 1 || port > 65535) bad(`port ${port} in ${h} is out of range`);
  }
  let prefix = m[2] ?? '/weft/';
  if (prefix === '/') bad('the prefix "/" would put weft\'s keys among everything else in etcd; use say /weft/');
  if (!prefix.endsWith('/')) prefix += '/';
  return { kind: 'etcd', endpoints: hosts.map((h) => `http://${h}`), prefix, text };
}

export async function openStore(spec: StoreSpec): Promise<Store> {
  if (spec.kind === 'file') return openFileStore(spec.dir);
  // Loaded only when used: the etcd client (gRPC) costs nothing to a control plane on the file store.
  const { openEtcdStore } = await import('./etcd.js');
  return openEtcdStore({ endpoints: spec.endpoints, prefix: spec.prefix, describe: spec.text });
}
