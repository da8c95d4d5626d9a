// Workload identity, shared by the proxy and the control plane: SPIFFE IDs, key + CSR generation, and the
// checks a proxy applies to a peer's X509-SVID after the TLS handshake. The CA (src/control/ca) uses these
// helpers too, with its own X.509 library (src/control/ca/x509.ts), which nothing here loads.
export { SPIFFE_PREFIX, spiffeIdFor, parseSpiffeId, type ParsedSpiffeId } from './spiffe-id.js';
export { generateKeyAndCsr } from './csr.js';
export { svidInfo, checkPeerSvid, type SvidInfo, type PeerCheck } from './svid.js';
export { verifyChain, type ChainCheck } from './chain.js';
