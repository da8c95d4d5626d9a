// Service: rules across its fields.
import type { Issue } from '../source.js';
import { unique } from './check-helpers.js';
import type { Service } from '../types.js';

export function checkService(s: Service, out: Issue[]): void {
  const ports = s.spec.ports;
  unique(ports, (p) => String(p.port), (i, first) => out.push({
    path: ['spec', 'ports', i, 'port'], code: 'duplicate', message: `port ${ports[i].port} is listed twice`, hint: `also at spec.ports[${first}]`,
  }));
  unique(ports, (p) => p.name, (i, first) => out.push({
    path: ['spec', 'ports', i, 'name'], code: 'duplicate', message: `port name "${ports[i].name}" is used twice`, hint: `also at spec.ports[${first}]`,
  }));
}
