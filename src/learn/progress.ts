// The progress format: one versioned JSON document, the same in the terminal's file and in the browser's local
// storage, so either can import the other's. The review log is the record; card states are derived from it
// and kept beside it so a session starts without replaying. Shared with the browser: no Node imports.
import { GRADES, SCHEDULERS, schedulerFor, type CardState, type Grade, type Phase, type SchedulerName } from './scheduler.js';

export const PROGRESS_FORMAT = 'weft-learn-progress';
export const PROGRESS_VERSION = 1;
export const DEFAULT_NEW_PER_DAY = 10;

export interface ReviewEntry {
  card: string;
  /** ISO time of the rating. */
  at: string;
  grade: Grade;
  /** Whether the option picked was the right one. */
  correct: boolean;
}

export interface Progress {
  format: typeof PROGRESS_FORMAT;
  version: typeof PROGRESS_VERSION;
  scheduler: SchedulerName;
  newPerDay: number;
  cards: Record<string, CardState>;
  log: ReviewEntry[];
}

/** A progress document that cannot be used, with a message that says what and where. */
export class ProgressError extends Error {
  override name = 'ProgressError';
}

export function emptyProgress(scheduler: SchedulerName = 'fsrs'): Progress {
  return { format: PROGRESS_FORMAT, version: PROGRESS_VERSION, scheduler, newPerDay: DEFAULT_NEW_PER_DAY, cards: {}, log: [] };
}

const PHASES: readonly Phase[] = ['new', 'learning', 'review', 'relearning'];
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIso = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function checkState(id: string, s: unknown): CardState {
  const where = `cards["${id}"]`;
  if (!isObj(s)) throw new ProgressError(`${where}: must be an object`);
  if (!PHASES.includes(s.phase as Phase)) throw new ProgressError(`${where}.phase: must be one of ${PHASES.join(', ')}`);
  if (!isIso(s.due)) throw new ProgressError(`${where}.due: must be an ISO date`);
  if (s.last !== null && !isIso(s.last)) throw new ProgressError(`${where}.last: must be an ISO date or null`);
  for (const k of ['reps', 'lapses'] as const) if (!isCount(s[k])) throw new ProgressError(`${where}.${k}: must be a whole number >= 0`);
  if (!isNum(s.interval) || s.interval < 0) throw new ProgressError(`${where}.interval: must be a number >= 0`);
  for (const k of ['stability', 'difficulty', 'step', 'ease', 'streak'] as const) {
    if (s[k] !== undefined && !isNum(s[k])) throw new ProgressError(`${where}.${k}: must be a number`);
  }
  return s as unknown as CardState;
}

/** Parses and checks a progress document; throws ProgressError naming the first problem. */
export function parseProgress(text: string): Progress {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ProgressError(`not valid JSON: ${(e as Error).message}`);
  }
  if (!isObj(doc)) throw new ProgressError('must be a JSON object');
  if (doc.format !== PROGRESS_FORMAT) throw new ProgressError(`format: expected "${PROGRESS_FORMAT}", got ${JSON.stringify(doc.format)}`);
  if (doc.version !== PROGRESS_VERSION) {
    const newer = typeof doc.version === 'number' && doc.version > PROGRESS_VERSION;
    throw new ProgressError(`version: ${JSON.stringify(doc.version)} is not supported (this weft reads version ${PROGRESS_VERSION}${newer ? '; the file was written by a newer weft' : ''})`);
  }
  if (!SCHEDULERS.includes(doc.scheduler as SchedulerName)) throw new ProgressError(`scheduler: must be one of ${SCHEDULERS.join(', ')}`);
  if (!Number.isInteger(doc.newPerDay) || (doc.newPerDay as number) < 0 || (doc.newPerDay as number) > 1000) throw new ProgressError('newPerDay: must be a whole number from 0 to 1000');
  if (!isObj(doc.cards)) throw new ProgressError('cards: must be an object');
  const cards: Record<string, CardState> = {};
  for (const [id, s] of Object.entries(doc.cards)) cards[id] = checkState(id, s);
  if (!Array.isArray(doc.log)) throw new ProgressError('log: must be a list');
  const log = doc.log.map((e, i): ReviewEntry => {
    if (!isObj(e) || typeof e.card !== 'string' || !isIso(e.at) || !GRADES.includes(e.grade as Grade) || typeof e.correct !== 'boolean') {
      throw new ProgressError(`log[${i}]: must be { card, at (ISO date), grade (1-4), correct (true/false) }`);
    }
    return { card: e.card, at: e.at, grade: e.grade as Grade, correct: e.correct };
  });
  return { format: PROGRESS_FORMAT, version: PROGRESS_VERSION, scheduler: doc.scheduler as SchedulerName, newPerDay: doc.newPerDay as number, cards, log };
}

