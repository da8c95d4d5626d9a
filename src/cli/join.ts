// `weft join`: run this host's share of a mesh whose control plane runs elsewhere (docs/fleet.md). The
// one-time join token is spent once for a host credential, kept in the state directory (readable by its
// owner only), so a restart needs no new token. The host then runs the Workloads assigned to it
// (`spec.host`), each with its sidecar, their inbound listeners on --address.
import path from 'node:path';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { JoinView } from '../api/control-api.js';
import type { JoinedHost } from '../runtime/up.js';
import { fail } from './common.js';
import { checkAddress, startLocalMesh } from './up.js';

/** Spends the token at the first control-plane replica that answers (an HA control plane has several). */
async function spend(apis: string[], token: string, name: string): Promise<JoinView> {
  const unreachable: string[] = [];
  for (const api of apis) {
    let r: Response;
    try {
      r = await fetch(new URL('/v1/join', api), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, host: name }), signal: AbortSignal.timeout(10_000) });
    } catch (e) {
      unreachable.push(`${api}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`);
      continue;
    }
    const body = await r.json().catch(() => ({})) as Partial<JoinView> & { error?: string };
    if (!r.ok) return fail(`the control plane at ${api} refused to join host ${name}: ${body.error ?? `HTTP ${r.status}`}`);
    return body as JoinView;
  }
  return fail(`cannot reach the control plane: ${unreachable.join('; ')}`);
}

export function registerJoin(program: Command): void {
  program
    .command('join')
    .description("run this host's Workloads (spec.host) in a mesh whose control plane runs elsewhere")
    .requiredOption('--control <url>', "the control plane's API, e.g. http://10.0.0.1:PORT (`weft status` prints it); an HA control plane's replicas separated by commas")
    .requiredOption('--name <host>', 'this host\'s name, as Workloads name it in spec.host')
    .requiredOption('--address <ip>', "this host's address the other hosts reach (its sidecars' inbound listeners bind to it)")
    .option('--token <token>', 'a one-time join token (`weft token create`); not needed again once this host has joined')
    .option('--state <dir>', 'state directory (default: ./.weft-host-<name>)')
    .action(async (o: { control: string; name: string; address: string; token?: string; state?: string }) => {
      const address = checkAddress(o.address);
      const apis = o.control.split(',').map((u) => u.trim()).filter((u) => u !== '');
      for (const u of apis) if (!/^https?:\/\/[^/]+\/?$/.test(u)) fail(`--control: ${JSON.stringify(u)} is not a control plane URL like http://10.0.0.1:PORT`);
      const dir = path.resolve(o.state ?? `.weft-host-${o.name}`);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const file = path.join(dir, 'host.json');
      let joined: JoinedHost | undefined;
      if (existsSync(file)) {
        const saved = JSON.parse(readFileSync(file, 'utf8')) as JoinedHost;
        if (saved.name === o.name && saved.api === apis.join(',') && o.token === undefined) joined = saved;
      }
      if (joined === undefined) {
        if (o.token === undefined) fail(`host ${o.name} has not joined ${o.control} from ${dir} yet: pass --token (create one with \`weft token create\` where the control plane runs)`);
        const v = await spend(apis, o.token!, o.name);
        joined = { name: v.host, api: apis.join(','), credential: v.credential, xds: v.xds, trustDomain: v.trustDomain, bundle: v.bundle };
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify(joined), { mode: 0o600 });
        renameSync(tmp, file);
        process.stdout.write(`weft: host ${o.name} joined the mesh at ${o.control}\n`);
      }
      const { mesh } = await startLocalMesh([], dir, undefined, { advertise: address, join: joined });
      const say = () => process.stdout.write(`weft: host ${o.name} ready: its Workloads run here, their sidecars on ${address}; Ctrl-C stops them.\n`);
      if (mesh.readyNow) say();
      else void mesh.ready.then(say);
    });
}
