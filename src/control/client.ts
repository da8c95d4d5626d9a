// A small client for the control plane API, shared by the CLI and the local runtime.
import { Agent, request } from 'undici';
import { X509Certificate } from 'node:crypto';
import { CONTROL_API_MAX_BODY } from '../api/control-api.js';
import type { ControlTarget } from './discovery.js';

export class ControlError extends Error {
  constructor(readonly status: number, readonly body: unknown, message: string) {
    super(message);
  }
}

const MiB = 1024 * 1024;
const mib = (n: number) => `${(n / MiB).toFixed(1).replace(/\.0$/, '')} MiB`;

export async function call<T = unknown>(t: ControlTarget, method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, timeoutMs = 10_000): Promise<T> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const size = text === undefined ? 0 : Buffer.byteLength(text);
  // Said before sending: the control plane would read the first 4 MiB only to refuse the rest.
  if (size > CONTROL_API_MAX_BODY) {
    throw new ControlError(413, undefined, `request body of ${mib(size)} is over the control API's limit of ${mib(CONTROL_API_MAX_BODY)}: split the input into smaller files`);
  }
  let res;
  try {
    res = await request(`${t.url}${path}`, {
      method,
      ...(t.tls !== undefined ? { dispatcher: mtlsAgent(t.tls) } : {}),
      headers: { ...(t.tls === undefined ? { authorization: `Bearer ${t.token}` } : {}), ...(text !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: text,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  } catch (e) {
    throw new ControlError(0, undefined, `cannot reach control plane at ${t.url}: ${(e as { code?: string }).code ?? (e as Error).message}`);
  }
  const answer = await res.body.text();
  let parsed: unknown = answer;
  try {
    parsed = JSON.parse(answer);
  } catch {
    /* not JSON */
  }
  if (res.statusCode >= 400) {
    const err = (parsed as { error?: string })?.error;
    const msg = err ?? (res.statusCode === 413 ? `request body over the control API's limit of ${mib(CONTROL_API_MAX_BODY)}` : `control plane answered HTTP ${res.statusCode}`);
    throw new ControlError(res.statusCode, parsed, msg);
  }
  return parsed as T;
}

const agents = new Map<string, Agent>();

/** One connection pool per certificate: the server must present the SPIFFE ID expected of the control plane. */
function mtlsAgent(tls: NonNullable<ControlTarget['tls']>): Agent {
  const k = `${tls.serverId}|${tls.cert}|${tls.key}`;
  let a = agents.get(k);
  if (a === undefined) {
    a = new Agent({
      connect: {
        key: tls.key, cert: tls.cert, ca: tls.ca, minVersion: 'TLSv1.2',
        checkServerIdentity: (_host, peer) => {
          const uri = peer.raw === undefined ? undefined : new X509Certificate(peer.raw).subjectAltName?.match(/URI:(spiffe:\/\/[^,\s]+)/)?.[1];
          return uri === tls.serverId ? undefined : new Error(`the control plane presented ${uri ?? 'no SPIFFE ID'}, expected ${tls.serverId}`);
        },
      },
    });
    // A renewed certificate gets its own pool; the old one closes.
    for (const [old, agent] of agents) if (old.startsWith(`${tls.serverId}|`)) { agents.delete(old); void agent.close(); }
    agents.set(k, a);
  }
  return a;
}
