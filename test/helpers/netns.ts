// Network namespaces for the transparent-capture tests (root only): a fresh namespace with loopback up and
// a route for the Service address range (a veth pair inside it, so the app's packets leave through a
// non-loopback device as they would in a pod), removed afterwards with everything in it (rules, links).
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

/** Why the capture tests cannot run here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, iptables)';
  for (const bin of ['/usr/sbin/ip', '/usr/sbin/iptables']) if (!existsSync(bin)) return `needs ${bin}`;
  return undefined;
}

export class Netns {
  readonly name = `weft-${process.pid}-${randomBytes(3).toString('hex')}`;

  constructor() {
    execFileSync('ip', ['netns', 'add', this.name]);
    try {
      this.run('ip', 'link', 'set', 'lo', 'up');
      this.run('ip', 'link', 'add', 'wv0', 'type', 'veth', 'peer', 'name', 'wv1');
      this.run('ip', 'addr', 'add', '169.254.240.1/32', 'dev', 'wv0');
      this.run('ip', 'link', 'set', 'wv0', 'up');
      this.run('ip', 'link', 'set', 'wv1', 'up');
      // Service addresses and one documentation range (a destination outside the mesh) leave through wv0.
      this.run('ip', 'route', 'add', '240.240.0.0/16', 'dev', 'wv0', 'src', '169.254.240.1');
      this.run('ip', 'route', 'add', '192.0.2.0/24', 'dev', 'wv0', 'src', '169.254.240.1');
    } catch (e) {
      this.remove();
      throw e;
    }
  }

  /** Runs a command inside the namespace and returns its stdout. */
  run(...argv: string[]): string {
    return execFileSync('ip', ['netns', 'exec', this.name, ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** The argv prefix that runs a command inside the namespace. */
  get exec(): string[] {
    return ['ip', 'netns', 'exec', this.name];
  }

  /** The hosts file `ip netns exec` puts over /etc/hosts in this namespace. */
  get hostsFile(): string {
    return `/etc/netns/${this.name}/hosts`;
  }

  remove(): void {
    try { execFileSync('ip', ['netns', 'del', this.name], { stdio: 'ignore' }); } catch { /* already gone */ }
    rmSync(`/etc/netns/${this.name}`, { recursive: true, force: true });
  }
}
