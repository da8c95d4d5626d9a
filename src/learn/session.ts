// One study session as a small state machine, driven the same way by the terminal and by the browser page:
// due cards first, then new ones up to the daily limit; pick an option, see the answer, rate recall.
// Shared with the browser: no Node imports.
import { CARDS, cardById, type Card, type ModuleId } from './cards/index.js';
import { GRADES, schedulerFor, type Grade } from './scheduler.js';
import { newCardsOn, recordReview, type Progress } from './progress.js';

/** A card rated into a (re)learning step due within this long comes back in the same session. */
export const LEARN_AHEAD_MS = 20 * 60_000;

export interface QueueOptions {
  now: Date;
  module?: ModuleId;
}

/** Card ids to study now: due ones (earliest first), then new ones in curriculum order up to today's limit. */
export function buildQueue(p: Progress, o: QueueOptions): string[] {
  const inScope = CARDS.filter((c) => o.module === undefined || c.module === o.module);
  const now = o.now.getTime();
  const due = inScope
    .filter((c) => p.cards[c.id] !== undefined && p.cards[c.id].phase !== 'new' && Date.parse(p.cards[c.id].due) <= now)
    .sort((a, b) => Date.parse(p.cards[a.id].due) - Date.parse(p.cards[b.id].due))
    .map((c) => c.id);
  const left = Math.max(0, p.newPerDay - newCardsOn(p, o.now));
  const fresh = inScope.filter((c) => p.cards[c.id] === undefined || p.cards[c.id].phase === 'new').slice(0, left).map((c) => c.id);
  return [...due, ...fresh];
}

/** A stable shuffle of a card's options for one showing, so the right answer is not always in one place. */
export function optionOrder(card: Card, seed: number): number[] {
  let h = 2166136261;
  for (const ch of `${card.id}#${seed}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  const order = card.options.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    h = (Math.imul(h, 1103515245) + 12345) >>> 0;
    const j = h % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

export type SessionPhase = 'question' | 'answered' | 'done';

export interface SessionView {
  phase: SessionPhase;
  card: Card | null;
  /** Option indexes of `card.options` in the order shown. */
  order: number[];
  /** Position in the shown order that was picked, once answered. */
  picked: number | null;
  correct: boolean | null;
  /** Grades that may be given now (a wrong answer can only be "again"). */
  grades: Grade[];
  /** For each allowed grade, when the card would come back. */
  preview: Partial<Record<Grade, string>>;
  position: number;
  remaining: number;
  isNew: boolean;
  reviewed: number;
  right: number;
}

export interface SessionOptions {
  module?: ModuleId;
  clock?: () => Date;
}

export class Session {
  private queue: string[];
  private readonly clock: () => Date;
  private phase: SessionPhase;
  private order: number[] = [];
  private picked: number | null = null;
  private position = 0;
  private reviewed = 0;
  private right = 0;
  private seen = new Set<string>();

  constructor(private progressNow: Progress, private readonly opts: SessionOptions = {}) {
    this.clock = opts.clock ?? (() => new Date());
    this.queue = buildQueue(progressNow, { now: this.clock(), module: opts.module });
    this.phase = this.queue.length ? 'question' : 'done';
    this.prepare();
  }

  get progress(): Progress {
    return this.progressNow;
  }

  private get card(): Card | null {
    return this.queue.length ? cardById(this.queue[0]) ?? null : null;
  }

  private prepare(): void {
    const c = this.card;
    if (!c) return;
    this.position++;
    this.order = optionOrder(c, this.progressNow.cards[c.id]?.reps ?? 0);
    this.picked = null;
  }

  view(): SessionView {
    const c = this.phase === 'done' ? null : this.card;
    const correct = this.picked === null || !c ? null : this.order[this.picked] === c.answer;
    const grades: Grade[] = this.phase !== 'answered' ? [] : correct ? [...GRADES] : [1];
    const preview: Partial<Record<Grade, string>> = {};
    if (c) {
      const s = schedulerFor(this.progressNow.scheduler);
      for (const g of grades) preview[g] = s.review(this.progressNow.cards[c.id], g, this.clock()).due;
    }
    return {
      phase: this.phase,
      card: c,
      order: this.order,
      picked: this.picked,
      correct,
      grades,
      preview,
      position: this.position,
      remaining: this.queue.length,
      isNew: !!c && (this.progressNow.cards[c.id] === undefined || this.progressNow.cards[c.id].phase === 'new'),
      reviewed: this.reviewed,
      right: this.right,
    };
  }

  /** Picks the option shown at `shown` (0 = a). Ignored unless a question is showing or out of range. */
  choose(shown: number): boolean {
    if (this.phase !== 'question' || !this.card || shown < 0 || shown >= this.order.length) return false;
    this.picked = shown;
    this.phase = 'answered';
    return true;
  }

  /** Rates recall of the answered card, records it, and moves on. Returns the new progress, or null if not allowed. */
  rate(grade: Grade): Progress | null {
    const v = this.view();
    if (v.phase !== 'answered' || !v.card || !v.grades.includes(grade)) return null;
    const now = this.clock();
    const id = v.card.id;
    this.progressNow = recordReview(this.progressNow, id, grade, v.correct === true, now);
    this.reviewed++;
    if (!this.seen.has(id) && v.correct) this.right++;
    this.seen.add(id);
    this.queue.shift();
    const next = this.progressNow.cards[id];
    if (Date.parse(next.due) - now.getTime() <= LEARN_AHEAD_MS) this.queue.push(id);
    this.phase = this.queue.length ? 'question' : 'done';
    this.prepare();
    return this.progressNow;
  }

  /** Takes in progress recorded elsewhere meanwhile (another session saved the same file). */
  adopt(p: Progress): void {
    this.progressNow = p;
  }
}
