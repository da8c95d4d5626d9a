// When a card comes back: FSRS (the ts-fsrs library) by default, SM-2 selectable. Both read and write the
// same plain-JSON card state that the progress file stores. Shared with the browser: no Node imports.
import { fsrs, generatorParameters, Rating, State, type Card as FsrsCard, type Grade as FsrsGrade } from 'ts-fsrs';

/** Recall rating: 1 again (forgot), 2 hard, 3 good, 4 easy. */
export type Grade = 1 | 2 | 3 | 4;
export const GRADES: readonly Grade[] = [1, 2, 3, 4];
export const GRADE_NAMES: Record<Grade, string> = { 1: 'again', 2: 'hard', 3: 'good', 4: 'easy' };

export type SchedulerName = 'fsrs' | 'sm2';
export const SCHEDULERS: readonly SchedulerName[] = ['fsrs', 'sm2'];

export type Phase = 'new' | 'learning' | 'review' | 'relearning';

/** What the progress file keeps per card. Dates are ISO strings so the state survives JSON unchanged. */
export interface CardState {
  phase: Phase;
  due: string;
  last: string | null;
  reps: number;
  lapses: number;
  /** Days until due as scheduled at the last review; 0 while in (re)learning steps measured in minutes. */
  interval: number;
  /** FSRS memory state. */
  stability?: number;
  difficulty?: number;
  step?: number;
  /** SM-2: easiness factor and count of successful repetitions in a row. */
  ease?: number;
  streak?: number;
}

export interface Scheduler {
  readonly name: SchedulerName;
  /** The state after rating `grade` at `now`; `prev` undefined means the card was never seen. */
  review(prev: CardState | undefined, grade: Grade, now: Date): CardState;
}

const DAY = 86_400_000;
const MINUTE = 60_000;

function newState(now: Date): CardState {
  return { phase: 'new', due: now.toISOString(), last: null, reps: 0, lapses: 0, interval: 0 };
}

const PHASE_OF: Record<State, Phase> = {
  [State.New]: 'new',
  [State.Learning]: 'learning',
  [State.Review]: 'review',
  [State.Relearning]: 'relearning',
};
const STATE_OF: Record<Phase, State> = { new: State.New, learning: State.Learning, review: State.Review, relearning: State.Relearning };

function toFsrs(s: CardState, now: Date): FsrsCard {
  const last = s.last ? new Date(s.last) : undefined;
  return {
    due: new Date(s.due),
    stability: s.stability ?? 0,
    difficulty: s.difficulty ?? 0,
    elapsed_days: last ? Math.max(0, Math.floor((now.getTime() - last.getTime()) / DAY)) : 0,
    scheduled_days: s.interval,
    learning_steps: s.step ?? 0,
    reps: s.reps,
    lapses: s.lapses,
    state: STATE_OF[s.phase],
    last_review: last,
  };
}

/** FSRS through ts-fsrs with its default parameters (90 % desired retention, learning steps 1m/10m, no fuzz). */
export function fsrsScheduler(): Scheduler {
  const engine = fsrs(generatorParameters({ enable_fuzz: false }));
  const rating: Record<Grade, FsrsGrade> = { 1: Rating.Again, 2: Rating.Hard, 3: Rating.Good, 4: Rating.Easy };
  return {
    name: 'fsrs',
    review(prev, grade, now) {
      const { card } = engine.next(toFsrs(prev ?? newState(now), now), now, rating[grade]);
      return {
        phase: PHASE_OF[card.state],
        due: card.due.toISOString(),
        last: now.toISOString(),
        reps: card.reps,
        lapses: card.lapses,
        interval: card.scheduled_days,
        stability: card.stability,
        difficulty: card.difficulty,
        step: card.learning_steps,
      };
    },
  };
}

/**
 * SM-2 (Wozniak, 1987). Grades map to its 0-5 quality as again=1, hard=3, good=4, easy=5. A passing answer
 * (quality >= 3) moves the card on: 1 day, then 6 days, then the previous interval times the easiness
 * factor, which each pass adjusts (never below 1.3). A failure starts the repetitions over without changing
 * the factor; SM-2 repeats failed items the same day, so the card comes back in 10 minutes.
 */
export function sm2Scheduler(): Scheduler {
  const quality: Record<Grade, number> = { 1: 1, 2: 3, 3: 4, 4: 5 };
  return {
    name: 'sm2',
    review(prev, grade, now) {
      const p = prev ?? newState(now);
      const q = quality[grade];
      const ease0 = p.ease ?? 2.5;
      const base = { last: now.toISOString(), reps: p.reps + 1 };
      if (q < 3) {
        const lapsed = p.phase === 'review';
        return {
          ...base,
          phase: lapsed ? 'relearning' : 'learning',
          due: new Date(now.getTime() + 10 * MINUTE).toISOString(),
          lapses: p.lapses + (lapsed ? 1 : 0),
          interval: 0,
          ease: ease0,
          streak: 0,
        };
      }
      const ease = Math.max(1.3, ease0 + (0.1 - (5 - q) * (0.08 + (5 - q) * 0.02)));
      const streak = (p.streak ?? 0) + 1;
      const interval = streak === 1 ? 1 : streak === 2 ? 6 : Math.round(p.interval * ease);
      return {
        ...base,
        phase: 'review',
        due: new Date(now.getTime() + interval * DAY).toISOString(),
        lapses: p.lapses,
        interval,
        ease,
        streak,
      };
    },
  };
}

export function schedulerFor(name: SchedulerName): Scheduler {
  return name === 'sm2' ? sm2Scheduler() : fsrsScheduler();
}

/** "10m", "3h", "4d", "2mo": how far from `now` a due date is, for the rating keys. */
export function humanInterval(due: string, now: Date): string {
  const ms = Math.max(0, new Date(due).getTime() - now.getTime());
  const minutes = Math.max(1, Math.round(ms / MINUTE));
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.round(ms / (60 * MINUTE));
  if (hours < 24) return `${hours}h`;
  const days = Math.round(ms / DAY);
  if (days < 60) return `${days}d`;
  if (days < 730) return `${Math.round(days / 30)}mo`;
  return `${Math.round(days / 365)}y`;
}
