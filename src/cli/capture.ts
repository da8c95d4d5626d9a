// `weft capture install|remove`: the iptables rules that bring an app's TCP to its sidecar without the app
// knowing (what Istio's init container sets up in each pod's network namespace), and, with --hosts, names
// for the mesh's Services in the hosts file. Run inside the app's network namespace (or on a host), as root.
// Both are idempotent: install replaces whatever an earlier install set, remove leaves no WEFT chains.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { intArg, UsageError } from './common.js';

export const OUTPUT_CHAIN = 'WEFT_OUTPUT';
export const INBOUND_CHAIN = 'WEFT_INBOUND';

export interface CaptureOptions {
  /** The sidecar's uid: its own connections are never captured. */
  proxyUid: number;
  proxyGid?: number;
  /** The sidecar's capture port (the Workload's spec.capture.outboundPort). */
  outboundPort: number;
  /** The sidecar's inbound port; with appPorts, inbound TCP to those ports is redirected there. */
  inboundPort?: number;
  appPorts: number[];
  /** Outbound destination ports left alone (e.g. a database reached outside the mesh). */
  excludePorts: number[];
}

/** The rules of WEFT_OUTPUT and WEFT_INBOUND, as `iptables -t nat` arguments after `-A CHAIN`. Pure. */
export function captureRules(o: CaptureOptions): { output: string[][]; inbound: string[][] } {
  const output: string[][] = [
    // The app talking to itself or to local processes over loopback is not mesh traffic.
    ['-o', 'lo', '-m', 'owner', '!', '--uid-owner', String(o.proxyUid), '-j', 'RETURN'],
    // The sidecar's own connections (to peers, to passthrough destinations) must not loop back to it.
    ['-m', 'owner', '--uid-owner', String(o.proxyUid), '-j', 'RETURN'],
    ...(o.proxyGid !== undefined ? [
      ['-o', 'lo', '-m', 'owner', '!', '--gid-owner', String(o.proxyGid), '-j', 'RETURN'],
      ['-m', 'owner', '--gid-owner', String(o.proxyGid), '-j', 'RETURN'],
    ] : []),
    ['-d', '127.0.0.1/32', '-j', 'RETURN'],
    ...o.excludePorts.map((p) => ['-p', 'tcp', '--dport', String(p), '-j', 'RETURN']),
    ['-p', 'tcp', '-j', 'REDIRECT', '--to-ports', String(o.outboundPort)],
  ];
  const inbound = o.inboundPort === undefined ? [] : o.appPorts.map((p) => ['-p', 'tcp', '--dport', String(p), '-j', 'REDIRECT', '--to-ports', String(o.inboundPort)]);
  return { output, inbound };
}

/** The jumps from the built-in chains into ours. */
const JUMPS: [string, string][] = [['OUTPUT', OUTPUT_CHAIN], ['PREROUTING', INBOUND_CHAIN]];

type Iptables = (args: string[]) => boolean;

