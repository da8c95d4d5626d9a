// What the proxy process loads is part of its memory cost (docs/performance.md): a guard that heavy
// libraries the control plane uses stay out of the proxy's module graph.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Every module reachable by static imports from `entry` (compiled JS), as paths or bare package names. */
function graph(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith('.')) todo.push(path.resolve(path.dirname(file), spec));
      else seen.add(spec);
    }
  }
  return seen;
}

it('the proxy does not load @peculiar/x509 (or the control plane), nor undici at all', () => {
  const mods = [...graph(path.join(here, 'main.js'))];
  assert.ok(mods.some((m) => m.endsWith(path.join('proxy', 'engine', 'forward.js'))), 'the walk reaches the data path');
  assert.deepEqual(mods.filter((m) => m === 'undici' || m.startsWith('undici/')), []);
  assert.ok(mods.some((m) => m === 'node:http'), 'the walk sees bare imports');
  assert.deepEqual(mods.filter((m) => m.includes('@peculiar') || m.endsWith('x509.js') || m.includes(`${path.sep}control${path.sep}`)), []);
});

it('the request path (engine, listeners, both stacks and their layers) loads neither node:http nor undici', () => {
  const entries = ['engine/listener.js', 'engine/forward.js', 'outbound/index.js', 'inbound/index.js', 'tls/inbound.js', 'tls/connector.js'];
  const mods = new Set<string>();
  for (const e of entries) for (const m of graph(path.join(here, e))) mods.add(m);
  assert.ok([...mods].some((m) => m.endsWith(path.join('layers', 'authz', 'layer.js'))), 'the walk reaches the layers');
  assert.ok(mods.has('node:net'), 'the walk sees the engine\'s socket imports');
  assert.deepEqual([...mods].filter((m) => /^(node:)?(http|https|http2)$/.test(m) || m === 'undici' || m.startsWith('undici/')), []);
});
