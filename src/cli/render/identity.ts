// `weft identity <proxy>`: its SPIFFE ID, certificate serial, validity and time to renewal.
import { json, type Output } from './table.js';
import type { IdentityView } from '../../api/control-api.js';

export type { IdentityView };

function human(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${m}m` : m > 0 ? `${m}m${s % 60}s` : `${s}s`;
}

/** `now` (ms since the epoch) makes "expires in" reproducible. */
export function renderIdentity(r: IdentityView, output: Output, now: number): string {
  if (output === 'json') return json(r);
  const c = r.certificate;
  const lines = [`proxy:       ${r.proxy}${r.connected ? '' : ' (disconnected)'}`];
  if (c === null) lines.push(`identity:    ${r.expected} (no certificate yet)`);
  else {
    lines.push(`spiffe id:   ${c.spiffeId}`, `serial:      ${c.serial}`, `valid:       ${c.notBefore} .. ${c.notAfter}`);
    const left = Date.parse(c.notAfter) - now;
    lines.push(`expires in:  ${left > 0 ? human(left) : `EXPIRED ${human(left)} ago`}`);
    if (c.renewAt) {
      const r2 = Date.parse(c.renewAt) - now;
      lines.push(`renewal in:  ${r2 > 0 ? human(r2) : 'due now'} (${c.renewAt})`);
    }
  }
  if (r.bundleSize !== null) lines.push(`trust roots: ${r.bundleSize}`);
  if (r.error) lines.push(`ERROR:       ${r.error}`);
  return lines.join('\n') + '\n';
}
