// The mesh's certificate authority: a root per generation, a signing intermediate under it, and X509-SVID
// leaves for proxies. Proxies keep their private keys; they send a CSR, and the identity in the issued
// certificate comes only from the caller (who has verified the proxy's bootstrap credential).
//
// Everything that changes the CA is serialised, persisted under state "ca", and only then made live, so a
// failed step (bad input, store error) leaves both the stored and the running CA as they were.
import { createPrivateKey, generateKeyPairSync, X509Certificate as NodeX509, type KeyObject } from 'node:crypto';
import { verifyChain } from '../../identity/chain.js';
import { certFacts } from '../../identity/cert-facts.js';
import { derToPem, onePemBlock } from '../../identity/pem.js';
import { parseSpiffeId, spiffeIdFor, trustDomainProblem } from '../../identity/spiffe-id.js';
import { x509 } from './x509.js';
import {
  CLOCK_SKEW_MS,
  createAuthority,
  createIntermediate,
  floorToSecond,
  issueLeaf,
  loadSigner,
  type AuthorityState,
  type Signer,
} from './authority.js';
import { readCsr } from './csr.js';
import { toPkcs8Pem } from './keys.js';

export interface CaStateStore {
  getState<T>(name: string): T | undefined;
  putState(name: string, value: unknown): Promise<void>;
}

export interface IssuedSvid {
  /** [leaf, intermediate], canonical PEM each ending in '\n'; a TLS `cert` option is `chainPem.join('')`. */
  chainPem: string[];
  spiffeId: string;
  /** Lower-case hex. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

export type RotationPhase = 'none' | 'bundle-extended' | 'signing-new';

/** Persisted shape of state "ca". Contains private keys: the store must keep it private. */
interface CaState {
  version: 1;
  trustDomain: string;
  /** Trusted roots, oldest first. */
  bundle: string[];
  /** The generation that signs. */
  active: AuthorityState;
  /** The generation being introduced; present only in phase 'bundle-extended'. */
  next?: AuthorityState;
  phase: RotationPhase;
}

const STATE_NAME = 'ca';
const PHASES: readonly RotationPhase[] = ['none', 'bundle-extended', 'signing-new'];
/** Renew a self-generated intermediate once less than this share of its lifetime is left. */
const RENEW_AT_REMAINING = 1 / 3;

export class CertificateAuthority {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly store: CaStateStore,
    readonly trustDomain: string,
    private readonly now: () => Date,
    private state: CaState,
    private signer: Signer,
  ) {}

  /** Loads the CA from state "ca", creating a new root + intermediate on first start. */
  static async open(store: CaStateStore, opts: { trustDomain: string; now?: () => Date }): Promise<CertificateAuthority> {
    const { trustDomain } = opts;
    const problem = trustDomainProblem(trustDomain);
    if (problem) throw new Error(`CA: invalid trust domain: ${problem}`);
    const now = opts.now ?? (() => new Date());
    const stored = store.getState<unknown>(STATE_NAME);
    let state: CaState;
    if (stored === undefined) {
      const active = await createAuthority(trustDomain, now());
      state = { version: 1, trustDomain, bundle: [active.rootCertPem], active, phase: 'none' };
      await store.putState(STATE_NAME, state);
    } else {
      state = checkState(stored, trustDomain);
    }
    let signer: Signer;
    try {
      signer = await loadSigner(state.active);
    } catch (err) {
      throw new Error(`CA state "${STATE_NAME}": ${(err as Error).message}`);
    }
    const ca = new CertificateAuthority(store, trustDomain, now, state, signer);
    await ca.renewSoftly();
    return ca;
  }

  get rotationPhase(): RotationPhase {
    return this.state.phase;
  }

  /** PEM of every trusted root; several while a rotation is in progress. */
  trustBundle(): string[] {
    return [...this.state.bundle];
  }

  /** Certificates to send after a leaf: [intermediate PEM]. */
  signingChain(): string[] {
    return [this.signer.intermediatePem];
  }

  /**
   * Issues an SVID for `id` to the key in the CSR. The CSR must be ECDSA P-256 and correctly self-signed;
   * any names it asks for are ignored. Validity: now - 60 s until now + ttl, cut off at the intermediate's
   * expiry. Costs about 2 ms of CPU (mostly @peculiar/x509's ASN.1 encoding), so hundreds of proxies re-issue
   * in well under a second.
   */
  async signCsr(csrPem: string, id: { namespace: string; serviceAccount: string }, ttlSeconds: number): Promise<IssuedSvid> {
    if (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
      throw new Error(`signCsr: ttlSeconds must be a positive number, got ${String(ttlSeconds)}`);
    }
    let spiffeId: string;
    let spki: Buffer;
    try {
      spiffeId = spiffeIdFor(this.trustDomain, id?.namespace, id?.serviceAccount);
      spki = readCsr(csrPem).spki;
    } catch (err) {
      throw new Error(`signCsr: ${(err as Error).message}`);
    }
    if (this.renewalDue(this.now())) await this.renewSoftly();
    const signer = this.signer;
    const nowMs = this.now().getTime();
    const notBefore = floorToSecond(nowMs - CLOCK_SKEW_MS);
    const notAfter = floorToSecond(Math.min(nowMs + ttlSeconds * 1000, signer.notAfter.getTime()));
    if (notAfter.getTime() <= nowMs) {
      throw new Error(`signCsr: the signing intermediate expired at ${signer.notAfter.toISOString()}; import a new CA or rotate`);
    }
    const { pem, serial } = await issueLeaf(signer, spki, spiffeId, notBefore, notAfter);
    return { chainPem: [pem, signer.intermediatePem], spiffeId, serial, notBefore, notAfter };
  }

