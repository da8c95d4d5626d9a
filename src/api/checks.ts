// Rules that span several fields of one object: the Gateway API's CEL validations (x-kubernetes-validations
// in the CRDs) and weft's own, one file per kind in kinds/ (kinds/<kind>.ts; its schema in <kind>.schema.ts).
// They run after the schema passed, so the shapes there can be trusted.
import type { Issue } from './source.js';
import type { AnyResource } from './types.js';
import { checkAuthorizationPolicy } from './kinds/authorization-policy.js';
import { checkGateway } from './kinds/gateway.js';
import { checkHTTPRoute } from './kinds/httproute.js';
import { checkGRPCRoute } from './kinds/grpcroute.js';
import { checkMesh } from './kinds/mesh.js';
import { checkPeerAuthentication } from './kinds/peer-authentication.js';
import { checkService } from './kinds/service.js';
import { checkTelemetry } from './kinds/telemetry.js';
import { checkTrafficPolicy } from './kinds/traffic-policy.js';
import { checkFaultInjection } from './kinds/fault-injection.js';
import { checkRateLimitPolicy } from './kinds/rate-limit-policy.js';
import { checkSecret } from './kinds/secret.js';
export { parseGoDuration, CERTIFICATE_LIFETIME_MIN_MS, CERTIFICATE_LIFETIME_MAX_MS } from './kinds/mesh.js';

export function checkObject(r: AnyResource): Issue[] {
  const out: Issue[] = [];
  switch (r.kind) {
    case 'Mesh': checkMesh(r, out); break;
    case 'Workload':
      // Identities in weft-system are the mesh's own (the control plane, joined hosts): no app may have one.
      if (r.metadata.namespace === 'weft-system') out.push({ path: ['metadata', 'namespace'], code: 'invalid', message: 'weft-system is reserved for the mesh\'s own identities (the control plane, joined hosts)', hint: 'put the Workload in another namespace' });
      break;
    case 'Service': checkService(r, out); break;
    case 'Gateway': checkGateway(r, out); break;
    case 'HTTPRoute': checkHTTPRoute(r, out); break;
    case 'GRPCRoute': checkGRPCRoute(r, out); break;
    case 'PeerAuthentication': checkPeerAuthentication(r, out); break;
    case 'AuthorizationPolicy': checkAuthorizationPolicy(r, out); break;
    case 'Telemetry': checkTelemetry(r, out); break;
    case 'TrafficPolicy': checkTrafficPolicy(r, out); break;
    case 'FaultInjection': checkFaultInjection(r, out); break;
    case 'RateLimitPolicy': checkRateLimitPolicy(r, out); break;
    case 'Secret': checkSecret(r, out); break;
    default: break;
  }
  return out;
}
