// Gateway: rules across its fields (the Gateway API CEL rules weft enforces).
import { isIP } from 'node:net';
import type { Issue } from '../source.js';
import { unique, notAnIP } from './check-helpers.js';
import type { Gateway, GatewayListener } from '../types.js';
import type { PathSeg } from '../errors.js';

/** The labels that say where a Gateway's proxy runs (locality failover), as Kubernetes labels nodes. */
export const REGION_LABEL = 'topology.kubernetes.io/region';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

export function checkGateway(g: Gateway, out: Issue[]): void {
  const labels = g.metadata.labels ?? {};
  if (labels[ZONE_LABEL] !== undefined && labels[REGION_LABEL] === undefined) {
    out.push({ path: ['metadata', 'labels', ZONE_LABEL], key: true, code: 'invalid', message: 'a zone needs its region', hint: `add the label ${REGION_LABEL}` });
  }
  const ls = g.spec.listeners;
  unique(ls, (l) => l.name, (i, first) => out.push({
    path: ['spec', 'listeners', i, 'name'], code: 'duplicate', message: `listener name "${ls[i].name}" is used twice`, hint: `also at spec.listeners[${first}]`,
  }));
  unique(ls, (l) => `${l.port}/${l.protocol}/${l.hostname ?? ''}`, (i, first) => out.push({
    path: ['spec', 'listeners', i], code: 'duplicate',
    message: 'the combination of port, protocol and hostname must be unique for each listener',
    hint: `spec.listeners[${first}] has the same port ${ls[i].port}, protocol and ${ls[i].hostname === undefined ? 'no hostname' : `hostname ${ls[i].hostname}`}`,
  }));
  ls.forEach((l, i) => {
    if (l.hostname !== undefined && isIP(l.hostname) !== 0) out.push(notAnIP(['spec', 'listeners', i, 'hostname']));
    checkListenerTls(l, ['spec', 'listeners', i], out);
  });
  // Gateway API ProtocolConflict: one port speaks one protocol (a plain HTTP client cannot talk to a TLS port).
  const protocolOf = new Map<number, number>();
  ls.forEach((l, i) => {
    const first = protocolOf.get(l.port);
    if (first === undefined) protocolOf.set(l.port, i);
    else if (ls[first].protocol !== l.protocol) {
      out.push({
        path: ['spec', 'listeners', i, 'protocol'], code: 'conflict',
        message: `port ${l.port} is ${ls[first].protocol} on listener ${ls[first].name}; listeners sharing a port must share its protocol`,
        hint: 'give the HTTPS listeners their own port (e.g. 443 for HTTPS, 80 for HTTP)',
      });
    }
  });
  (g.spec.addresses ?? []).forEach((a, i) => {
    if (isIP(a.value) === 0) {
      out.push({ path: ['spec', 'addresses', i, 'value'], code: 'invalid', message: `must be an IP address (got "${a.value}")`, hint: 'e.g. 127.0.0.1, 0.0.0.0 or ::1' });
    }
  });
}


/** The Gateway API rules on listener tls: HTTPS needs certificates, HTTP takes none, and they are core Secrets. */
function checkListenerTls(l: GatewayListener, at: PathSeg[], out: Issue[]): void {
  if (l.protocol === 'HTTP') {
    if (l.tls !== undefined) out.push({ path: [...at, 'tls'], key: true, code: 'invalid', message: 'tls must not be set on an HTTP listener', hint: 'use protocol: HTTPS to terminate TLS on this listener' });
    return;
  }
  const refs = l.tls?.certificateRefs ?? [];
  if (l.tls === undefined) {
    out.push({ path: [...at, 'tls'], at, code: 'required', message: 'is required: an HTTPS listener terminates TLS with the certificate in tls.certificateRefs', hint: 'tls: { certificateRefs: [{ name: <a Secret of type kubernetes.io/tls> }] }' });
  } else if (refs.length === 0) {
    out.push({ path: [...at, 'tls', 'certificateRefs'], at: [...at, 'tls'], code: 'required', message: 'needs at least one Secret: an HTTPS listener terminates TLS with its certificate', hint: 'certificateRefs: [{ name: <a Secret of type kubernetes.io/tls> }]' });
  }
  refs.forEach((r, j) => {
    if (r.group !== '') out.push({ path: [...at, 'tls', 'certificateRefs', j, 'group'], code: 'invalid', message: `must be "" (the core API group of Secret), got "${r.group}"`, hint: 'weft reads certificates from core Secrets of type kubernetes.io/tls' });
  });
}

/** Gateway API hostnames are names: the pattern alone would let "10.0.0.1" through. */