  /**
   * Replaces the CA with an organisation's root + intermediate: the bundle becomes [that root] and signing
   * switches to the intermediate at once (so proxies must be re-issued; prefer it at install time). Any
   * rotation in progress is abandoned. Throws, changing nothing, unless the root is a valid self-signed CA,
   * the intermediate is a valid CA issued by it, the key matches the intermediate, and a test leaf signed
   * with it verifies against the root.
   */
  async importCa(input: { rootCertPem: string; intermediateCertPem: string; intermediateKeyPem: string }): Promise<void> {
    await this.exclusive(async () => {
      const fail = (msg: string): never => {
        throw new Error(`importCa: ${msg}`);
      };
      const now = this.now();
      const root = parseCert(input?.rootCertPem, 'rootCertPem', fail);
      const inter = parseCert(input?.intermediateCertPem, 'intermediateCertPem', fail);
      for (const [what, c] of [['root', root], ['intermediate', inter]] as const) {
        if (!c.facts.ca) fail(`${what} certificate is not a CA (basicConstraints CA:true is missing)`);
        if (c.facts.keyUsage !== undefined && !(c.facts.keyUsage & x509.KeyUsageFlags.keyCertSign)) fail(`${what} certificate key usage lacks keyCertSign`);
        if (now < c.facts.notBefore) fail(`${what} certificate is not valid before ${c.facts.notBefore.toISOString()}`);
        if (now > c.facts.notAfter) fail(`${what} certificate expired at ${c.facts.notAfter.toISOString()}`);
        for (const uri of c.facts.uris ?? []) {
          const td = parseSpiffeId(uri)?.trustDomain;
          if (td !== undefined && td !== this.trustDomain) fail(`${what} certificate names trust domain ${td}, not ${this.trustDomain}`);
        }
      }
      // Node's TLS trusts only self-signed anchors (no partial chains), so the root must be one.
      if (!root.cert.checkIssued(root.cert) || !root.cert.verify(root.cert.publicKey)) fail('root certificate is not self-signed');
      if (!inter.cert.checkIssued(root.cert)) fail('intermediate certificate was not issued by the root (issuer name or key identifier differs)');
      if (!inter.cert.verify(root.cert.publicKey)) fail("intermediate certificate's signature does not verify with the root's key");
      let key: KeyObject;
      try {
        key = createPrivateKey(input.intermediateKeyPem);
      } catch (err) {
        return fail(`intermediateKeyPem is not a readable private key: ${(err as Error).message}`);
      }
      if (!inter.cert.checkPrivateKey(key)) fail("intermediateKeyPem does not match the intermediate certificate's public key");

      const authority: AuthorityState = {
        rootCertPem: derToPem(root.cert.raw, 'CERTIFICATE'),
        intermediateCertPem: derToPem(inter.cert.raw, 'CERTIFICATE'),
        intermediateKeyPem: toPkcs8Pem(key),
      };
      let signer: Signer;
      try {
        signer = await loadSigner(authority);
      } catch (err) {
        return fail((err as Error).message);
      }
      // End-to-end proof before switching: a leaf signed the way proxies' will be must chain to the root.
      const probe = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' });
      const probeId = spiffeIdFor(this.trustDomain, 'weft-system', 'ca-import-probe');
      const notAfter = floorToSecond(Math.min(now.getTime() + 60_000, signer.notAfter.getTime()));
      const leaf = await issueLeaf(signer, probe, probeId, floorToSecond(now.getTime() - CLOCK_SKEW_MS), notAfter);
      const check = verifyChain([leaf.pem, signer.intermediatePem], [authority.rootCertPem], now);
      if (!check.ok) fail(`a test certificate signed with the intermediate does not verify: ${check.reason}`);

      await this.commit({ version: 1, trustDomain: this.trustDomain, bundle: [authority.rootCertPem], active: authority, phase: 'none' }, signer);
    });
  }

  /** Step 1 of 3: creates the next root + intermediate and trusts both roots; the old intermediate still signs. */
  async beginRotation(): Promise<void> {
    await this.exclusive(async () => {
      this.expectPhase('beginRotation', 'none');
      const next = await createAuthority(this.trustDomain, this.now());
      await this.commit({ ...this.state, bundle: [...this.state.bundle, next.rootCertPem], next, phase: 'bundle-extended' }, this.signer);
    });
  }

