// The one place weft loads @peculiar/x509: it needs the Reflect shim evaluated first, and every caller
// needs the same crypto provider. Import x509 from here, never from '@peculiar/x509' directly.
// It lives in the CA: the control plane's CA and tests use it; the proxy must not (loading the proxy's
// modules took 67 MB RSS with it, 57 MB without): its CSR and certificate checks use src/identity/der.ts.
import './reflect-shim.js';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

export { x509 };

/** The crypto type @peculiar/x509 expects (DOM's Crypto), derived so we need no DOM lib. */
export type X509Crypto = NonNullable<Parameters<x509.X509Certificate['verify']>[1]>;
/** Node's WebCrypto, passed explicitly to every @peculiar/x509 call instead of setting a global default. */
export const x509Crypto = webcrypto as unknown as X509Crypto;

/** ECDSA P-256 with SHA-256: the only key type weft generates. */
export const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
