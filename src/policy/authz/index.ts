// Authorization: Istio AuthorizationPolicy semantics (ALLOW / DENY / AUDIT) for one workload's inbound
// requests and connections. Shared by both planes: the proxy compiles once per snapshot and evaluates per
// request (src/proxy/layers/authz, and L4 in src/proxy/proxy.ts); `weft authz explain` runs explain() in the
// control plane (src/control/explain.ts). Split as Envoy's filters/common/rbac is:
//   view.ts      what a request looks like to policy (attributes derived once, on first use)
//   matchers.ts  one field or condition -> a Check (values prepared once)
//   compile.ts   validated policies -> checks; the semantics
//   evaluate.ts  authorize(): the decision, per request
//   explain.ts   the same decision with the reasons
// Validation is not here: src/api/kinds/authorization-policy.ts is the one validator; the condition-key
// table and value syntax it checks and this engine compiles with are src/api/kinds/authz-values.ts, and
// src/api/ip.ts is the one CIDR parser.

export { compileAuthz, AuthzCompileError, type AuthzPolicySnap, type AuthzDecision, type CompiledAuthz } from './compile.js';
export { authorize } from './evaluate.js';
export { explain } from './explain.js';
export type { AuthzRequest } from './view.js';