  /** Step 2 of 3: the new intermediate signs from now on. Call once every proxy has the extended bundle. */
  async switchSigning(): Promise<void> {
    await this.exclusive(async () => {
      this.expectPhase('switchSigning', 'bundle-extended');
      const next = this.state.next!;
      const signer = await loadSigner(next);
      const { next: _dropped, ...rest } = this.state;
      await this.commit({ ...rest, active: next, phase: 'signing-new' }, signer);
    });
  }

  /** Step 3 of 3: trusts only the newest root. Call once every proxy holds a leaf from the new intermediate. */
  async finishRotation(): Promise<void> {
    await this.exclusive(async () => {
      this.expectPhase('finishRotation', 'signing-new');
      await this.commit({ ...this.state, bundle: [this.state.active.rootCertPem], phase: 'none' }, this.signer);
    });
  }

  private expectPhase(step: string, want: RotationPhase): void {
    if (this.state.phase !== want) throw new Error(`${step}: rotation phase is ${this.state.phase}, expected ${want}`);
  }

  /** Persists, then makes live; if the store fails, the running CA is unchanged. */
  private async commit(next: CaState, signer: Signer): Promise<void> {
    await this.store.putState(STATE_NAME, next);
    this.state = next;
    this.signer = signer;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * A 1-year intermediate would otherwise stop the mesh after a year. When we hold the root key (not for an
   * imported CA) a fresh intermediate is minted under the same root: the bundle does not change, so this
   * needs no rotation and existing leaves stay valid.
   */
  private renewalDue(now: Date): boolean {
    const { notBefore, notAfter } = this.signer;
    const life = notAfter.getTime() - notBefore.getTime();
    return this.state.active.rootKeyPem !== undefined && notAfter.getTime() - now.getTime() < life * RENEW_AT_REMAINING;
  }

  /**
   * Renewal is due while the current intermediate still has a third of its life left, so a failure (say the
   * store is briefly unavailable) must not stop signing: the next call simply tries again.
   */
  private async renewSoftly(): Promise<void> {
    await this.exclusive(() => this.renewIntermediateIfDue()).catch(() => undefined);
  }

  private async renewIntermediateIfDue(): Promise<void> {
    const now = this.now();
    if (!this.renewalDue(now)) return;
    const active = this.state.active;
    const rootNotAfter = new x509.X509Certificate(onePemBlock(active.rootCertPem, 'CERTIFICATE', 'root')).notAfter;
    // Near the root's own expiry a new intermediate would not outlive the current one: that needs rotation.
    if (rootNotAfter.getTime() <= this.signer.notAfter.getTime() + 24 * 3600_000) return;
    const inter = await createIntermediate(this.trustDomain, now, active.rootCertPem, active.rootKeyPem!);
    const renewed: AuthorityState = { ...active, ...inter };
    await this.commit({ ...this.state, active: renewed }, await loadSigner(renewed));
  }
}

function parseCert(pem: unknown, what: string, fail: (msg: string) => never) {
  try {
    const cert = new NodeX509(onePemBlock(pem, 'CERTIFICATE', what));
    return { cert, facts: certFacts(cert.raw) };
  } catch (err) {
    return fail(`${what} is not a certificate: ${(err as Error).message}`);
  }
}

function checkState(raw: unknown, trustDomain: string): CaState {
  const bad = (msg: string): never => {
    throw new Error(`CA state "${STATE_NAME}": ${msg}`);
  };
  const s = raw as Partial<CaState> | null;
  if (!s || typeof s !== 'object' || s.version !== 1) return bad('unrecognised format (expected version 1)');
  if (s.trustDomain !== trustDomain) {
    bad(`belongs to trust domain ${String(s.trustDomain)}, not ${trustDomain}; changing the trust domain needs a new CA (every identity changes)`);
  }
  if (!Array.isArray(s.bundle) || s.bundle.length === 0 || !s.bundle.every((p) => typeof p === 'string')) bad('bundle must be a non-empty list of PEM strings');
  if (!PHASES.includes(s.phase as RotationPhase)) bad(`unknown rotation phase ${String(s.phase)}`);
  const authority = (a: unknown, what: string): AuthorityState => {
    const x = a as Partial<AuthorityState> | null;
    if (!x || typeof x.rootCertPem !== 'string' || typeof x.intermediateCertPem !== 'string' || typeof x.intermediateKeyPem !== 'string' || (x.rootKeyPem !== undefined && typeof x.rootKeyPem !== 'string')) {
      return bad(`${what} is incomplete`);
    }
    return x as AuthorityState;
  };
  authority(s.active, 'active');
  if (s.phase === 'bundle-extended') authority(s.next, 'next');
  else if (s.next !== undefined) bad(`unexpected next authority in phase ${s.phase}`);
  return s as CaState;
}
