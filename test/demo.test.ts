// `weft demo` as a newcomer runs it: on a terminal (tmux) a live per-service view stays at the bottom with
// the hints above it; piped, plain lines; never the access-log flood. It uses the shop example's port 8080.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { CLI, ROOT, waitFor } from './helpers/mesh.js';

const tmux = (...args: string[]) => execFileSync('tmux', ['-L', `weft-demo-test-${process.pid}`, '-f', '/dev/null', ...args], { encoding: 'utf8' });

test('on a terminal: hints, then a live view of every service the callers use, redrawn in place; Ctrl-C stops cleanly', async () => {
  const shell = `cd '${ROOT}' && NO_COLOR=1 '${process.execPath}' '${CLI}' demo --rps 20; echo "exit=$?"; sleep 600`;
  tmux('new-session', '-d', '-x', '120', '-y', '50', '-s', 'demo', shell);
  try {
    const screen = () => tmux('capture-pane', '-p', '-t', 'demo');
    const s = await waitFor('the live view with traffic on catalog', () => {
      const t = screen();
      return /^catalog\s+\d+\.\d\s+\d+\.\d%/m.test(t) && /^web\s+\d/m.test(t) && /load generator: \d+ sent, \d+ ok, 0 failed/.test(t) ? t : undefined;
    }, 60_000, 250).catch((e: Error) => {
      // What was on the screen says why (no view, a failed request, a start-up error).
      throw new Error(`${e.message}; the screen:\n${screen()}`);
    });
    assert.match(s, /^Try:$/m, 'the hints are on screen, not scrolled away');
    assert.match(s, /^SERVICE\s+RPS\s+SUCCESS\s+P50\s+P99$/m);
    assert.doesNotMatch(s, /"start_time"|"response_code"/, 'no access-log JSON on the terminal');
    // The view is one block: its header appears once however many times it was redrawn.
    const before = screen();
    await waitFor('a redraw', () => screen() !== before, 10_000, 250);
    assert.equal(screen().match(/^SERVICE\s+RPS/gm)?.length, 1);
    tmux('send-keys', '-t', 'demo', 'C-c');
    const end = await waitFor('the exit', () => (/exit=\d+/.test(screen()) ? screen() : undefined), 30_000, 250);
    assert.match(end, /exit=0/);
    assert.match(end, /stopped/);
  } finally {
    tmux('kill-server');
  }
});

test('piped: the same run prints lifecycle lines and hints only, and exits 0 after --duration', async () => {
  const child = spawn(process.execPath, [CLI, 'demo', '--rps', '20', '--duration', '8'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, out);
  assert.match(out, /weft: gateway ingress\/http listening at http:\/\/127\.0\.0\.1:8080\//);
  assert.match(out, /^Try:$/m);
  assert.doesNotMatch(out, /"start_time"/, 'no access-log JSON');
  // Every line is a lifecycle line, a hint or the closing stop sequence: short, not a flood.
  const lines = out.split('\n').filter(Boolean);
  assert.ok(lines.length < 60, `${lines.length} lines:\n${out}`);
});
