// `weft learn` end to end: the real command in a real 80x24 terminal (tmux) with keys typed, the same through
// plain stdin, then stats, reset, export and import against the progress file it wrote.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CARDS } from '../src/learn/cards/index.js';
import { emptyProgress, parseProgress, recordReview, serializeProgress } from '../src/learn/progress.js';
import { CLI, waitFor } from './helpers/mesh.js';

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'weft-learn-term-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** From a screen's text: the card on it, and the letters of its right option and of a wrong one. */
function letters(screen: string): { id: string; right: string; wrong: string } {
  const card = CARDS.find((c) => screen.includes(c.question.slice(0, 60)));
  assert.ok(card, `no known question on screen:\n${screen}`);
  const shown = [...screen.matchAll(/^ {2}([a-e])\) (.*(?:\n {5}.*)*)/gm)].map((m) => ({ letter: m[1], text: m[2].replace(/\n +/g, ' ') }));
  const right = shown.find((s) => s.text === card.options[card.answer]);
  assert.ok(right, `the right option is not on screen:\n${screen}`);
  return { id: card.id, right: right.letter, wrong: shown.find((s) => s !== right)!.letter };
}

// A tmux server of this test's own (its own socket), so no other tmux session is touched.
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', `weft-learn-test-${process.pid}`, '-f', '/dev/null', ...args], { encoding: 'utf8' });

test('in an 80x24 terminal: keys on screen, answer right and wrong, rate, Ctrl-C saves', async () => {
  const home = path.join(dir, 'tty');
  const shell = `WEFT_HOME='${home}' '${process.execPath}' '${CLI}' learn; echo "exit=$?"; sleep 600`;
  tmux('new-session', '-d', '-x', '80', '-y', '24', '-s', 'learn', shell);
  try {
    const screen = () => tmux('capture-pane', '-p', '-t', 'learn');
    let s = await waitFor('the first question', () => (/keys: a-[c-e] answer/.test(screen()) ? screen() : undefined), 20_000);
    const rows = s.replace(/\n$/, '').split('\n');
    assert.equal(rows.length, 24, 'the pane is 24 rows');
    assert.match(rows[0], /^weft learn {2}1\/5 What a mesh is .*new card/);
    const first = letters(s);
    assert.equal(first.id, CARDS[0].id);
    tmux('send-keys', '-t', 'learn', first.right);
    s = await waitFor('the answer', () => (/rate recall: 1 again/.test(screen()) ? screen() : undefined));
    assert.match(s, /^RIGHT {2}[a-e]\) /m);
    assert.match(s, /^More: docs\/architecture\.md#data-path/m);
    assert.match(s, /^Try it \(weft demo\): weft status/m);
    tmux('send-keys', '-t', 'learn', '3');
    s = await waitFor('the second question', () => (screen().includes(CARDS[1].question.slice(0, 40)) && /keys: a-/.test(screen()) ? screen() : undefined));
    const second = letters(s);
    tmux('send-keys', '-t', 'learn', second.wrong);
    s = await waitFor('the wrong answer', () => (/a wrong answer counts as again/.test(screen()) ? screen() : undefined));
    assert.match(s, /^WRONG {2}you chose /m);
    assert.match(s, /^ {7}answer is [a-e]\) /m);
    tmux('send-keys', '-t', 'learn', 'Enter');
    await waitFor('the third question', () => screen().includes(CARDS[2].question.slice(0, 40)));
    tmux('send-keys', '-t', 'learn', 'C-c');
    s = await waitFor('the exit', () => (/exit=\d+/.test(screen()) ? screen() : undefined));
    assert.match(s.replace(/\n/g, ''), /progress saved to .*progress\.json/);
    assert.match(s, /exit=0/);
    const p = parseProgress(readFileSync(path.join(home, 'learn', 'progress.json'), 'utf8'));
    assert.deepEqual(p.log.map((e) => [e.card, e.grade, e.correct]), [[CARDS[0].id, 3, true], [CARDS[1].id, 1, false]]);
  } finally {
    tmux('kill-server');
  }
});

