// The mesh's certificate authority: a root per generation, a signing intermediate under it, and X509-SVID
// leaves for proxies. Proxies keep their private keys; they send a CSR, and the identity in the issued
// certificate comes only from the caller (who has verified the proxy's bootstrap credential).
//
// Everything that changes the CA is serialised, persisted under state "ca", and only then made live, so a
// failed step (bad input, store error) leaves both the stored and the running CA as they were.
//
// Several control planes may share one store (etcd). Each change is a compare-and-set on state "ca" against
// the document this instance last saw: two instances starting on an empty store create one root between
// them (the loser loads the winner's), a step that loses a race changes nothing and says so, and a change
// made by another instance (a rotation step, a renewed intermediate) is taken up here when the store reports it.
// With a store key (KeySealer) the private keys are stored sealed with AES-256-GCM; certificates stay readable.
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
import { isSealed, type KeySealer } from './sealing.js';
import { jsonEqual } from '../store/core.js';

export interface CaStateStore {
  getState<T>(name: string): T | undefined;
  putState(name: string, value: unknown): Promise<void>;
  /** Present on every Store: makes changes safe between control planes sharing the store. */
  casState?(name: string, expected: unknown, value: unknown): Promise<{ ok: true } | { ok: false; current: unknown }>;
  /** Present on every Store: how a change made by another control plane is seen. */
  watchStates?(cb: (name: string) => void): () => void;
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

export interface CaOptions {
  trustDomain: string;
  now?: () => Date;
  /** Seals the private keys in the store; without it they are stored as PEM (the store must be private). */
  sealer?: KeySealer;
}

export class CertificateAuthority {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<() => void>();
  private unwatch: (() => void) | undefined;

  private constructor(
    private readonly store: CaStateStore,
    readonly trustDomain: string,
    private readonly now: () => Date,
    private readonly sealer: KeySealer | undefined,
    /** The document in the store this instance last saw or wrote (keys as stored: sealed or PEM). */
    private stored: unknown,
    private state: CaState,
    private signer: Signer,
  ) {}

  /**
   * Loads the CA from state "ca", creating a new root + intermediate on first start. Instances opening at once
   * on one shared store end up with the same CA.
   */
  static async open(store: CaStateStore, opts: CaOptions): Promise<CertificateAuthority> {
    const { trustDomain, sealer } = opts;
    const problem = trustDomainProblem(trustDomain);
    if (problem) throw new Error(`CA: invalid trust domain: ${problem}`);
    const now = opts.now ?? (() => new Date());
    let stored = store.getState<unknown>(STATE_NAME);
    if (stored === undefined) {
      const active = await createAuthority(trustDomain, now());
      const fresh = storedForm({ version: 1, trustDomain, bundle: [active.rootCertPem], active, phase: 'none' }, sealer, undefined);
      // Create if absent: if another control plane created one meanwhile, this one is dropped and theirs used.
      const r = await casOrPut(store, undefined, fresh);
      stored = r.ok ? plainJson(fresh) : r.current;
    }
    let state = readState(stored, trustDomain, sealer);
    if (sealer !== undefined && hasPlainKeys(stored)) {
      // Keys stored before a store key was given: seal them now.
      const sealed = storedForm(state, sealer, undefined);
      const r = await casOrPut(store, stored, sealed);
      stored = r.ok ? plainJson(sealed) : r.current;
      state = readState(stored, trustDomain, sealer);
    }
    const ca = new CertificateAuthority(store, trustDomain, now, sealer, stored, state, await signerFor(state));
    ca.unwatch = store.watchStates?.((name) => {
      if (name === STATE_NAME) void ca.exclusive(() => ca.adoptStored()).catch((err: unknown) => process.emitWarning(`CA: ${(err as Error).message}`, { code: 'WEFT_CA_RELOAD' }));
    });
    await ca.renewSoftly();
    return ca;
  }

  /** Called after this instance took up a CA changed by another control plane (bundle, signer or phase). */
  onExternalChange(cb: () => void): () => void {
    const w = () => cb();
    this.listeners.add(w);
    return () => void this.listeners.delete(w);
  }

