// PeerAuthentication: rules across its fields.
import type { Issue } from '../source.js';
import { ROOT_NAMESPACE } from '../schemas.js';
import type { PeerAuthentication } from '../types.js';

// --- PeerAuthentication ------------------------------------------------------------------------------

export function checkPeerAuthentication(p: PeerAuthentication, out: Issue[]): void {
  const ports = p.spec.portLevelMtls;
  if (ports !== undefined) {
    // Istio: port-level settings name workload ports, which only mean something for selected workloads.
    if (p.spec.selector === undefined) {
      out.push({
        path: ['spec', 'portLevelMtls'], key: true, code: 'invalid',
        message: 'needs spec.selector: port-level settings apply only to the workloads a selector picks',
        hint: 'add spec.selector.matchLabels, or set spec.mtls.mode for the whole namespace',
      });
    }
    for (const key of Object.keys(ports)) {
      const n = Number(key);
      if (n < 1 || n > 65535) out.push({ path: ['spec', 'portLevelMtls', key], key: true, code: 'range', message: `invalid key: port must be 1..65535 (got ${key})` });
    }
  }
  if (p.metadata.namespace === ROOT_NAMESPACE && p.spec.selector !== undefined) {
    out.push({
      path: ['spec', 'selector'], key: true, code: 'invalid',
      message: `a PeerAuthentication in the root namespace ${ROOT_NAMESPACE} applies to the whole mesh and cannot have a selector`,
      hint: 'move it to the namespace of the workloads it selects',
    });
  }
}
