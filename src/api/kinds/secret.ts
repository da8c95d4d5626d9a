// Secret (type kubernetes.io/tls): the values decode, tls.crt is a PEM certificate chain in order, tls.key a
// PEM private key that belongs to it. Time-dependent facts (expired, not yet valid) are warnings, not errors:
// a config that loaded yesterday must still load today, and refusing it would stop the whole mesh instead of
// one listener's handshakes (see secretWarnings). No message here ever quotes a value.
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import type { PathSeg } from '../errors.js';
import type { Issue } from '../source.js';
import type { AnyResource, Secret } from '../types.js';

export const TLS_CERT = 'tls.crt';
export const TLS_KEY = 'tls.key';

/** Go's base64.StdEncoding, which Kubernetes decodes `data` with: padding required, CR and LF ignored. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** One value of a Secret, decoded, and the field it came from (stringData wins over data, as the API server merges them). */
export interface SecretValue {
  text: string | undefined;
  path: PathSeg[];
}

export function secretValue(s: Secret, key: string): SecretValue | undefined {
  const plain = s.stringData?.[key];
  if (plain !== undefined) return { text: plain, path: ['stringData', key] };
  const b64 = s.data?.[key];
  if (b64 === undefined) return undefined;
  const compact = b64.replace(/[\r\n]/g, '');
  return { text: BASE64.test(compact) ? Buffer.from(compact, 'base64').toString('utf8') : undefined, path: ['data', key] };
}

/** Every key the Secret holds (data and stringData merged), sorted: what `weft get secrets` shows. */
export function secretKeys(s: Secret): string[] {
  return [...new Set([...Object.keys(s.data ?? {}), ...Object.keys(s.stringData ?? {})])].sort();
}

/** The certificate chain and key PEM of a Secret that passed checkSecret. */
export function tlsPair(s: Secret): { certPem: string; keyPem: string } | undefined {
  const cert = secretValue(s, TLS_CERT)?.text;
  const key = secretValue(s, TLS_KEY)?.text;
  return cert === undefined || key === undefined ? undefined : { certPem: cert, keyPem: key };
}

interface Parsed {
  chain: X509Certificate[];
  key: KeyObject;
}

/** Parses the pair, or says what is wrong with which field (never echoing the value). */
function parse(s: Secret, out: Issue[] | undefined): Parsed | undefined {
  const report = (i: Issue) => out?.push(i);
  const crt = secretValue(s, TLS_CERT);
  const key = secretValue(s, TLS_KEY);
  const at: PathSeg[] = s.stringData !== undefined && s.data === undefined ? ['stringData'] : s.data !== undefined ? ['data'] : [];
  const hint = 'a kubernetes.io/tls Secret holds tls.crt (the PEM certificate chain) and tls.key (its PEM private key), base64 in data or as text in stringData';
  for (const [name, v] of [[TLS_CERT, crt], [TLS_KEY, key]] as const) {
    if (v === undefined) report({ path: [at[0] ?? 'data', name], at, code: 'required', message: 'is required', hint });
    else if (v.text === undefined) report({ path: v.path, code: 'invalid', message: 'is not base64', hint: 'data values are base64 (standard alphabet, padded); put PEM text in stringData instead' });
  }
  if (crt?.text === undefined || key?.text === undefined) return undefined;

  const blocks = crt.text.match(CERT_BLOCK) ?? [];
  if (blocks.length === 0) {
    report({ path: crt.path, code: 'invalid', message: 'holds no PEM certificate', hint: 'expected one or more "-----BEGIN CERTIFICATE-----" blocks: the server certificate first, then its intermediates' });
    return undefined;
  }
  const chain: X509Certificate[] = [];
  for (const [i, b] of blocks.entries()) {
    try {
      chain.push(new X509Certificate(b));
    } catch {
      report({ path: crt.path, code: 'invalid', message: `certificate ${i + 1} of ${blocks.length} is not a valid X.509 certificate`, hint: 'check that the PEM block was copied whole' });
      return undefined;
    }
  }
  let k: KeyObject;
  try {
    k = createPrivateKey(key.text);
  } catch (e) {
    const encrypted = (e as NodeJS.ErrnoException).code === 'ERR_MISSING_PASSPHRASE' || /ENCRYPTED/.test(key.text);
    report({
      path: key.path, code: 'invalid', message: encrypted ? 'is an encrypted private key' : 'is not a PEM private key',
      hint: encrypted ? 'weft needs the key unencrypted (e.g. openssl pkey -in key.pem -out plain.pem); keep the Secret file private instead'
        : 'expected a "-----BEGIN PRIVATE KEY-----" (PKCS#8), "RSA PRIVATE KEY" or "EC PRIVATE KEY" block',
    });
    return undefined;
  }
  if (!chain[0].checkPrivateKey(k)) {
    report({ path: key.path, code: 'invalid', message: 'does not belong to the first certificate of tls.crt', hint: `that certificate is for ${subjectOf(chain[0])}; the server certificate comes first in tls.crt, and tls.key must be its key` });
    return undefined;
  }
  for (let i = 1; i < chain.length; i++) {
    if (!chain[i - 1].checkIssued(chain[i])) {
      report({ path: crt.path, code: 'invalid', message: `certificate ${i + 1} of tls.crt did not issue certificate ${i}`, hint: 'order the chain leaf first: the server certificate, then the CA that issued it, and so on up' });
      return undefined;
    }
  }
  return { chain, key: k };
}