  /** Stops following the store. */
  close(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    this.listeners.clear();
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

  /**
   * Persists, then makes live; if the store fails, the running CA is unchanged. On a shared store the write
   * happens only over the document this instance last saw: if another control plane changed the CA first,
   * this instance takes up that CA instead and the step fails, changing nothing.
   */
  private async commit(next: CaState, signer: Signer): Promise<void> {
    const doc = storedForm(next, this.sealer, this.stored);
    const r = await casOrPut(this.store, this.stored, doc);
    if (!r.ok) {
      await this.adopt(r.current);
      throw new CaConflictError('another control plane changed the CA at the same time; this step was not applied (the CA now is theirs; check it and retry if still needed)');
    }
    this.stored = plainJson(doc);
    this.state = next;
    this.signer = signer;
  }

  /** Takes up what the store holds now, if it is not what this instance already runs. */
  private async adoptStored(): Promise<void> {
    const raw = this.store.getState<unknown>(STATE_NAME);
    if (raw !== undefined) await this.adopt(raw);
  }

  private async adopt(raw: unknown): Promise<void> {
    if (raw === undefined || jsonEqual(raw, this.stored)) return;
    const state = readState(raw, this.trustDomain, this.sealer);
    const signer = await signerFor(state);
    this.stored = raw;
    this.state = state;
    this.signer = signer;
    this.changed();
  }

  private changed(): void {
    for (const l of [...this.listeners]) {
      try {
        l();
      } catch (err) {
        process.emitWarning(`CA change listener threw: ${(err as Error)?.stack ?? String(err)}`, { code: 'WEFT_CA_LISTENER' });
      }
    }
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
    // Another control plane may have renewed it already.
    await this.adoptStored();
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

/** Another control plane changed the CA between this instance's read and its write. */
export class CaConflictError extends Error {
  override readonly name = 'CaConflictError';
  readonly code = 'ca-conflict';
}

async function casOrPut(store: CaStateStore, expected: unknown, value: unknown): Promise<{ ok: true } | { ok: false; current: unknown }> {
  if (store.casState !== undefined) return store.casState(STATE_NAME, expected, value);
  await store.putState(STATE_NAME, value);
  return { ok: true };
}

async function signerFor(state: CaState): Promise<Signer> {
  try {
    return await loadSigner(state.active);
  } catch (err) {
    throw new Error(`CA state "${STATE_NAME}": ${(err as Error).message}`);
  }
}

const KEY_FIELDS = ['rootKeyPem', 'intermediateKeyPem'] as const;

function authorities(s: Partial<CaState>): AuthorityState[] {
  return [s.active, s.next].filter((a): a is AuthorityState => a !== undefined && a !== null && typeof a === 'object');
}

function hasPlainKeys(raw: unknown): boolean {
  return authorities(raw as Partial<CaState>).some((a) => KEY_FIELDS.some((f) => typeof a[f] === 'string' && !isSealed(a[f])));
}

/**
 * The document to store for `state`: with a sealer, each private key sealed. A key that `previous` (the
 * stored document) already holds sealed keeps that sealed value, so an unchanged key does not change the store.
 */
function storedForm(state: CaState, sealer: KeySealer | undefined, previous: unknown): CaState {
  if (sealer === undefined) return state;
  const known = new Map<string, string>();
  for (const a of authorities((previous ?? {}) as Partial<CaState>)) {
    for (const f of KEY_FIELDS) {
      const v = a[f];
      if (typeof v === 'string' && isSealed(v)) {
        try {
          known.set(sealer.open(v, 'a stored key'), v);
        } catch {
          // Not ours to reuse: it will be sealed afresh.
        }
      }
    }
  }
  const seal = (pem: string) => known.get(pem) ?? sealer.seal(pem);
  const sealAuthority = (a: AuthorityState): AuthorityState => ({
    ...a, intermediateKeyPem: seal(a.intermediateKeyPem), ...(a.rootKeyPem !== undefined ? { rootKeyPem: seal(a.rootKeyPem) } : {}),
  });
  return { ...state, active: sealAuthority(state.active), ...(state.next !== undefined ? { next: sealAuthority(state.next) } : {}) };
}

/** Checks a stored document and opens its sealed keys. */
function readState(raw: unknown, trustDomain: string, sealer: KeySealer | undefined): CaState {
  const s = checkState(raw, trustDomain);
  const open = (a: AuthorityState, which: string): AuthorityState => {
    const out = { ...a };
    for (const f of KEY_FIELDS) {
      const v = a[f];
      if (v === undefined || !isSealed(v)) continue;
      if (sealer === undefined) {
        throw new Error(`CA state "${STATE_NAME}": the CA's private keys in the store are encrypted; give the store key they were encrypted with (--store-key-file FILE or WEFT_STORE_KEY_FILE)`);
      }
      out[f] = sealer.open(v, `the CA's ${which} ${f === 'rootKeyPem' ? 'root' : 'intermediate'} key`);
    }
    return out;
  };
  return { ...s, active: open(s.active, 'active'), ...(s.next !== undefined ? { next: open(s.next, 'next') } : {}) };
}

/** As the store will hold it: through JSON (no undefined fields), so comparing with what it holds is exact. */
function plainJson(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v));
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
