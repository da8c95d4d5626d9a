// Authorization for inbound requests: Istio AuthorizationPolicy semantics (ALLOW / DENY / AUDIT), compiled
// once per snapshot, evaluated per request on the normalized path (../normalize). Pure: the inbound stack
// wraps it as a layer (deny -> 403 with x-weft-error) and `weft authz explain` prints explain()'s trace.

export {
  compileAuthz,
  authorize,
  explain,
  AuthzCompileError,
  type AuthzPolicySnap,
  type AuthzRequest,
  type AuthzDecision,
  type CompiledAuthz,
} from './authz.js';
export { parseIp, parseCidr, cidrContains, type Cidr, type IpWords } from './ip.js';
