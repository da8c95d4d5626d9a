// Every card is well-formed, fits an 80x24 terminal in every state, links somewhere real, and its "try it"
// command is one the weft CLI actually accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CARDS, MODULES, cardById, cardsOf, type Card } from './index.js';
import { renderAnswer, renderQuestion, SCREEN_ROWS } from '../render.js';
import type { SessionView } from '../session.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');

// Ids are stable forever: progress files key on them. Add cards freely; never rename or remove one of these.
const PINNED_IDS = `
mesh/data-plane mesh/control-plane mesh/control-plane-down mesh/nack mesh/sidecar mesh/traffic-capture
mesh/data-plane-upgrade mesh/ambient mesh/waypoint mesh/proxies-compared mesh/overkill mesh/when-mesh mesh/cost
mesh/ingress-gateway mesh/gamma mesh/service-discovery
traffic/l7-routing traffic/grpc-balancing traffic/canary-weights traffic/weights-are-proportional traffic/header-canary
traffic/match-precedence traffic/retry-idempotent traffic/istio-default-retries traffic/timeout-and-retries
traffic/default-timeout traffic/mirroring traffic/least-request traffic/ewma traffic/consistent-hash traffic/consumer-route
traffic/redirect-vs-rewrite
security/mutual-tls security/spiffe-id security/private-key security/short-lived-certs security/permissive
security/strict-migration security/deny-before-allow security/allow-nothing security/principals-need-mtls
security/compromised-workload security/app-layer-attacks security/zero-trust security/path-normalization
security/defense-in-depth security/egress-registry-only security/root-rotation
resilience/circuit-breaking resilience/limits-are-per-proxy resilience/outlier-detection resilience/ejection-time-grows
resilience/panic-threshold resilience/breaker-vs-outlier resilience/retry-amplification resilience/retry-budget
resilience/jittered-backoff resilience/fault-injection resilience/fault-injection-linkerd resilience/local-vs-global-limit
resilience/rate-limit-status resilience/per-identity-limits resilience/failover-needs-outliers resilience/always-set-timeouts
observability/golden-signals observability/saturation-gap observability/percentiles observability/client-vs-server
observability/red-without-code observability/trace-propagation observability/traceparent observability/parent-based-sampling
observability/app-spans observability/access-logs observability/response-flags observability/label-cardinality
observability/tap observability/linkerd-viz observability/service-graph observability/prometheus-scrape
`.trim().split(/\s+/);

test('80 cards, 16 in each of the five modules, with unique ids that never change', () => {
  assert.equal(CARDS.length, 80);
  for (const m of MODULES) assert.equal(cardsOf(m.id).length, 16, `module ${m.id} ${m.title}`);
  assert.equal(new Set(CARDS.map((c) => c.id)).size, CARDS.length, 'ids are unique');
  for (const id of PINNED_IDS) assert.ok(cardById(id), `card ${id} was renamed or removed: progress files refer to it`);
  for (const c of CARDS) assert.match(c.id, new RegExp(`^${MODULES[c.module - 1].slug}/[a-z0-9]+(-[a-z0-9]+)*$`), `${c.id}: <module slug>/<concept>`);
});

test('every card: a question, 3-5 distinct options with exactly one right, an explanation, plain ASCII', () => {
  for (const c of CARDS) {
    assert.ok(c.question.trim().endsWith('?'), `${c.id}: the question ends with a question mark`);
    assert.ok(c.options.length >= 3 && c.options.length <= 5, `${c.id}: 3-5 options`);
    assert.equal(new Set(c.options.map((o) => o.toLowerCase())).size, c.options.length, `${c.id}: options are distinct`);
    for (const o of c.options) assert.ok(o.trim().length > 0, `${c.id}: empty option`);
    assert.ok(Number.isInteger(c.answer) && c.answer >= 0 && c.answer < c.options.length, `${c.id}: the answer is one of the options`);
    assert.ok(c.explanation.length >= 150, `${c.id}: the explanation says why the right one is right and the others wrong`);
    for (const t of [c.question, ...c.options, c.explanation, c.tryIt ?? '', c.link]) {
      assert.match(t, /^[\x20-\x7e]*$/, `${c.id}: only printable ASCII, so any terminal shows it: ${t}`);
    }
  }
});

test('the right option is not given away by being the longest one', () => {
  const longest = CARDS.filter((c) => c.options[c.answer].length >= Math.max(...c.options.map((o) => o.length)));
  assert.ok(longest.length <= CARDS.length / 5, `the right option is the longest in ${longest.length} cards: ${longest.map((c) => c.id).join(' ')}`);
});

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6} (.+)$/gm)) out.add(m[1].trim().toLowerCase().replace(/[^a-z0-9 _-]/g, '').replace(/ /g, '-'));
  return out;
}

