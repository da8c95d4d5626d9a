// Workload identity on the proxy side: SPIFFE IDs, key + CSR generation, and the checks a proxy applies to
// a peer's X509-SVID after the TLS handshake. The control-plane CA (src/control/ca) shares these helpers.
export { SPIFFE_PREFIX, spiffeIdFor, parseSpiffeId, type ParsedSpiffeId } from './spiffe-id.js';
export { generateKeyAndCsr } from './csr.js';
export { svidInfo, checkPeerSvid, type SvidInfo, type PeerCheck } from './svid.js';
export { verifyChain, type ChainCheck } from './chain.js';
