import { InvalidArgumentError, type Command } from 'commander';
import { request } from 'undici';
import { ControlError } from '../control/client.js';
import { intArg, target, withControl, type ControlOpts } from './common.js';
import type { TapEvent } from '../api/control-api.js';
import { renderTapEvent, renderTapWaiting } from './render/tap.js';

export type { TapEvent };

/**
 * Streams tap events from the control plane, calling `onOpen` once the stream is accepted and `onEvent`
 * for each request, until `max` or the stream ends. A refusal (unknown target: 404 with a suggestion)
 * throws a ControlError carrying the status and body, as `call` does.
 */
export async function streamTap(o: ControlOpts, q: URLSearchParams, onEvent: (e: TapEvent) => void, signal?: AbortSignal, onOpen?: () => void): Promise<void> {
  const t = target(o);
  let r;
  try {
    r = await request(`${t.url}/v1/tap?${q}`, { headers: { authorization: `Bearer ${t.token}` }, bodyTimeout: 0, headersTimeout: 10_000, signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') return;
    throw new ControlError(0, undefined, `cannot reach control plane at ${t.url}: ${(e as { code?: string }).code ?? (e as Error).message}`);
  }
  if (r.statusCode !== 200) {
    const text = await r.body.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    const err = (body as { error?: unknown })?.error;
    throw new ControlError(r.statusCode, body, typeof err === 'string' ? err : `tap: control plane answered HTTP ${r.statusCode}: ${text}`);
  }
  onOpen?.();
  let buf = '';
  try {
    for await (const chunk of r.body) {
      buf += chunk.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line) onEvent(JSON.parse(line) as TapEvent);
      }
    }
  } catch (e) {
    if ((e as Error).name !== 'AbortError') throw e;
  }
}

function textOrJson(v: string): 'text' | 'json' {
  if (v !== 'text' && v !== 'json') throw new InvalidArgumentError(`output must be "text" or "json", got "${v}"`);
  return v;
}

export function registerTap(program: Command): void {
  withControl(program.command('tap'))
    .argument('<target>', 'workload or service to watch (requests to or from it); a service by the name callers use covers all its backends')
    .description('a live stream of requests: method, path, status, latency, source -> destination identity, mTLS')
    .option('--path <prefix>', 'only paths starting with this')
    .option('--method <method>', 'only this method')
    .option('-n, --max <count>', 'stop after this many requests', intArg('--max', 1, 1_000_000))
    .option('-o, --output <format>', 'text or json', textOrJson, 'text')
    .action(async (tgt: string, o: { path?: string; method?: string; max?: number; output: 'text' | 'json' } & ControlOpts) => {
      const q = new URLSearchParams({ target: tgt });
      if (o.path) q.set('path', o.path);
      if (o.method) q.set('method', o.method);
      if (o.max) q.set('max', String(o.max));
      await streamTap(o, q, (e) => process.stdout.write(renderTapEvent(e, o.output)), undefined, () => process.stderr.write(renderTapWaiting(tgt)));
    });
}
