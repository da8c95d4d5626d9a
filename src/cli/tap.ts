import type { Command } from 'commander';
import { request } from 'undici';
import { target, withControl } from './common.js';
import type { TapEvent } from '../api/control-api.js';

export type { TapEvent };

/** Streams tap events from the control plane, calling `onEvent` for each, until `max` or the stream ends. */
export async function streamTap(o: { control?: string }, q: URLSearchParams, onEvent: (e: TapEvent) => void, signal?: AbortSignal): Promise<void> {
  const t = target(o);
  const r = await request(`${t.url}/v1/tap?${q}`, { headers: { authorization: `Bearer ${t.token}` }, bodyTimeout: 0, headersTimeout: 10_000, signal });
  if (r.statusCode !== 200) throw new Error(`tap: control plane answered HTTP ${r.statusCode}: ${await r.body.text()}`);
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

export function registerTap(program: Command): void {
  withControl(program.command('tap'))
    .argument('<target>', 'workload or service to watch (requests to or from it)')
    .description('a live stream of requests: method, path, status, latency, source -> destination identity, mTLS')
    .option('--path <prefix>', 'only paths starting with this')
    .option('--method <method>', 'only this method')
    .option('-n, --max <count>', 'stop after this many requests')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (tgt: string, o: { path?: string; method?: string; max?: string; output: string; control?: string }) => {
      const q = new URLSearchParams({ target: tgt });
      if (o.path) q.set('path', o.path);
      if (o.method) q.set('method', o.method);
      if (o.max) q.set('max', o.max);
      await streamTap(o, q, (e) => {
        if (o.output === 'json') return void process.stdout.write(JSON.stringify(e) + '\n');
        process.stdout.write(`${e.time} ${e.direction.padEnd(8)} ${e.method} ${e.authority}${e.path} -> ${e.status}${e.flags !== '-' ? ` [${e.flags}]` : ''} ${e.latencyMs}ms ` +
          `${e.source ?? '?'} -> ${e.destination ?? '?'} ${e.tls ? 'mTLS' : 'PLAINTEXT'} (${e.proxy})\n`);
      });
    });
}
