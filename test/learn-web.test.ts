// `weft learn --web` in a real headless Chromium (Debian's package, driven by playwright-core): answer a
// card, reveal, rate, reload and find the progress kept; export and import progress in the terminal's format;
// every request the page makes stays on the local server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CARDS } from '../src/learn/cards/index.js';
import { emptyProgress, parseProgress, recordReview, serializeProgress } from '../src/learn/progress.js';
import { CLI, waitFor } from './helpers/mesh.js';

const CHROMIUM = '/usr/bin/chromium';
let server: ChildProcess;
let url = '';
let browser: BrowserContext;
let page: Page;
let dir: string;
const requests: string[] = [];
const pageErrors: string[] = [];

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'weft-learn-web-'));
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (scripts/test.mjs does)`);
  // The real command, on port 0: it prints the URL it got.
  server = spawn(process.execPath, [CLI, 'learn', '--web'], { env: { ...process.env, WEFT_HOME: path.join(dir, 'home') }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  server.stdout!.on('data', (d) => (out += d));
  server.stderr!.on('data', (d) => (out += d));
  url = await waitFor('the server to print its URL', () => /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1], 20_000);
  // A fresh profile directory (playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

/** The shown letter of the right option of the card on screen, from the question and option texts. */
async function rightButton(p: Page): Promise<{ index: number; wrong: number }> {
  const question = await p.locator('#question').textContent();
  const card = CARDS.find((c) => c.question === question);
  assert.ok(card, `unknown question on the page: ${question}`);
  const texts = await p.locator('#options button').allTextContents();
  const index = texts.findIndex((t) => t.slice(1) === card.options[card.answer]);
  assert.ok(index >= 0, `the right option is not among ${JSON.stringify(texts)}`);
  return { index, wrong: index === 0 ? 1 : 0 };
}

test('the page loads offline from the local server and shows the first new card with its keys', async () => {
  await page.goto(url);
  await page.locator('#options button').first().waitFor();
  assert.equal(await page.locator('#question').textContent(), CARDS[0].question);
  assert.equal(await page.locator('#options button').count(), CARDS[0].options.length);
  assert.match((await page.locator('.keys').textContent()) ?? '', /pick an option.*reveal.*rate recall/s);
  assert.equal(await page.locator('#stats tr[data-module]').count(), 5);
  const origin = new URL(url).origin;
  assert.deepEqual(requests.filter((r) => !r.startsWith(origin)), [], 'every request stays on the local server (no CDN)');
  assert.ok(requests.some((r) => r.endsWith('/vendor/ts-fsrs.js')), 'the scheduler library comes from the local server');
  assert.deepEqual(pageErrors, []);
});

test('answer a card, reveal, rate; reload and the progress is kept', async () => {
  const { index } = await rightButton(page);
  assert.equal(await page.locator('#reveal').isDisabled(), true, 'nothing to reveal before an option is picked');
  await page.locator('#options button').nth(index).click();
  await page.locator('#reveal').click();
  await page.locator('#answer').waitFor({ state: 'visible' });
  assert.match((await page.locator('#verdict').textContent()) ?? '', /^Right/);
  assert.equal(await page.locator('#explanation').textContent(), CARDS[0].explanation);
  assert.equal(await page.locator('#rate button').count(), 4, 'a right answer may be rated again, hard, good or easy');
  await page.locator('#rate button[data-grade="3"]').click();
  await waitFor('the second card', async () => (await page.locator('#question').textContent()) === CARDS[1].question);

  // The second card answered wrong, with the keyboard: only "again" is offered.
  const second = await rightButton(page);
  await page.keyboard.press('abcde'[second.wrong]);
  await page.keyboard.press('Enter');
  await page.locator('#answer').waitFor({ state: 'visible' });
  assert.match((await page.locator('#verdict').textContent()) ?? '', /^Wrong/);
  assert.deepEqual(await page.locator('#rate button').evaluateAll((bs) => bs.map((b) => (b as { getAttribute(n: string): string | null }).getAttribute('data-grade'))), ['1']);
  await page.keyboard.press('1');

  const stored = (await page.evaluate('localStorage.getItem("weft-learn-progress")')) as string | null;
  const p = parseProgress(stored ?? '');
  assert.deepEqual(p.log.map((e) => [e.card, e.grade, e.correct]), [[CARDS[0].id, 3, true], [CARDS[1].id, 1, false]]);

  await page.reload();
  await page.locator('#options button').first().waitFor();
  const module1 = page.locator('#stats tr[data-module="1"] td');
  assert.equal(await module1.nth(2).textContent(), '14', 'two of module 1\'s cards are no longer new after the reload');
  assert.equal(await module1.nth(3).textContent(), '2', 'both are in learning');
  assert.match((await page.locator('#totals').textContent()) ?? '', /Reviews today: 2\./);
  assert.match((await page.locator('#summary').textContent()) ?? '', /^2 reviews, 2 of 80 cards started/);
  assert.deepEqual(pageErrors, []);
});

test('export writes the terminal\'s format; import merges a terminal file without counting a review twice', async () => {
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export').click()]);
  assert.equal(download.suggestedFilename(), 'weft-learn-progress.json');
  const exported = parseProgress(readFileSync(await download.path(), 'utf8'));
  assert.equal(exported.log.length, 2);

  // A terminal file with one review the browser already has and two it has not.
  let terminal = emptyProgress();
  const t0 = new Date(Date.parse(exported.log[0].at) - 3 * 86_400_000);
  terminal = recordReview(terminal, CARDS[20].id, 3, true, t0);
  terminal = recordReview(terminal, CARDS[21].id, 4, true, new Date(t0.getTime() + 60_000));
  terminal = { ...terminal, log: [...terminal.log, exported.log[0]] };
  const file = path.join(dir, 'progress.json');
  writeFileSync(file, serializeProgress(terminal));
  await page.locator('#import').setInputFiles(file);
  await waitFor('the import message', async () => /Imported 2 reviews/.test((await page.locator('#message').textContent()) ?? ''));
  const merged = parseProgress(((await page.evaluate('localStorage.getItem("weft-learn-progress")')) as string | null) ?? '');
  assert.equal(merged.log.length, 4);
  assert.ok(merged.cards[CARDS[20].id] && merged.cards[CARDS[21].id]);

  writeFileSync(file, '{"format":"something else"}');
  await page.locator('#import').setInputFiles(file);
  await waitFor('the refusal', async () => /was not imported: format/.test((await page.locator('#message').textContent()) ?? ''));
  assert.equal(parseProgress(((await page.evaluate('localStorage.getItem("weft-learn-progress")')) as string | null) ?? '').log.length, 4, 'a bad file changes nothing');
  assert.deepEqual(pageErrors, []);
});

test('unreadable stored progress is kept aside with a message, not silently dropped', async () => {
  await page.evaluate(`localStorage.setItem('weft-learn-progress', '{"format":"weft-learn-progress","version":99}')`);
  await page.reload();
  await page.locator('#options button').first().waitFor();
  assert.match((await page.locator('#message').textContent()) ?? '', /could not be read \(version: 99 .*newer weft\)\); it was kept under the local storage key "weft-learn-progress\.corrupt-/);
  const keys = (await page.evaluate('Object.keys(localStorage)')) as string[];
  const aside = keys.find((k) => k.startsWith('weft-learn-progress.corrupt-'));
  assert.ok(aside);
  assert.equal(await page.evaluate(`localStorage.getItem(${JSON.stringify(aside)})`), '{"format":"weft-learn-progress","version":99}');
});

test('the server serves weft docs for card links and nothing outside its allowlist', async () => {
  const ok = await fetch(new URL('/docs/security.md', url));
  assert.equal(ok.status, 200);
  assert.match(await ok.text(), /^# Security/);
  for (const p of ['/docs/../package.json', '/js/store.js', '/js/terminal.js', '/js/web/server.js', '/js/../../cli/main.js', '/etc/passwd']) {
    assert.equal((await fetch(new URL(p, url))).status, 404, p);
  }
  const head = await fetch(url);
  assert.match(head.headers.get('content-security-policy') ?? '', /default-src 'none'; script-src 'self' 'sha256-/);
  assert.equal((await fetch(url, { method: 'POST' })).status, 405);
});
