/** Parses Go-style durations ("24h", "90m", "1h30m", "45s") into seconds; throws with the value on bad input. */
export function parseDuration(s: string): number {
  const re = /(\d+(?:\.\d+)?)(h|m|s)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1);
    matched = re.lastIndex;
  }
  if (s === '' || matched !== s.length) throw new Error(`invalid duration "${s}": use e.g. 24h, 90m, 1h30m, 45s`);
  return total;
}
