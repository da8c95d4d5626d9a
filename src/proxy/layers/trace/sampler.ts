// Parent-based sampling: a caller's decision is kept so a trace is recorded whole or not at all; only a
// trace that starts here (or whose caller deferred, as B3 allows) gets a fresh draw at the configured rate.

/** Returns whether this hop's span is recorded, given the caller's decision (undefined: none made). */
export type Sampler = (parent: boolean | undefined) => boolean;

export function parentBased(rate: number, random: () => number = Math.random): Sampler {
  if (!(typeof rate === 'number' && rate >= 0 && rate <= 1)) {
    throw new RangeError(`trace sampleRate ${String(rate)}: must be a number from 0 to 1`);
  }
  if (rate === 0) return (parent) => parent === true;
  if (rate === 1) return (parent) => parent !== false;
  return (parent) => (parent === undefined ? random() < rate : parent);
}
