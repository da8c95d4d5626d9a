// The CA's private keys at rest: sealed with AES-256-GCM under a key the operator supplies (the store key),
// so a copy of the store (an etcd backup, a snapshot, a peer reading the keys) holds no usable CA key.
// Certificates stay readable. A sealed key is one string:
//   weft-sealed:v1:<iv base64url>.<tag base64url>.<ciphertext base64url>
// with a fresh 96-bit IV each time and a fixed associated text, so a sealed value cannot pass for anything else.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

const PREFIX = 'weft-sealed:v1:';
const AAD = Buffer.from('weft CA private key');

export function isSealed(v: string): boolean {
  return v.startsWith(PREFIX);
}

export class KeySealer {
  readonly #key: Buffer;
  /** Where the key came from, for error messages ("--store-key-file /etc/weft/store.key"). */
  readonly origin: string;

  constructor(key: Buffer, origin: string) {
    if (key.length !== 32) throw new Error(`${origin}: a store key is 32 bytes, got ${key.length}`);
    this.#key = Buffer.from(key);
    this.origin = origin;
  }

  /** A short fingerprint that names the key without revealing it (first 8 hex of SHA-256). */
  get fingerprint(): string {
    return createHash('sha256').update(this.#key).digest('hex').slice(0, 8);
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.#key, iv);
    c.setAAD(AAD);
    const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return `${PREFIX}${iv.toString('base64url')}.${c.getAuthTag().toString('base64url')}.${ct.toString('base64url')}`;
  }

  /** Throws SealedKeyError when the value was sealed under another key (or altered). */
  open(sealed: string, what: string): string {
    const parts = sealed.slice(PREFIX.length).split('.');
    if (!isSealed(sealed) || parts.length !== 3) throw new SealedKeyError(`${what} is not a sealed value`);
    const [iv, tag, ct] = parts.map((p) => Buffer.from(p, 'base64url'));
    try {
      const d = createDecipheriv('aes-256-gcm', this.#key, iv);
      d.setAAD(AAD);
      d.setAuthTag(tag);
      return Buffer.concat([d.update(ct), d.final()]).toString('utf8');
    } catch {
      throw new SealedKeyError(
        `the store key from ${this.origin} does not decrypt ${what}: it is not the key the CA's private keys were encrypted with (or the value was altered). ` +
        'Nothing was changed; start with the store key this mesh was set up with',
      );
    }
  }
}

export class SealedKeyError extends Error {
  override readonly name = 'SealedKeyError';
  readonly code = 'ca-sealed-key';
}

/**
 * Reads a store key file: 32 random bytes written as base64 (`openssl rand -base64 32 > FILE`) or as 64 hex
 * digits, surrounding whitespace ignored.
 */
export function loadStoreKey(file: string, origin = `--store-key-file ${file}`): KeySealer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new Error(`${origin}: cannot read the store key: ${(err as Error).message}`, { cause: err });
  }
  const hint = 'create one with: openssl rand -base64 32 > FILE; chmod 600 FILE';
  if (text === '') throw new Error(`${origin}: the file is empty; ${hint}`);
  let key: Buffer;
  if (/^[0-9a-fA-F]{64}$/.test(text)) key = Buffer.from(text, 'hex');
  else if (/^[A-Za-z0-9+/]+={0,2}$/.test(text)) key = Buffer.from(text, 'base64');
  else throw new Error(`${origin}: expected 32 bytes as base64 or 64 hex digits; ${hint}`);
  if (key.length !== 32) throw new Error(`${origin}: the key is ${key.length} bytes, it must be 32; ${hint}`);
  return new KeySealer(key, origin);
}
