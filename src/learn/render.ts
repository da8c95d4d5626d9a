// Plain-text screens for the terminal session and `weft learn stats`: pure functions from state to lines,
// each screen at most 24 rows of at most `width` columns (78 by default, for an 80x24 terminal).
import { MODULES, type Card } from './cards/index.js';
import { GRADE_NAMES, humanInterval, type Grade } from './scheduler.js';
import type { SessionView } from './session.js';
import { STAGES, type Stats } from './stats.js';

export const SCREEN_ROWS = 24;
export const DEFAULT_WIDTH = 78;
const LETTERS = 'abcde';

/** Word-wraps `text` to `width` columns; words longer than a line are cut. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (let word of text.split(/\s+/).filter(Boolean)) {
    while (word.length > width) {
      if (line) lines.push(line);
      line = '';
      lines.push(word.slice(0, width));
      word = word.slice(width);
    }
    if (!word) continue;
    if (!line) line = word;
    else if (line.length + 1 + word.length <= width) line += ' ' + word;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line || !lines.length) lines.push(line);
  return lines;
}

/** `prefix` then `text` wrapped beside it: continuation lines are indented to line up after the prefix. */
export function block(prefix: string, text: string, width: number): string[] {
  const pad = ' '.repeat(prefix.length);
  return wrap(text, width - prefix.length).map((l, i) => (i ? pad : prefix) + l);
}

function header(v: SessionView, width: number): string {
  const m = v.card ? MODULES[v.card.module - 1] : undefined;
  const left = `weft learn  ${m ? `${m.id}/5 ${m.title}` : ''}`;
  const right = `${v.isNew ? 'new card' : 'review'}  ${v.remaining - 1} more  ${v.reviewed} done`;
  const gap = Math.max(2, width - left.length - right.length);
  return (left + ' '.repeat(gap) + right).slice(0, width);
}

function option(card: Card, v: SessionView, shown: number, width: number): string[] {
  return block(`  ${LETTERS[shown]}) `, card.options[v.order[shown]], width);
}

/** Shell words of a command, quotes kept: 'a b' stays one word. */
function shellWords(cmd: string): string[] {
  return cmd.match(/(?:'[^']*'|"[^"]*"|\S)+/g) ?? [];
}

/** The try-it command, copy-pastable: on one line if it fits, else split between words with `\` continuations. */
function tryIt(cmd: string, width: number): string[] {
  const label = 'Try it (weft demo): ';
  if (label.length + cmd.length <= width) return [label + cmd];
  const lines = [label.trimEnd()];
  let line = ' ';
  for (const w of shellWords(cmd)) {
    if (line.trim() && line.length + 1 + w.length + 2 > width) {
      lines.push(line + ' \\');
      line = ' ';
    }
    line += ' ' + w;
  }
  lines.push(line);
  return lines;
}

/** The question with its options, and the keys. */
export function renderQuestion(v: SessionView, width = DEFAULT_WIDTH): string[] {
  const c = v.card;
  if (!c) return [];
  const lines = [header(v, width), '', ...wrap(c.question, width), ''];
  for (let i = 0; i < v.order.length; i++) lines.push(...option(c, v, i, width));
  lines.push('', `keys: a-${LETTERS[v.order.length - 1]} answer   q quit (progress is saved after every card)`);
  return lines;
}

/** Right or wrong, the explanation, where to read more and what to try, and the rating keys. */
export function renderAnswer(v: SessionView, now: Date, width = DEFAULT_WIDTH): string[] {
  const c = v.card;
  if (!c || v.picked === null) return [];
  const right = v.order.indexOf(c.answer);
  const lines = [header(v, width), '', ...wrap(c.question, width), ''];
  if (v.correct) lines.push(...block(`RIGHT  ${LETTERS[right]}) `, c.options[c.answer], width));
  else {
    lines.push(...block(`WRONG  you chose ${LETTERS[v.picked]}) `, c.options[v.order[v.picked]], width));
    lines.push(...block(`       answer is ${LETTERS[right]}) `, c.options[c.answer], width));
  }
  lines.push('', ...wrap(c.explanation, width), '');
  lines.push(...block('More: ', c.link, width));
  if (c.tryIt) lines.push(...tryIt(c.tryIt, width));
  lines.push('');
  if (v.correct) {
    const keys = v.grades.map((g) => `${g} ${GRADE_NAMES[g]} ${humanInterval(v.preview[g] as string, now)}`).join('  ');
    lines.push(`rate recall: ${keys}  q quit`.slice(0, width));
  } else {
    lines.push(`a wrong answer counts as again: 1 or Enter (back in ${humanInterval(v.preview[1] as string, now)})  q quit`.slice(0, width));
  }
  return lines;
}

export interface DoneSummary {
  reviewed: number;
  right: number;
  nextDue: string | null;
  file: string;
  /** The learner stopped before the queue was empty. */
  stopped?: boolean;
}

export function renderDone(s: DoneSummary, now: Date, width = DEFAULT_WIDTH): string[] {
  const lines = ['weft learn', ''];
  if (s.reviewed === 0) lines.push('Nothing to study right now: no card is due and today\'s new cards are done.');
  else lines.push(`${s.stopped ? 'Stopped, all saved' : 'Session done'}: ${s.reviewed} review${s.reviewed === 1 ? '' : 's'}, ${s.right} answered right the first time.`);
  if (s.nextDue) lines.push(`Next card due in ${humanInterval(s.nextDue, now)} (${new Date(s.nextDue).toLocaleString()}).`);
  lines.push(...block('Progress: ', s.file, width));
  lines.push('See where you stand: weft learn stats');
  return lines.map((l) => l.slice(0, width));
}

const pct = (v: number | null) => (v === null ? '-' : `${Math.round(v * 100)}%`);

/** Per module from seed to full bloom, then the totals. */
export function renderStats(s: Stats, file: string): string {
  const rows = [['MODULE', 'CARDS', 'NEW', 'LEARN', 'YOUNG', 'MATURE', 'DUE', 'BLOOM']];
  const bar = (m: { cards: number; new: number; learning: number; young: number; mature: number }) =>
    STAGES.map((st, i) => '.+o@'[i].repeat(m[st])).join('');
  for (const m of s.modules) rows.push([`${m.module} ${m.title}`, String(m.cards), String(m.new), String(m.learning), String(m.young), String(m.mature), String(m.dueToday), bar(m)]);
  if (s.modules.length > 1) rows.push(['total', String(s.cards), String(s.new), String(s.learning), String(s.young), String(s.mature), String(s.dueToday), '']);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const out = rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd());
  out.push(
    '',
    'BLOOM: . new (seed)  + learning  o young (< 21 days)  @ mature (full bloom)',
    `due today: ${s.dueToday}   reviews today: ${s.reviewsToday}   streak: ${s.streak} day${s.streak === 1 ? '' : 's'}`,
    `retention (30 days): ${pct(s.retention)}   right answers: ${pct(s.accuracy)}   scheduler: ${s.scheduler}`,
    `progress: ${file}`,
  );
  return out.join('\n') + '\n';
}

export function gradeKey(key: string): Grade | null {
  return key === '1' || key === '2' || key === '3' || key === '4' ? (Number(key) as Grade) : null;
}

export function optionKey(key: string, count: number): number | null {
  const i = LETTERS.indexOf(key.toLowerCase());
  return i >= 0 && i < count ? i : null;
}
