// The browser side of `weft learn --web`: the same Session, scheduler and progress format as the terminal,
// with progress in localStorage. The project compiles without the DOM library (it would change Node's
// types for everyone), so the few browser APIs used here are typed below.
import { MODULES, type ModuleId } from '../cards/index.js';
import { emptyProgress, mergeProgress, parseProgress, serializeProgress, type Progress } from '../progress.js';
import { GRADE_NAMES, humanInterval, type Grade } from '../scheduler.js';
import { Session } from '../session.js';
import { computeStats, STAGES } from '../stats.js';

interface El {
  textContent: string | null;
  hidden: boolean;
  disabled: boolean;
  className: string;
  value: string;
  href: string;
  files?: ArrayLike<{ name: string; text(): Promise<string> }> | null;
  append(...nodes: (El | string)[]): void;
  replaceChildren(...nodes: (El | string)[]): void;
  setAttribute(name: string, value: string): void;
  addEventListener(type: string, fn: (ev: KeyEv) => void): void;
  click(): void;
  focus(): void;
}
interface KeyEv {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  target: unknown;
  preventDefault(): void;
}
interface Browser {
  document: { getElementById(id: string): El | null; createElement(tag: string): El; addEventListener(type: string, fn: (ev: KeyEv) => void): void; body: El };
  localStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void; removeItem(k: string): void };
}

const w = globalThis as unknown as Browser;
const doc = w.document;
export const STORAGE_KEY = 'weft-learn-progress';
const LETTERS = 'abcde';

function $(id: string): El {
  const el = doc.getElementById(id);
  if (!el) throw new Error(`page is missing #${id}`);
  return el;
}

function h(tag: string, text?: string, cls?: string): El {
  const el = doc.createElement(tag);
  if (text !== undefined) el.textContent = text;
  if (cls) el.className = cls;
  return el;
}

function say(text: string): void {
  $('message').textContent = text;
}

/** Reads progress from local storage; an unreadable one is kept under another key, with a message. */
function loadStored(): Progress {
  const text = w.localStorage.getItem(STORAGE_KEY);
  if (text === null) return emptyProgress();
  try {
    return parseProgress(text);
  } catch (e) {
    const aside = `${STORAGE_KEY}.corrupt-${new Date().toISOString()}`;
    w.localStorage.setItem(aside, text);
    w.localStorage.removeItem(STORAGE_KEY);
    say(`The stored progress could not be read (${(e as Error).message}); it was kept under the local storage key "${aside}" and a new one was started.`);
    return emptyProgress();
  }
}

let progress = loadStored();
let module: ModuleId | undefined;
let session = new Session(progress);

function store(p: Progress): void {
  progress = p;
  w.localStorage.setItem(STORAGE_KEY, serializeProgress(p));
}

function restart(): void {
  session = new Session(progress, { module });
  render();
}

function linkHref(link: string): string {
  // weft's own docs are served by this server, so they open offline too.
  return link.startsWith('docs/') ? `/${link}` : link;
}

function renderCard(): void {
  const v = session.view();
  const card = v.card;
  $('answer').hidden = v.phase !== 'answered';
  $('done').hidden = v.phase !== 'done';
  for (const id of ['meta', 'question', 'options', 'reveal']) $(id).hidden = v.phase === 'done';
  if (!card) {
    const nextDue = Object.values(progress.cards).map((s) => s.due).sort()[0];
    $('done').replaceChildren(
      h('p', v.reviewed ? `Session done: ${v.reviewed} reviews, ${v.right} answered right the first time.` : "Nothing to study right now: no card is due and today's new cards are done."),
      h('p', nextDue ? `Next card due in ${humanInterval(nextDue, new Date())}.` : ''),
    );
    return;
  }
  const m = MODULES[card.module - 1];
  $('meta').textContent = `Module ${m.id} of 5: ${m.title}. ${v.isNew ? 'New card' : 'Review'}; ${v.remaining - 1} more after this one.`;
  $('question').textContent = card.question;
  const answered = v.phase === 'answered';
  $('options').replaceChildren(
    ...v.order.map((idx, shown) => {
      const li = h('li');
      const b = h('button');
      b.setAttribute('data-option', String(shown));
      b.setAttribute('aria-pressed', String(shownPick === shown || v.picked === shown));
      b.append(h('span', LETTERS[shown], 'letter'), card.options[idx]);
      if (answered) {
        b.disabled = true;
        if (idx === card.answer) b.className = 'right';
        else if (shown === v.picked) b.className = 'wrong';
      }
      b.addEventListener('click', () => pick(shown));
      li.append(b);
      return li;
    }),
  );
  $('reveal').disabled = answered || shownPick === null;
  if (!answered) return;
  const right = v.order.indexOf(card.answer);
  $('verdict').className = v.correct ? 'right' : 'wrong';
  $('verdict').textContent = v.correct ? `Right: ${LETTERS[right]}.` : `Wrong: you chose ${LETTERS[v.picked as number]}, the answer is ${LETTERS[right]}.`;
  $('explanation').textContent = card.explanation;
  const a = $('link');
  a.href = linkHref(card.link);
  a.textContent = card.link;
  $('tryit').hidden = !card.tryIt;
  $('trycmd').textContent = card.tryIt ?? '';
  $('rate-label').textContent = v.correct ? 'How well did you recall it?' : 'A wrong answer counts as "again":';
  const now = new Date();
  $('rate').replaceChildren(
    ...v.grades.map((g) => {
      const b = h('button', `${g} ${GRADE_NAMES[g]} (${humanInterval(v.preview[g] as string, now)})`);
      b.setAttribute('data-grade', String(g));
      b.addEventListener('click', () => rate(g));
      return b;
    }),
  );
}

