// Gateway: rules across its fields (the Gateway API CEL rules weft enforces).
import { isIP } from 'node:net';
import type { Issue } from '../source.js';
import { unique, notAnIP } from './check-helpers.js';
import type { Gateway } from '../types.js';

export function checkGateway(g: Gateway, out: Issue[]): void {
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
  });
  (g.spec.addresses ?? []).forEach((a, i) => {
    if (isIP(a.value) === 0) {
      out.push({ path: ['spec', 'addresses', i, 'value'], code: 'invalid', message: `must be an IP address (got "${a.value}")`, hint: 'e.g. 127.0.0.1, 0.0.0.0 or ::1' });
    }
  });
}

/** Gateway API hostnames are names: the pattern alone would let "10.0.0.1" through. */
