// The interactive terminal session: one key at a time from any readable stream (raw mode on a TTY), one
// screen at a time to any writable stream. Every rating is saved before the next card shows, so quitting,
// Ctrl-C or a closed terminal loses nothing.
import type { Readable, Writable } from 'node:stream';
import type { ModuleId } from './cards/index.js';
import { renderAnswer, renderDone, renderQuestion, gradeKey, optionKey, DEFAULT_WIDTH } from './render.js';
import { Session } from './session.js';
import type { Progress } from './progress.js';

export interface TerminalOptions {
  input: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  output: Writable & { isTTY?: boolean; columns?: number };
  progress: Progress;
  /** Persists progress after each rating; returns what was stored (possibly merged with other writers). */
  save: (p: Progress) => Progress;
  file: string;
  module?: ModuleId;
  clock?: () => Date;
}

export interface TerminalResult {
  reviewed: number;
  /** How the session ended: every card done, the learner quit, Ctrl-C, or the input closed. */
  end: 'done' | 'quit' | 'interrupt' | 'eof';
  progress: Progress;
}

const CLEAR = '\x1b[H\x1b[2J';

export function runTerminalSession(o: TerminalOptions): Promise<TerminalResult> {
  const clock = o.clock ?? (() => new Date());
  const session = new Session(o.progress, { module: o.module, clock });
  const tty = !!o.output.isTTY;
  const width = Math.max(40, Math.min(DEFAULT_WIDTH, (o.output.columns ?? 80) - 2));
  const raw = !!o.input.isTTY && typeof o.input.setRawMode === 'function';

  const draw = (lines: string[]) => o.output.write((tty ? CLEAR : '\n' + '-'.repeat(width) + '\n') + lines.join('\n') + '\n');
  const show = () => {
    const v = session.view();
    if (v.phase === 'question') draw(renderQuestion(v, width));
    else if (v.phase === 'answered') draw(renderAnswer(v, clock(), width));
  };

  return new Promise((resolve) => {
    let finished = false;
    const finish = (end: TerminalResult['end']) => {
      if (finished) return;
      finished = true;
      o.input.off('data', onData);
      o.input.off('end', onEnd);
      if (raw) o.input.setRawMode?.(false);
      o.input.pause();
      const p = session.progress;
      const due = Object.values(p.cards).map((s) => s.due).sort()[0] ?? null;
      const summary = renderDone({ reviewed: session.view().reviewed, right: session.view().right, nextDue: due, file: o.file, stopped: end !== 'done' }, clock(), width);
      if (end === 'done' || session.view().reviewed === 0) draw(summary);
      else o.output.write(`\n${summary.slice(2).join('\n')}\n`);
      resolve({ reviewed: session.view().reviewed, end, progress: p });
    };
    const key = (k: string) => {
      if (k === '\x03') return finish('interrupt');
      if (k === '\x04') return finish('eof');
      const v = session.view();
      if (k === 'q' || k === 'Q' || k === '\x1b') return finish('quit');
      if (v.phase === 'question') {
        const i = optionKey(k, v.order.length);
        if (i !== null && session.choose(i)) show();
      } else if (v.phase === 'answered') {
        const g = k === '\r' || k === '\n' ? (v.correct ? 3 : 1) : gradeKey(k);
        if (g !== null && session.rate(g)) {
          session.adopt(o.save(session.progress));
          if (session.view().phase === 'done') return finish('done');
          show();
        }
      }
    };
    const onData = (chunk: Buffer | string) => {
      const s = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      // An escape sequence (an arrow key, say) arrives in one chunk: ignore it whole rather than quit on ESC.
      if (s.length > 1 && s.startsWith('\x1b')) return;
      for (const ch of s) {
        if (finished) return;
        key(ch);
      }
    };
    const onEnd = () => finish('eof');

    if (session.view().phase === 'done') return finish('done');
    if (raw) o.input.setRawMode?.(true);
    o.input.setEncoding?.('utf8');
    o.input.on('data', onData);
    o.input.on('end', onEnd);
    o.input.resume();
    show();
  });
}