/** Runs iptables on the nat table (waiting for the xtables lock); false when it exits non-zero. */
function iptablesRunner(bin: string): Iptables {
  return (args) => {
    try {
      execFileSync(bin, ['-w', '5', '-t', 'nat', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      return true;
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
      if (err.code === 'ENOENT') throw new Error(`${bin} not found: install iptables (Debian: apt-get install iptables)`);
      return false;
    }
  };
}

function must(ipt: Iptables, args: string[]): void {
  if (!ipt(args)) throw new Error(`iptables -t nat ${args.join(' ')} failed (run as root, inside the app's network namespace)`);
}

/** Removes the jumps (every copy) and the chains; nothing there is fine. */
export function removeRules(ipt: Iptables): void {
  for (const [from, to] of JUMPS) while (ipt(['-D', from, '-p', 'tcp', '-j', to]));
  for (const [, chain] of JUMPS) if (ipt(['-L', chain, '-n'])) {
    must(ipt, ['-F', chain]);
    must(ipt, ['-X', chain]);
  }
}

/** Sets exactly one set of rules: chains created or emptied and refilled, one jump into each. */
export function installRules(ipt: Iptables, o: CaptureOptions): void {
  const rules = captureRules(o);
  const wanted: [string, string, string[][]][] = [['OUTPUT', OUTPUT_CHAIN, rules.output], ['PREROUTING', INBOUND_CHAIN, rules.inbound]];
  for (const [from, chain, list] of wanted) {
    if (list.length === 0) {
      // No inbound capture asked for: an earlier install's is taken away.
      while (ipt(['-D', from, '-p', 'tcp', '-j', chain]));
      if (ipt(['-L', chain, '-n'])) { must(ipt, ['-F', chain]); must(ipt, ['-X', chain]); }
      continue;
    }
    if (ipt(['-L', chain, '-n'])) must(ipt, ['-F', chain]);
    else must(ipt, ['-N', chain]);
    for (const r of list) must(ipt, ['-A', chain, ...r]);
    if (!ipt(['-C', from, '-p', 'tcp', '-j', chain])) must(ipt, ['-A', from, '-p', 'tcp', '-j', chain]);
  }
}

const BEGIN = '# weft services: begin (weft capture install --hosts)';
const END = '# weft services: end';

/** `text` with weft's block replaced by `lines` (or removed, for none), everything else kept. Pure. */
export function withHostsBlock(text: string, lines: readonly string[]): string {
  const out: string[] = [];
  let inside = false;
  for (const l of text.split('\n')) {
    if (l === BEGIN) inside = true;
    else if (l === END) inside = false;
    else if (!inside) out.push(l);
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  if (lines.length > 0) out.push(BEGIN, ...lines, END);
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** The hosts file for this network namespace: /etc/netns/<name>/hosts when in a named one, else /etc/hosts. */
export function hostsFileHere(): string {
  try {
    const ns = execFileSync('ip', ['netns', 'identify', String(process.pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (ns !== '') return `/etc/netns/${ns}/hosts`;
  } catch { /* not in a named namespace, or no ip */ }
  return '/etc/hosts';
}

/** Rewrites the file in place: `ip netns exec` bind-mounts it over /etc/hosts, and a new inode would not be seen. */
function writeHosts(file: string, lines: readonly string[]): void {
  const before = existsSync(file) ? readFileSync(file, 'utf8') : file === '/etc/hosts' ? '' : '127.0.0.1 localhost\n::1 localhost\n';
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, withHostsBlock(before, lines));
}

function portList(name: string) {
  return (v: string): number[] => v.split(',').filter((p) => p.trim() !== '').map((p) => intArg(name, 1, 65535)(p.trim()));
}

export function registerCapture(program: Command): void {
  const cmd = program.command('capture').description("transparent capture: iptables rules that send an app's TCP through its sidecar (run as root in the app's network namespace)");
  cmd.command('install')
    .description('set the capture rules (idempotent: running it again replaces them)')
    .requiredOption('--proxy-uid <uid>', "the sidecar's uid: its own traffic is not captured", intArg('--proxy-uid', 0, 2 ** 32 - 2))
    .option('--proxy-gid <gid>', "the sidecar's gid: traffic of this group is not captured either", intArg('--proxy-gid', 0, 2 ** 32 - 2))
    .requiredOption('--outbound-port <port>', "the sidecar's capture port (the Workload's spec.capture.outboundPort)", intArg('--outbound-port', 1, 65535))
    .option('--inbound-port <port>', "the sidecar's inbound port: inbound TCP to --app-ports goes there", intArg('--inbound-port', 1, 65535))
    .option('--app-ports <ports>', "the app's ports, comma-separated (with --inbound-port)", portList('--app-ports'), [])
    .option('--exclude-ports <ports>', 'outbound destination ports not to capture, comma-separated', portList('--exclude-ports'), [])
    .option('--hosts', "write the Services' names and virtual IPs into this namespace's hosts file (needs -f)")
    .option('-f, --file <file...>', 'mesh config files naming the Services (for --hosts)')
    .option('--namespace <ns>', "the app's namespace: its Services are also named without one (for --hosts)", 'default')
    .option('--iptables <path>', 'the iptables binary', 'iptables')
    .action(async (o: { proxyUid: number; proxyGid?: number; outboundPort: number; inboundPort?: number; appPorts: number[]; excludePorts: number[]; hosts?: boolean; file?: string[]; namespace: string; iptables: string }) => {
      if ((o.inboundPort === undefined) !== (o.appPorts.length === 0)) throw new UsageError('--inbound-port and --app-ports go together: inbound capture needs both');
      if (o.hosts === true && (o.file === undefined || o.file.length === 0)) throw new UsageError('--hosts needs -f with the files that declare the Services');
      if (o.proxyUid === 0 && o.proxyGid === undefined) process.stderr.write('weft: --proxy-uid 0: every root process (not only the sidecar) is left uncaptured\n');
      let lines: string[] | undefined;
      if (o.hosts === true) {
        const { loadAndValidate } = await import('../api/load.js');
        const { hostsLines } = await import('../api/vip.js');
        const objects = await loadAndValidate(o.file!);
        const services = objects.map((l) => l.resource).filter((r) => r.kind === 'Service').map((r) => ({ namespace: r.metadata.namespace ?? 'default', name: r.metadata.name }));
        lines = hostsLines(services, o.namespace);
      }
      installRules(iptablesRunner(o.iptables), { proxyUid: o.proxyUid, proxyGid: o.proxyGid, outboundPort: o.outboundPort, inboundPort: o.inboundPort, appPorts: o.appPorts, excludePorts: o.excludePorts });
      if (lines !== undefined) {
        const file = hostsFileHere();
        writeHosts(file, lines);
        process.stdout.write(`${lines.length} Service name${lines.length === 1 ? '' : 's'} in ${file}\n`);
      }
      process.stdout.write(`capture rules set: outbound TCP -> port ${o.outboundPort}${o.inboundPort !== undefined ? `, inbound ${o.appPorts.join(',')} -> port ${o.inboundPort}` : ''}\n`);
    });
  cmd.command('remove')
    .description('remove the capture rules and the hosts entries (fine when there are none)')
    .option('--iptables <path>', 'the iptables binary', 'iptables')
    .action((o: { iptables: string }) => {
      removeRules(iptablesRunner(o.iptables));
      const file = hostsFileHere();
      if (existsSync(file) && readFileSync(file, 'utf8').includes(BEGIN)) writeHosts(file, []);
      process.stdout.write('capture rules removed\n');
    });
}

