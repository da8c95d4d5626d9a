// V8 flags every proxy process runs with, chosen by measurement (docs/performance.md).
//
// --max-semi-space-size=1 (MiB): V8 grows the young generation up to 16 MiB per semi-space under load, and
// a proxy's per-request garbage is short-lived and small, so the big nursery only holds RSS. Capped at
// 1 MiB, a gateway -> sidecar mesh hop at saturation served the same requests per second within noise
// (5.9k vs 5.5-6.0k) with RSS under load down from ~112 MB to ~87 MB per proxy (2026-12-01, 2 cores).
//
// --no-maglev: Node 24's V8 adds the Maglev JIT tier, whose background compiles share the proxy's core. Off,
// a gateway -> sidecar mesh hop at 1000 rps had a p99 of 4.3 / 6.6 ms instead of 14.9 / 24.4 ms, 6-7 MB less
// private memory (31 vs 37-38 MB) and the same max rps (7148 / 6827 vs 6728 / 6481), in interleaved
// `npm run bench -- --quick` runs on 2026-12-04 (2 cores; Sparkplug and TurboFan still compile hot code).
export const PROXY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--no-maglev'];

/** A flag's name without its value or its "no-" (so `--maglev` in the parent overrides our `--no-maglev`). */
const flagName = (f: string): string => f.split('=')[0]!.replace(/^--no-/, '--');

/** The exec arguments for a forked proxy: the parent's own, then ours unless the parent already sets them. */
export function proxyExecArgv(parent: readonly string[] = process.execArgv): string[] {
  const own = PROXY_NODE_FLAGS.filter((f) => !parent.some((p) => flagName(p) === flagName(f)));
  return [...parent, ...own];
}
