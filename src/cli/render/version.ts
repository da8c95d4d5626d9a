// `weft version`: this CLI's version and, when a mesh runs, its control plane's.
import { json, type Output } from './table.js';

export interface VersionView {
  client: string;
  /** null: no control plane answered; `unavailable` says why. */
  server: { version: string; mesh: string; url: string } | null;
  unavailable?: string;
}

export function renderVersion(v: VersionView, o: { output: Output; short: boolean }): string {
  if (o.output === 'json') return json(o.short ? { client: v.client } : v);
  if (o.short) return `${v.client}\n`;
  const server = v.server ? `${v.server.version} (mesh ${v.server.mesh} at ${v.server.url})` : `unavailable${v.unavailable ? ` (${v.unavailable})` : ''}`;
  return `client:        ${v.client}\ncontrol plane: ${server}\n`;
}
