// The sidecar's capture port: where iptables (weft capture install) redirects the app's outbound TCP. Each
// accepted connection is looked up by the address the app sent it to (SO_ORIGINAL_DST): a Service's virtual
// IP and port goes to that service port's outbound path (HTTP routing, or the opaque TCP tunnel); anything
// else passes through to where the app sent it (ALLOW_ANY) or is closed (REGISTRY_ONLY), as Istio's
// PassthroughCluster and BlackHoleCluster do.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { originalDst, type OriginalDst } from './origdst.js';

/** Where a captured connection goes, given the address the app sent it to. Replaced with each snapshot. */
export type CaptureRoute = (sock: net.Socket, dst: OriginalDst) => void;

export class CaptureListener {
  readonly server: net.Server;
  private readonly socks = new Set<net.Socket>();
  draining = false;
  /** Connections closed because they carried no original destination (they reached the port directly). */
  unredirected = 0;

  constructor(public route: CaptureRoute, private readonly lookup: (s: net.Socket) => OriginalDst | Error = originalDst, private readonly log: (msg: string) => void = () => {}) {
    // Half-close is kept for byte tunnels; the HTTP path turns it off on the sockets it takes.
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => this.accept(s));
  }

  private accept(s: net.Socket): void {
    if (this.draining) {
      s.destroy();
      return;
    }
    const dst = this.lookup(s);
    // No original destination, or this port itself (a connection made straight to it looks the same to
    // conntrack): routing it would loop back here.
    if (dst instanceof Error || (dst.port === this.port && (dst.address === s.localAddress || dst.address.startsWith('127.')))) {
      this.unredirected++;
      if (this.unredirected === 1) this.log(`capture port: closing a connection that was not redirected to it${dst instanceof Error ? ` (${dst.message})` : ''}`);
      s.destroy();
      return;
    }
    this.socks.add(s);
    s.once('close', () => this.socks.delete(s));
    this.route(s, dst);
  }

  /** Binds with SO_REUSEPORT: the replicas of one workload share one capture port (the kernel spreads connections). */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port, host, reusePort: true }, () => {
        this.server.off('error', reject);
        resolve(this.port);
      });
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Stops accepting; connections this listener still holds get `graceMs`, then are cut. */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const deadline = Date.now() + graceMs;
    while (this.socks.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const s of this.socks) s.destroy();
    await closed;
  }
}