function renderStats(): void {
  const s = computeStats(progress, new Date(), module);
  const head = h('tr');
  for (const t of ['Module', 'Cards', 'New', 'Learning', 'Young', 'Mature', 'Due today', 'Bloom']) head.append(h('th', t));
  const rows = s.modules.map((m) => {
    const tr = h('tr');
    tr.setAttribute('data-module', String(m.module));
    for (const t of [`${m.module} ${m.title}`, m.cards, m.new, m.learning, m.young, m.mature, m.dueToday]) tr.append(h('td', String(t)));
    tr.append(h('td', STAGES.map((st, i) => '.+o@'[i].repeat(m[st])).join(''), 'bloom'));
    return tr;
  });
  $('stats').replaceChildren(head, ...rows);
  const pct = (v: number | null) => (v === null ? '-' : `${Math.round(v * 100)}%`);
  $('totals').textContent =
    `Due today: ${s.dueToday}. Reviews today: ${s.reviewsToday}. Streak: ${s.streak} day${s.streak === 1 ? '' : 's'}. ` +
    `Retention (30 days): ${pct(s.retention)}. Right answers: ${pct(s.accuracy)}. Bloom: . new, + learning, o young, @ mature.`;
  $('summary').textContent = `${s.reviews} reviews, ${s.cards - s.new} of ${s.cards} cards started`;
}

function render(): void {
  renderCard();
  renderStats();
}

let shownPick: number | null = null;

function pick(shown: number): void {
  if (session.view().phase !== 'question') return;
  shownPick = shown;
  render();
}

function reveal(): void {
  if (shownPick === null || !session.choose(shownPick)) return;
  shownPick = null;
  render();
}

function rate(g: Grade): void {
  const p = session.rate(g);
  if (!p) return;
  store(p);
  render();
}

$('reveal').addEventListener('click', reveal);

$('export').addEventListener('click', () => {
  const url = URL.createObjectURL(new Blob([serializeProgress(progress)], { type: 'application/json' }));
  const a = h('a');
  a.href = url;
  a.setAttribute('download', 'weft-learn-progress.json');
  doc.body.append(a);
  a.click();
  a.hidden = true;
  say('Exported: import it in the terminal with `weft learn import weft-learn-progress.json`.');
});

$('import').addEventListener('change', () => {
  const f = $('import').files?.[0];
  if (!f) return;
  void f.text().then(
    (text) => {
      let theirs: Progress;
      try {
        theirs = parseProgress(text);
      } catch (e) {
        say(`${f.name} was not imported: ${(e as Error).message}`);
        return;
      }
      const before = progress.log.length;
      store(mergeProgress(progress, theirs));
      say(`Imported ${progress.log.length - before} reviews from ${f.name} (${theirs.log.length - (progress.log.length - before)} were already here).`);
      $('import').value = '';
      restart();
    },
    (e: Error) => say(`${f.name} could not be read: ${e.message}`),
  );
});

const select = $('module');
for (const m of MODULES) {
  const o = h('option', `${m.id} ${m.title}`);
  o.value = String(m.id);
  select.append(o);
}
select.addEventListener('change', () => {
  module = select.value ? (Number(select.value) as ModuleId) : undefined;
  shownPick = null;
  restart();
});

doc.addEventListener('keydown', (ev) => {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const tag = (ev.target as { tagName?: string } | null)?.tagName;
  if (tag === 'INPUT' || tag === 'SELECT') return;
  const v = session.view();
  if (v.phase === 'question') {
    const i = LETTERS.indexOf(ev.key.toLowerCase());
    if (i >= 0 && i < v.order.length) pick(i);
    else if (ev.key === 'Enter') reveal();
    else return;
  } else if (v.phase === 'answered') {
    const g = Number(ev.key) as Grade;
    if (v.grades.includes(g)) rate(g);
    else if (ev.key === 'Enter') rate(v.correct ? 3 : 1);
    else return;
  } else return;
  ev.preventDefault();
});

restart();