test('links go to a weft docs page and heading that exist, or to an upstream https page', () => {
  for (const c of CARDS) {
    if (c.link.startsWith('docs/')) {
      const [file, anchor] = c.link.split('#');
      const p = path.join(ROOT, file);
      assert.ok(existsSync(p), `${c.id}: ${file} does not exist`);
      if (anchor) assert.ok(anchors(readFileSync(p, 'utf8')).has(anchor), `${c.id}: ${file} has no heading #${anchor}`);
    } else {
      assert.match(c.link, /^https:\/\/(istio\.io|linkerd\.io|www\.envoyproxy\.io|gateway-api\.sigs\.k8s\.io|kubernetes\.io|sre\.google|www\.w3\.org)\/\S+$/, `${c.id}: ${c.link}`);
    }
  }
});

function view(c: Card, phase: 'question' | 'answered', picked: number | null): SessionView {
  const now = Date.now();
  const order = c.options.map((_, i) => i);
  const correct = picked === null ? null : picked === c.answer;
  const grades = phase === 'question' ? [] : correct ? ([1, 2, 3, 4] as const) : ([1] as const);
  const preview = Object.fromEntries(grades.map((g) => [g, new Date(now + 10 ** (g + 3) * 5).toISOString()]));
  return { phase, card: c, order, picked, correct, grades: [...grades], preview, position: 1, remaining: 10, isNew: true, reviewed: 0, right: 0 };
}

test('every card fits an 80x24 terminal: the question, a right answer and a wrong one', () => {
  for (const c of CARDS) {
    const longestWrong = c.options.map((o, i) => [o.length, i] as const).filter(([, i]) => i !== c.answer).sort((a, b) => b[0] - a[0])[0][1];
    const screens = {
      question: renderQuestion(view(c, 'question', null)),
      right: renderAnswer(view(c, 'answered', c.answer), new Date()),
      wrong: renderAnswer(view(c, 'answered', longestWrong), new Date()),
    };
    for (const [name, lines] of Object.entries(screens)) {
      assert.ok(lines.length <= SCREEN_ROWS, `${c.id} (${name}): ${lines.length} rows`);
      for (const l of lines) assert.ok(l.length <= 79, `${c.id} (${name}): ${l.length} columns: ${l}`);
    }
    assert.match(screens.question.at(-1) as string, /^keys: a-[c-e] answer +q quit/, `${c.id}: the keys are on screen`);
    assert.match(screens.right.at(-1) as string, /^rate recall: 1 again \S+ +2 hard \S+ +3 good \S+ +4 easy \S+ +q quit$/);
    assert.match(screens.wrong.at(-1) as string, /^a wrong answer counts as again: 1 or Enter/);
    assert.ok(screens.right.some((l) => l.startsWith('More: ')), `${c.id}: the link is shown`);
  }
});

/** Runs the real CLI with an unreachable control plane: argument errors come from commander, before any call. */
function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, WEFT_CONTROL: 'http://127.0.0.1:9' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr!.on('data', (d) => (stderr += d));
    const t = setTimeout(() => p.kill('SIGKILL'), 20_000);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code: code ?? -1, stderr });
    });
  });
}

test('every "try it" is a weft command the CLI accepts, or curl to the demo gateway', async () => {
  const tries = CARDS.filter((c) => c.tryIt);
  assert.ok(tries.length >= 20, 'plenty of cards are tied to the live demo');
  const weft = [...new Set(tries.map((c) => c.tryIt as string).filter((t) => t.startsWith('weft ')))];
  for (const t of tries.map((c) => c.tryIt as string).filter((t) => !t.startsWith('weft '))) {
    assert.match(t, /^curl .*(http:\/\/)?127\.0\.0\.1:8080\//, `not a weft command nor curl to the demo gateway: ${t}`);
  }
  const results = await Promise.all(weft.map(async (t) => [t, await cli(t.slice(5).split(' ').map((w) => w.replace(/^'|'$/g, '')))] as const));
  for (const [t, r] of results) {
    assert.doesNotMatch(r.stderr, /unknown (command|option)|invalid|missing required|too many arguments|usage/i, `${t}: ${r.stderr}`);
    assert.match(r.stderr, /127\.0\.0\.1:9|ECONNREFUSED|control/i, `${t} parsed its arguments and tried the control plane: ${r.stderr}`);
  }
});
