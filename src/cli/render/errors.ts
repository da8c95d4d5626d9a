// Commander's usage errors in weft's voice: "weft: unknown command 'stauts' (did you mean 'status'?)".

/** Rewrites commander's "error: ...\n(Did you mean x?)" into one "weft: ..." line. */
export function formatUsageError(str: string): string {
  const lines = str.replace(/\n+$/, '').split('\n');
  let msg = lines[0].replace(/^error: /, '');
  for (const extra of lines.slice(1)) {
    const m = /^\(Did you mean (one of )?(.+)\?\)$/.exec(extra.trim());
    if (m) msg += ` (did you mean ${m[1] ?? ''}${m[2].split(', ').map((s) => `'${s}'`).join(', ')}?)`;
    else if (extra.trim() !== '') msg += `\n${extra}`;
  }
  return `weft: ${msg}\n`;
}
