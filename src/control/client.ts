// A small client for the control plane API, shared by the CLI and the local runtime.
import { request } from 'undici';
import type { ControlTarget } from './discovery.js';

export class ControlError extends Error {
  constructor(readonly status: number, readonly body: unknown, message: string) {
    super(message);
  }
}

export async function call<T = unknown>(t: ControlTarget, method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, timeoutMs = 10_000): Promise<T> {
  let res;
  try {
    res = await request(`${t.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${t.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  } catch (e) {
    throw new ControlError(0, undefined, `cannot reach control plane at ${t.url}: ${(e as { code?: string }).code ?? (e as Error).message}`);
  }
  const text = await res.body.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  if (res.statusCode >= 400) {
    const err = (parsed as { error?: string })?.error;
    throw new ControlError(res.statusCode, parsed, err ?? `control plane answered HTTP ${res.statusCode}`);
  }
  return parsed as T;
}
