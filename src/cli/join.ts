// `weft join`: run this host's share of a mesh whose control plane runs elsewhere (docs/fleet.md). The host
// makes its own key; the one-time join token is spent once, with a certificate request, for the host's
// identity from the mesh CA. Key and certificate stay in the state directory (readable by the owner only),
// so a restart needs no new token; the certificate is renewed over mTLS when a third of its life is left.
// The host then runs the Workloads assigned to it (`spec.host`), each with its sidecar, their inbound
// listeners on --address.
import path from 'node:path';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { JoinView } from '../api/control-api.js';
import type { JoinedHost } from '../runtime/up.js';
import { fail } from './common.js';
import { HOST_NAME, LOCAL_HOST } from '../control/hosts.js';
import { generateKeyAndCsr } from '../identity/index.js';
import { call } from '../control/client.js';
import { X509Certificate } from 'node:crypto';

/** host.json: what this host keeps (mode 600): its key and certificate, and where the control plane is. */
type SavedHost = JoinedHost & { /** the --control the host joined through (its plain API) */ control: string };

const spiffeOf = (pem: string): string => /URI:(spiffe:\/\/[^,\s]+)/.exec(new X509Certificate(pem).subjectAltName ?? '')?.[1] ?? '(none)';

/** Whether a third or less of the certificate's life is left. */
function renewalDue(pem: string, now = Date.now()): boolean {
  const c = new X509Certificate(pem);
  const from = Date.parse(c.validFrom);
  const to = Date.parse(c.validTo);
  return now >= to - (to - from) / 3;
}
import { checkAddress, startLocalMesh } from './up.js';

/** Spends the token at the first control-plane replica that answers (an HA control plane has several). */
async function spend(apis: string[], token: string, name: string, csr: string): Promise<JoinView> {
  const unreachable: string[] = [];
  for (const api of apis) {
    let r: Response;
    try {
      r = await fetch(new URL('/v1/join', api), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, host: name, csr }), signal: AbortSignal.timeout(10_000) });
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
      if (!HOST_NAME.test(o.name) || o.name === LOCAL_HOST) {
        fail(`--name must be a DNS label (lower-case letters, digits and "-", at most 63) other than "${LOCAL_HOST}", got ${JSON.stringify(o.name)}`);
      }
      const address = checkAddress(o.address);
      const apis = o.control.split(',').map((u) => u.trim()).filter((u) => u !== '');
      for (const u of apis) if (!/^https?:\/\/[^/]+\/?$/.test(u)) fail(`--control: ${JSON.stringify(u)} is not a control plane URL like http://10.0.0.1:PORT`);
      const dir = path.resolve(o.state ?? `.weft-host-${o.name}`);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const file = path.join(dir, 'host.json');
      const save = (h: SavedHost) => {
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify(h), { mode: 0o600 });
        renameSync(tmp, file);
      };
      let joined: SavedHost | undefined;
      if (existsSync(file)) {
        const saved = JSON.parse(readFileSync(file, 'utf8')) as SavedHost;
        if (saved.name === o.name && saved.control === apis.join(',') && o.token === undefined) joined = saved;
      }
      if (joined === undefined) {
        if (o.token === undefined) fail(`host ${o.name} has not joined ${o.control} from ${dir} yet: pass --token (create one with \`weft token create\` where the control plane runs)`);
        const { keyPem, csrPem } = await generateKeyAndCsr();
        const v = await spend(apis, o.token!, o.name, csrPem);
        joined = { name: v.host, control: apis.join(','), api: v.hostApi, key: keyPem, certificate: v.certificate, xds: v.xds, trustDomain: v.trustDomain, bundle: v.bundle };
        save(joined);
        process.stdout.write(`weft: host ${o.name} joined the mesh at ${o.control}; its identity: ${spiffeOf(v.certificate[0]!)}\n`);
      } else if (renewalDue(joined.certificate[0]!)) {
        // A third or less of the certificate's life left: a new one for a new key, over mTLS with the old one.
        const { keyPem, csrPem } = await generateKeyAndCsr();
        const j = joined;
        const r = await call<{ certificate: string[] }>({ url: j.api.split(',')[0]!, token: '', tls: { key: j.key, cert: j.certificate.join(''), ca: j.bundle, serverId: `spiffe://${j.trustDomain}/ns/weft-system/sa/weft-control` } }, 'POST', `/v1/hosts/${encodeURIComponent(j.name)}/certificate`, { csr: csrPem })
          .catch((e: Error) => fail(`cannot renew host ${j.name}'s certificate: ${e.message} (join again with a new token if it has expired)`));
        joined = { ...j, key: keyPem, certificate: r.certificate };
        save(joined);
        process.stdout.write(`weft: host ${o.name}: certificate renewed until ${new X509Certificate(r.certificate[0]!).validTo}\n`);
      }
      const { mesh } = await startLocalMesh([], dir, undefined, { advertise: address, join: joined });
      const say = () => process.stdout.write(`weft: host ${o.name} ready: its Workloads run here, their sidecars on ${address}; Ctrl-C stops them.\n`);
      if (mesh.readyNow) say();
      else void mesh.ready.then(say);
    });
}
