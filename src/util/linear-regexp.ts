// Regular expressions from config run in linear time, as Envoy's RE2 does: a route's regex cannot be made to
// take a proxy down with catastrophic backtracking, however it is written or whatever a request carries.
//
// How (measured 2026-12-04, Node 24, three route-like patterns x four inputs, ns per match):
//   V8's backtracking engine 44, re2js (a JavaScript port of RE2) 340, V8's linear engine (the `l` flag) 1501.
// So matching runs on V8's fast backtracking engine, with V8's own linear-time engine as the automatic
// fallback once a match backtracks more than FALLBACK_BACKTRACKS times (^(a+)+$ on 100 000 "a"s and a "!":
// 10 ms, where plain backtracking needs longer than the age of the universe). The fallback can run only
// patterns without backreferences and lookahead (Node 24's V8 runs lookbehind in linear time too, which
// RE2 lacks), so config validation refuses any other pattern at file:line, and the proxy compiles only
// patterns that pass the same check.
import v8 from 'node:v8';

const FALLBACK_BACKTRACKS = 10_000;
let enabled = false;

/** Turns on V8's linear engine and its use as the fallback for runaway backtracking, for this process. */
export function enableLinearRegExp(): void {
  if (enabled) return;
  enabled = true;
  v8.setFlagsFromString('--enable-experimental-regexp-engine');
  v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  v8.setFlagsFromString(`--regexp-backtracks-before-fallback=${FALLBACK_BACKTRACKS}`);
}

/** Why `source` is not a regular expression weft can run in linear time; undefined when it is one. */
export function linearRegExpProblem(source: string, flags = ''): string | undefined {
  enableLinearRegExp();
  try {
    new RegExp(source, flags);
  } catch (e) {
    return stripPrefix((e as Error).message, source, flags);
  }
  try {
    new RegExp(source, `${flags}l`);
  } catch (e) {
    const why = stripPrefix((e as Error).message, source, `${flags}l`);
    return why === 'Cannot be executed in linear time'
      ? 'cannot be matched in linear time: backreferences (\\1, \\k<name>) and lookahead ((?=, (?!) are not supported'
      : why;
  }
  return undefined;
}

/** Compiles a pattern that passed linearRegExpProblem; throws with the reason otherwise. */
export function compileLinear(source: string, flags = ''): RegExp {
  const why = linearRegExpProblem(source, flags);
  if (why !== undefined) throw new Error(`invalid regular expression /${source}/: ${why}`);
  return new RegExp(source, flags);
}

/** V8 says "Invalid regular expression: /<source>/<flags>: <reason>"; the source is already known. */
function stripPrefix(msg: string, source: string, flags: string): string {
  const prefix = `Invalid regular expression: /${source}/${flags}: `;
  return msg.startsWith(prefix) ? msg.slice(prefix.length) : msg;
}
