// Where the learner stands: per module from seed to full bloom (new / learning / young / mature), due today,
// streak and retention. Shared with the browser: no Node imports.
import { CARDS, MODULES, type ModuleId } from './cards/index.js';
import { dayOf, type Progress } from './progress.js';

/** A card in review with an interval of at least this many days is mature (Anki's convention). */
export const MATURE_DAYS = 21;
/** Retention is measured over this many days of reviews. */
export const RETENTION_DAYS = 30;

export type Stage = 'new' | 'learning' | 'young' | 'mature';
export const STAGES: readonly Stage[] = ['new', 'learning', 'young', 'mature'];

export interface ModuleStats {
  module: ModuleId;
  title: string;
  cards: number;
  new: number;
  learning: number;
  young: number;
  mature: number;
  dueToday: number;
}

export interface Stats {
  scheduler: string;
  modules: ModuleStats[];
  cards: number;
  new: number;
  learning: number;
  young: number;
  mature: number;
  dueToday: number;
  reviewsToday: number;
  reviews: number;
  /** Consecutive days with at least one review, ending today (or yesterday, if today has none yet). */
  streak: number;
  /** Share of recalls after a gap of a day or more rated hard, good or easy, last 30 days; null without any. */
  retention: number | null;
  /** Share of answers where the right option was picked, all time; null without any. */
  accuracy: number | null;
}

export function stageOf(p: Progress, id: string): Stage {
  const s = p.cards[id];
  if (!s || s.phase === 'new') return 'new';
  if (s.phase === 'learning' || s.phase === 'relearning') return 'learning';
  return s.interval >= MATURE_DAYS ? 'mature' : 'young';
}

function endOfDay(now: Date): number {
  const d = new Date(now);
  d.setHours(23, 59, 59, 999);
  return d.getTime();
}

export function computeStats(p: Progress, now: Date, module?: ModuleId): Stats {
  const eod = endOfDay(now);
  const modules: ModuleStats[] = [];
  for (const m of MODULES) {
    if (module !== undefined && m.id !== module) continue;
    const row: ModuleStats = { module: m.id, title: m.title, cards: 0, new: 0, learning: 0, young: 0, mature: 0, dueToday: 0 };
    for (const c of CARDS) {
      if (c.module !== m.id) continue;
      row.cards++;
      const stage = stageOf(p, c.id);
      row[stage]++;
      if (stage !== 'new' && Date.parse(p.cards[c.id].due) <= eod) row.dueToday++;
    }
    modules.push(row);
  }
  const sum = (k: keyof Omit<ModuleStats, 'module' | 'title'>) => modules.reduce((n, m) => n + m[k], 0);
  const inScope = new Set(CARDS.filter((c) => module === undefined || c.module === module).map((c) => c.id));
  const log = p.log.filter((e) => inScope.has(e.card)).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const today = dayOf(now);

  const days = new Set(log.map((e) => dayOf(e.at)));
  let streak = 0;
  const d = new Date(now);
  if (!days.has(today)) d.setDate(d.getDate() - 1);
  while (days.has(dayOf(d))) {
    streak++;
    d.setDate(d.getDate() - 1);
  }

  const since = now.getTime() - RETENTION_DAYS * 86_400_000;
  const lastSeen = new Map<string, number>();
  let recalls = 0, passed = 0;
  for (const e of log) {
    const t = Date.parse(e.at);
    const prev = lastSeen.get(e.card);
    if (prev !== undefined && t >= since && t - prev >= 86_400_000) {
      recalls++;
      if (e.grade >= 2) passed++;
    }
    lastSeen.set(e.card, t);
  }
  return {
    scheduler: p.scheduler,
    modules,
    cards: sum('cards'),
    new: sum('new'),
    learning: sum('learning'),
    young: sum('young'),
    mature: sum('mature'),
    dueToday: sum('dueToday'),
    reviewsToday: log.filter((e) => dayOf(e.at) === today).length,
    reviews: log.length,
    streak,
    retention: recalls ? passed / recalls : null,
    accuracy: log.length ? log.filter((e) => e.correct).length / log.length : null,
  };
}
