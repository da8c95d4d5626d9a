// Trace and span ids, and span timestamps. Both run once or twice per request, so ids come from a
// pooled random buffer (one getrandom call per 256 ids) and times from one wall-clock anchor plus hrtime.
import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

function take(bytes: number): number {
  if (offset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const at = offset;
  offset += bytes;
  return at;
}

function isZero(at: number, bytes: number): boolean {
  for (let i = at; i < at + bytes; i++) if (pool[i] !== 0) return false;
  return true;
}

/** 16 random bytes as 32 lower-hex characters, never all zeros (W3C forbids that value). */
export function newTraceId(): string {
  let at = take(16);
  while (isZero(at, 16)) at = take(16);
  return pool.toString('hex', at, at + 16);
}

/** 8 random bytes as 16 lower-hex characters, never all zeros. */
export function newSpanId(): string {
  let at = take(8);
  while (isZero(at, 8)) at = take(8);
  return pool.toString('hex', at, at + 8);
}

// Spans need unix-epoch nanoseconds, requests carry process.hrtime.bigint() (monotonic, arbitrary origin).
// One anchor taken at load maps the second onto the first; performance.timeOrigin + now() gives the
// anchor sub-millisecond precision, which Date.now() would not.
const HR0 = process.hrtime.bigint();
const UNIX0 = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));

/** Unix-epoch nanoseconds of an hrtime.bigint() reading. */
export function unixNanos(hr: bigint): bigint {
  return UNIX0 + (hr - HR0);
}
