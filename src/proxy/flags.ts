// V8 flags every proxy process runs with, chosen by measurement (docs/performance.md).
//
// --max-semi-space-size=1 (MiB): V8 grows the young generation up to 16 MiB per semi-space under load, and
// a proxy's per-request garbage is short-lived and small, so the big nursery only holds RSS. Capped at
// 1 MiB, a gateway -> sidecar mesh hop at saturation served the same requests per second within noise
// (5.9k vs 5.5-6.0k) with RSS under load down from ~112 MB to ~87 MB per proxy (2026-12-01, 2 cores).
export const PROXY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

/** The exec arguments for a forked proxy: the parent's own, then ours unless the parent already sets them. */
export function proxyExecArgv(parent: readonly string[] = process.execArgv): string[] {
  const own = PROXY_NODE_FLAGS.filter((f) => !parent.some((p) => p.split('=')[0] === f.split('=')[0]));
  return [...parent, ...own];
}