function subjectOf(c: X509Certificate): string {
  return c.subjectAltName ?? c.subject.replace(/\n/g, ', ');
}

export function checkSecret(s: Secret, out: Issue[]): void {
  parse(s, out);
}

/**
 * What is wrong with a valid Secret's certificate at `now`: expired, or not valid yet. Handshakes with it
 * fail in every client, but the rest of the mesh is fine; `weft apply` and `weft check` say so.
 */
export function secretWarnings(s: Secret, now: number): Issue[] {
  const p = parse(s, undefined);
  if (p === undefined) return [];
  const leaf = p.chain[0];
  const path = secretValue(s, TLS_CERT)!.path;
  const from = Date.parse(leaf.validFrom);
  const to = Date.parse(leaf.validTo);
  if (to <= now) return [{ path, code: 'invalid', message: `the certificate expired on ${new Date(to).toISOString()}`, hint: 'clients refuse it: put a renewed certificate and key in this Secret (weft apply) and listeners pick it up without a restart' }];
  if (from > now) return [{ path, code: 'invalid', message: `the certificate is not valid before ${new Date(from).toISOString()}`, hint: 'clients refuse it until then; check the clock of the machine that issued it' }];
  return [];
}

/** When the Secret's server certificate expires (ms), or undefined when it does not parse. */
export function secretExpiry(s: Secret): number | undefined {
  const p = parse(s, undefined);
  return p === undefined ? undefined : Date.parse(p.chain[0].validTo);
}

/** Whether the Secret's server certificate names `host` (DNS SAN, wildcards as TLS clients match them). */
export function secretCovers(s: Secret, host: string): boolean | undefined {
  const p = parse(s, undefined);
  if (p === undefined) return undefined;
  // A listener hostname "*.example.com" is covered by a certificate for "*.example.com" (checkHost would
  // treat the "*" as a literal label); test a name in it instead.
  const probe = host.startsWith('*.') ? `weft-probe${host.slice(1)}` : host;
  return p.chain[0].checkHost(probe) !== undefined;
}

/** An object as the control API lists it: a Secret shows its type and keys, never its values. */
export function withoutSecretValues<T extends AnyResource>(r: T): T | { apiVersion: string; kind: 'Secret'; metadata: Secret['metadata']; type: string; keys: string[] } {
  if (r.kind !== 'Secret') return r;
  return { apiVersion: r.apiVersion, kind: r.kind, metadata: r.metadata, type: r.type, keys: secretKeys(r) };
}
