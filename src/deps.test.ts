// The layering of src/, checked on the TypeScript sources (type-only imports count: they couple too):
//   control/  and  proxy/  never import each other;
//   shared homes (api/, identity/, policy/, util/, version.ts) import neither, nor runtime/ or cli/;
//   runtime/, cli/ and learn/ (the applications) may import anything.
// Code both planes need lives in a shared home. A test may cross only where it says why below.
// (src/proxy/deps.test.ts checks the other side of the same coin: what the proxy process loads.)
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

// This file runs from dist/src; the sources are in src/.
const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

/** Test files that import across a boundary, each with its reason (paths relative to src/). */
const TEST_CROSSINGS: Record<string, { imports: string; why: string }[]> = {
  'control/push/push.test.ts': [{ imports: 'proxy/push/client.ts', why: 'the push server is tested against the proxy\'s real client' }],
  'identity/svid.test.ts': [
    { imports: 'control/ca/fixtures.ts', why: 'certificates the CA would refuse to issue come from the test CA, which needs the X.509 library' },
    { imports: 'control/ca/x509.ts', why: 'the test reads certificates back with the CA\'s X.509 library' },
  ],
  'identity/cert-facts.test.ts': [
    { imports: 'control/ca/fixtures.ts', why: 'certificates with unusual extensions come from the test CA' },
    { imports: 'control/ca/x509.ts', why: 'cert facts are compared with what the X.509 library reads' },
  ],
  'proxy/layers/route/grpc.test.ts': [{ imports: 'control/translate/index.ts', why: 'GRPCRoute matching is tested on the entries the translator makes, and end to end from the object' }],
  'api/kinds/secret.test.ts': [{ imports: 'control/ca/fixtures.ts', why: 'server certificates for the Secrets under test come from the test CA, which needs the X.509 library' }],
  'util/linear-regexp.test.ts': [{ imports: 'proxy/layers/route/index.ts', why: 'route matching is the linear regexps\' user, tested end to end' }],
};

function sources(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir)) {
    const p = path.join(dir, n);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (n.endsWith('.ts') && !n.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The src/-relative .ts files a source file imports (static, type-only, re-exports and dynamic import()). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm)) {
    const spec = (m[1] ?? m[2] ?? m[3])!;
    if (!spec.startsWith('.')) continue;
    const resolved = path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts'));
    out.push(path.relative(SRC, resolved).split(path.sep).join('/'));
  }
  return out;
}

type Home = 'control' | 'proxy' | 'shared' | 'app' | 'other';
function homeOf(rel: string): Home {
  const top = rel.split('/')[0];
  if (top === 'control' || top === 'proxy') return top;
  if (top === 'api' || top === 'identity' || top === 'policy' || top === 'util' || rel === 'version.ts') return 'shared';
  if (top === 'runtime' || top === 'cli' || top === 'learn') return 'app';
  return 'other';
}

/** What a module of each home must not import. */
const FORBIDDEN: Record<Home, readonly Home[]> = {
  control: ['proxy', 'app'],
  proxy: ['control', 'app'],
  shared: ['control', 'proxy', 'app'],
  app: [],
  other: [],
};

function violations(): string[] {
  const bad: string[] = [];
  for (const file of sources(SRC)) {
    const rel = path.relative(SRC, file).split(path.sep).join('/');
    const from = homeOf(rel);
    for (const target of importsOf(file)) {
      if (!FORBIDDEN[from].includes(homeOf(target))) continue;
      if (TEST_CROSSINGS[rel]?.some((c) => c.imports === target)) continue;
      bad.push(`${rel} (${from}) imports ${target} (${homeOf(target)})`);
    }
  }
  return bad;
}

describe('import graph', () => {
  it('the walk sees the tree: sources, their imports, and every home', () => {
    assert.ok(existsSync(path.join(SRC, 'proxy', 'main.ts')), `sources at ${SRC}`);
    const explain = importsOf(path.join(SRC, 'control', 'explain.ts'));
    assert.ok(explain.includes('policy/authz/index.ts'), explain.join(', '));
    const homes = new Set(sources(SRC).map((f) => homeOf(path.relative(SRC, f).split(path.sep).join('/'))));
    for (const h of ['control', 'proxy', 'shared', 'app'] as const) assert.ok(homes.has(h), h);
  });

  it('control/ and proxy/ never import each other; shared homes import neither', () => {
    assert.deepEqual(violations(), []);
  });

  it('every allowed crossing of a test still exists (no stale exceptions)', () => {
    const stale: string[] = [];
    for (const [rel, crossings] of Object.entries(TEST_CROSSINGS)) {
      assert.ok(rel.endsWith('.test.ts'), `${rel}: only tests may cross`);
      const imports = existsSync(path.join(SRC, rel)) ? importsOf(path.join(SRC, rel)) : [];
      for (const c of crossings) if (!imports.includes(c.imports)) stale.push(`${rel} -> ${c.imports}`);
    }
    assert.deepEqual(stale, []);
  });

  it('the X.509 library stays in the CA', () => {
    const users = sources(SRC)
      .filter((f) => /(?:from|import)\s*['"]@peculiar\/x509['"]/.test(readFileSync(f, 'utf8')))
      .map((f) => path.relative(SRC, f).split(path.sep).join('/'));
    assert.deepEqual(users, ['control/ca/x509.ts']);
  });
});