export function serializeProgress(p: Progress): string {
  return JSON.stringify(p, null, 2) + '\n';
}

/** Records one rating: appends to the log and moves the card's state on with the progress's scheduler. */
export function recordReview(p: Progress, card: string, grade: Grade, correct: boolean, now: Date): Progress {
  const state = schedulerFor(p.scheduler).review(p.cards[card], grade, now);
  return { ...p, cards: { ...p.cards, [card]: state }, log: [...p.log, { card, at: now.toISOString(), grade, correct }] };
}

/** Card states rebuilt from a log with a scheduler: used when the scheduler changes and after a merge. */
export function replay(log: readonly ReviewEntry[], scheduler: SchedulerName): Record<string, CardState> {
  const s = schedulerFor(scheduler);
  const cards: Record<string, CardState> = {};
  for (const e of [...log].sort((a, b) => Date.parse(a.at) - Date.parse(b.at))) cards[e.card] = s.review(cards[e.card], e.grade, new Date(e.at));
  return cards;
}

export function withScheduler(p: Progress, scheduler: SchedulerName): Progress {
  if (p.scheduler === scheduler) return p;
  return { ...p, scheduler, cards: replay(p.log, scheduler) };
}

/**
 * Both histories in one: the logs' union (a rating is the same rating when card and time agree), in time
 * order, replayed with `mine`'s scheduler; `mine`'s settings win. Merging a file into itself changes nothing.
 */
export function mergeProgress(mine: Progress, theirs: Progress): Progress {
  const seen = new Set(mine.log.map((e) => `${e.card}@${e.at}`));
  const extra = theirs.log.filter((e) => !seen.has(`${e.card}@${e.at}`));
  if (extra.length === 0) return mine;
  const log = [...mine.log, ...extra].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return { ...mine, log, cards: replay(log, mine.scheduler) };
}

/** Forgets the given cards (all cards when `ids` is undefined): their states and their log entries. */
export function resetProgress(p: Progress, ids?: ReadonlySet<string>): Progress {
  if (!ids) return { ...emptyProgress(p.scheduler), newPerDay: p.newPerDay };
  const cards = Object.fromEntries(Object.entries(p.cards).filter(([id]) => !ids.has(id)));
  return { ...p, cards, log: p.log.filter((e) => !ids.has(e.card)) };
}

/** Local calendar day of a time, as YYYY-MM-DD: "today", streaks and the daily new-card limit use it. */
export function dayOf(t: Date | string): string {
  const d = typeof t === 'string' ? new Date(t) : t;
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** How many cards had their first ever review on the local day of `now`. */
export function newCardsOn(p: Progress, now: Date): number {
  const today = dayOf(now);
  const first = new Map<string, string>();
  for (const e of p.log) {
    const prev = first.get(e.card);
    if (prev === undefined || Date.parse(e.at) < Date.parse(prev)) first.set(e.card, e.at);
  }
  let n = 0;
  for (const at of first.values()) if (dayOf(at) === today) n++;
  return n;
}
