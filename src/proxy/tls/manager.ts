// The proxy's own workload identity: generates its key pair (which never leaves the process), asks the
// control plane to sign a CSR, installs the certificate, renews at ~50% of its lifetime with jitter, and
// fails closed when it expires. Listeners and connectors read `current` at handshake time, so a renewal
// takes effect for new connections while existing ones carry on undisturbed.
import tls from 'node:tls';
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { generateKeyAndCsr, svidInfo, type SvidInfo } from '../../identity/index.js';

export interface TlsIdentity {
  keyPem: string;
  chain: string[];
  bundle: string[];
  info: SvidInfo;
  /** For accepting connections: presents our chain, requires and verifies a peer certificate. */
  serverContext: tls.SecureContext;
  /** For opening connections: presents our chain, verifies the peer against the bundle. */
  clientContext: tls.SecureContext;
}

export interface IdentityManagerOptions {
  sendCsr: (csrPem: string) => void;
  onStatus: (status: { info: SvidInfo | null; renewAt: Date | null; error?: string }) => void;
  log: (msg: string) => void;
  now?: () => number;
}

export function bundleId(bundle: string[]): string {
  return createHash('sha256').update(bundle.map((p) => p.trim()).join('\n')).digest('hex').slice(0, 12);
}

function contexts(keyPem: string, chain: string[], bundle: string[]) {
  const base = { key: keyPem, cert: chain.join('\n'), ca: bundle.join('\n'), minVersion: 'TLSv1.2' as const };
  return { serverContext: tls.createSecureContext(base), clientContext: tls.createSecureContext(base) };
}

export class IdentityManager {
  current: TlsIdentity | undefined;
  expired = false;
  private pendingKey: string | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private renewAt: Date | null = null;
  private readonly listeners: (() => void)[] = [];
  private readonly now: () => number;

  constructor(private readonly opts: IdentityManagerOptions) {
    this.now = opts.now ?? Date.now;
  }

  get bundleId(): string | undefined {
    return this.current === undefined ? undefined : bundleId(this.current.bundle);
  }

  get renewAtIso(): string {
    return this.renewAt?.toISOString() ?? '';
  }

  onChange(cb: () => void): void {
    this.listeners.push(cb);
  }

  /** Whether a CSR should go out now (no certificate, or past its renewal time, or expired). */
  get needsCertificate(): boolean {
    return this.current === undefined || this.expired || (this.renewAt !== null && this.now() >= this.renewAt.getTime());
  }

  async requestCertificate(): Promise<void> {
    const { keyPem, csrPem } = await generateKeyAndCsr();
    this.pendingKey = keyPem;
    this.opts.sendCsr(csrPem);
  }

  /** Installs a signed chain for the pending key. Throws (keeping the current identity) if it does not fit. */
  install(chain: string[], bundle: string[]): void {
    const key = this.pendingKey;
    if (key === undefined) throw new Error('received a certificate without a pending CSR');
    const leaf = new X509Certificate(chain[0]);
    const want = createPublicKey(key).export({ type: 'spki', format: 'der' });
    const got = leaf.publicKey.export({ type: 'spki', format: 'der' });
    if (!want.equals(got)) throw new Error('received certificate does not match the pending key');
    const info = svidInfo(chain[0]);
    this.pendingKey = undefined;
    this.current = { keyPem: key, chain, bundle, info, ...contexts(key, chain, bundle) };
    const wasExpired = this.expired;
    this.expired = false;
    this.schedule(info);
    this.opts.log(`${wasExpired ? 'recovered: ' : ''}certificate ${info.serial.slice(0, 16)} for ${info.spiffeId} valid until ${info.notAfter.toISOString()}, renewing at ${this.renewAt?.toISOString()}`);
    this.opts.onStatus({ info, renewAt: this.renewAt });
    for (const l of this.listeners) l();
  }

  /** A new trust bundle (CA rotation); the certificate stays. */
  setBundle(bundle: string[]): void {
    const c = this.current;
    if (c === undefined) return;
    this.current = { ...c, bundle, ...contexts(c.keyPem, c.chain, bundle) };
    this.opts.log(`trust bundle updated: ${bundle.length} root${bundle.length === 1 ? '' : 's'}`);
    this.opts.onStatus({ info: c.info, renewAt: this.renewAt });
    for (const l of this.listeners) l();
  }

  private schedule(info: SvidInfo): void {
    clearTimeout(this.renewTimer);
    clearTimeout(this.expiryTimer);
    // Measured from now, not notBefore: the CA backdates notBefore for clock skew.
    const start = Math.max(info.notBefore.getTime(), this.now());
    const life = info.notAfter.getTime() - start;
    // 50% of the lifetime, +-10% jitter so a fleet issued together does not renew together.
    const at = start + life * (0.5 + (Math.random() - 0.5) * 0.2);
    this.renewAt = new Date(at);
    this.renewTimer = setTimeout(() => {
      this.opts.log('renewing certificate');
      this.requestCertificate().catch((e) => this.opts.log(`cannot create CSR: ${(e as Error).message}`));
    }, Math.max(0, at - this.now()));
    this.renewTimer.unref();
    this.expiryTimer = setTimeout(() => this.expire(info), Math.max(0, info.notAfter.getTime() - this.now()));
    this.expiryTimer.unref();
  }

  private expire(info: SvidInfo): void {
    this.expired = true;
    const error = `certificate expired at ${info.notAfter.toISOString()}: failing closed (no plaintext fallback) until the control plane issues a new one`;
    this.opts.log(`ERROR ${error}`);
    this.opts.onStatus({ info, renewAt: this.renewAt, error });
    for (const l of this.listeners) l();
  }

  stop(): void {
    clearTimeout(this.renewTimer);
    clearTimeout(this.expiryTimer);
  }
}