/** Runs `weft learn ...` with keys on stdin, one chunk per key once the screen asks for it. */
class Driven {
  out = '';
  code: number | null = null;
  private p: ChildProcess;
  constructor(args: string[], home: string) {
    this.p = spawn(process.execPath, [CLI, 'learn', ...args], { env: { ...process.env, WEFT_HOME: home }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.p.stdout!.on('data', (d) => (this.out += d));
    this.p.stderr!.on('data', (d) => (this.out += d));
    this.p.on('exit', (c) => (this.code = c));
  }
  screen(): string {
    return this.out.split('\n' + '-'.repeat(78) + '\n').at(-1) as string;
  }
  send(k: string): void {
    this.p.stdin!.write(k);
  }
  end(): void {
    this.p.stdin!.end();
  }
  exited(): Promise<number> {
    return waitFor('the command to exit', () => (this.code === null ? undefined : this.code));
  }
}

test('through plain stdin: a session per module, the daily new-card limit, then quit with q', async () => {
  const home = path.join(dir, 'pipe');
  const d = new Driven(['--module', '3', '--new', '2', '--scheduler', 'sm2'], home);
  let s = await waitFor('a security question', () => (/keys: a-/.test(d.screen()) ? d.screen() : undefined));
  assert.match(s, /3\/5 Security/);
  d.send(letters(s).right);
  await waitFor('the answer', () => /rate recall/.test(d.screen()));
  d.send('4');
  s = await waitFor('the second card', () => (/keys: a-/.test(d.screen()) && d.screen().includes(CARDS[33].question.slice(0, 40)) ? d.screen() : undefined));
  d.send(letters(s).right);
  await waitFor('the answer', () => /rate recall/.test(d.screen()));
  d.send('\r');
  assert.equal(await d.exited(), 0);
  assert.match(d.out, /Session done: 2 reviews, 2 answered right the first time\./, 'only two new cards a day, as set');
  const p = parseProgress(readFileSync(path.join(home, 'learn', 'progress.json'), 'utf8'));
  assert.equal(p.scheduler, 'sm2');
  assert.equal(p.newPerDay, 2);
  assert.deepEqual(p.log.map((e) => [e.card, e.grade]), [[CARDS[32].id, 4], [CARDS[33].id, 3]]);
  assert.deepEqual([p.cards[CARDS[32].id].interval, p.cards[CARDS[33].id].interval], [1, 1], 'SM-2 first intervals');

  const empty = new Driven([], home);
  assert.equal(await empty.exited(), 0);
  assert.match(empty.out, /Nothing to study right now/, "today's two new cards are done, whatever the module");
  assert.match(empty.out, /Next card due in 1d/);

  const more = new Driven(['--new', '3'], home);
  s = await waitFor('a question', () => (/keys: a-/.test(more.screen()) ? more.screen() : undefined));
  assert.equal(letters(s).id, CARDS[0].id, 'a higher limit lets one more new card in, from the start of the track');
  assert.match(s, /0 more {2}0 done/);
  more.send('q');
  assert.equal(await more.exited(), 0);
});

function cli(args: string[], home: string, input = ''): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, 'learn', ...args], { env: { ...process.env, WEFT_HOME: home }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout!.on('data', (d) => (out += d));
    p.stderr!.on('data', (d) => (err += d));
    p.on('close', (code) => resolve({ code: code ?? -1, out, err }));
    p.stdin!.end(input);
  });
}

test('stats per module, -o json, import and export, and a reset that asks first and keeps a backup', async () => {
  const home = path.join(dir, 'stats');
  let theirs = emptyProgress();
  const t = new Date(Date.now() - 2 * 3_600_000);
  theirs = recordReview(theirs, CARDS[16].id, 3, true, t);
  theirs = recordReview(theirs, CARDS[17].id, 1, false, new Date(t.getTime() + 60_000));
  theirs = recordReview(theirs, CARDS[48].id, 3, true, new Date(t.getTime() + 120_000));
  const file = path.join(dir, 'from-browser.json');
  writeFileSync(file, serializeProgress(theirs));
  let r = await cli(['import', file], home);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /imported 3 reviews .*\(0 already there\)/);
  r = await cli(['import', file], home);
  assert.match(r.out, /imported 0 reviews .*\(3 already there\)/, 'importing twice counts nothing twice');

  r = await cli(['stats'], home);
  assert.match(r.out, /^2 Traffic +16 +14 +2 +0 +0 +2 +\.{14}\+\+$/m);
  assert.match(r.out, /^total +80 +77 +3 /m);
  assert.match(r.out, /reviews today: 3 {3}streak: 1 day/);
  const json = JSON.parse((await cli(['stats', '--module', '2', '-o', 'json'], home)).out);
  assert.deepEqual(json.modules.map((m: { module: number; learning: number }) => [m.module, m.learning]), [[2, 2]]);
  assert.equal(json.reviews, 2);

  r = await cli(['export'], home);
  assert.equal(parseProgress(r.out).log.length, 3);

  r = await cli(['stats', '--reset', '--module', '2'], home, 'no\n');
  assert.notEqual(r.code, 0);
  assert.match(r.err, /Reset progress of module 2 \(Traffic\): 2 reviews will be forgotten\. Type "yes"/);
  assert.match(r.err, /reset cancelled; nothing changed/);
  assert.equal(parseProgress((await cli(['export'], home)).out).log.length, 3);

  r = await cli(['stats', '--reset', '--module', '2'], home, 'yes\n');
  assert.equal(r.code, 0, r.err);
  const backup = /the previous file is kept as (\S+)/.exec(r.err)?.[1];
  assert.ok(backup, r.err);
  assert.equal(parseProgress(readFileSync(backup, 'utf8')).log.length, 3);
  assert.match(r.out, /^2 Traffic +16 +16 +0 /m);
  assert.deepEqual(parseProgress((await cli(['export'], home)).out).log.map((e) => e.card), [CARDS[48].id]);

  writeFileSync(file, '{"format": "weft-learn-progress", "version": 1, "scheduler": "fsrs"}');
  r = await cli(['import', file], home);
  assert.equal(r.code, 1);
  assert.match(r.err, /from-browser\.json: newPerDay: must be a whole number/);
});
