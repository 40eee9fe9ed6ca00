import { describe, expect, it } from 'vitest';
import { InvalidDataError } from '@vi-mmrec/core';
import { reportError, UsageError, CliError } from '../src/errors.js';
import { Progress } from '../src/progress.js';
import { memoryIo } from './helpers.js';

function fakeStream(isTTY: boolean): { write: (s: string) => void; isTTY: boolean; columns: number; text: () => string } {
  let text = '';
  return { write: (s: string) => void (text += s), isTTY, columns: 200, text: () => text };
}

describe('Progress', () => {
  it('redraws one line with bar, percentage and ETA on a terminal', () => {
    let now = 0;
    const s = fakeStream(true);
    const p = new Progress(s, false, () => now);
    p.update('similarity (cpu)', 0, 1000);
    now = 1000;
    p.update('similarity (cpu)', 250, 1000);
    now = 1050; // within the redraw interval: skipped
    p.update('similarity (cpu)', 260, 1000);
    now = 2000;
    p.update('similarity (cpu)', 500, 1000);
    now = 4000;
    p.update('similarity (cpu)', 1000, 1000);
    p.finish();
    const t = s.text();
    expect(t).toContain('\r\x1b[Ksimilarity (cpu) [######..................]  25% (250/1000), ETA 3.0 s');
    expect(t).toContain('[############............]  50% (500/1000), ETA 2.0 s');
    expect(t).not.toContain('(260/1000)');
    expect(t).toContain(' 100% (1000/1000)');
    expect(t.endsWith('\r\x1b[Kvi-mmrec: similarity (cpu): done in 4.0 s\n')).toBe(true);
  });

  it('prints plain occasional lines when not a terminal', () => {
    let now = 0;
    const s = fakeStream(false);
    const p = new Progress(s, false, () => now);
    for (let i = 0; i <= 100; i++) {
      now = i * 100; // 10 s in total, one update per 100 ms
      p.update('virtual interactions', i, 100);
    }
    p.update('writing out.tsv', 5, 10); // a new phase ends the previous one
    p.finish();
    const out = s
      .text()
      .split('\n')
      .filter((l) => l !== '');
    expect(s.text()).not.toContain('\r');
    expect(out[0]).toBe('vi-mmrec: virtual interactions…');
    // One line per 3 s interval, not one per update.
    const middle = out.filter((l) => /virtual interactions: \d+%/.test(l));
    expect(middle).toEqual([
      'vi-mmrec: virtual interactions: 30% (30/100), ETA 7.0 s',
      'vi-mmrec: virtual interactions: 60% (60/100), ETA 4.0 s',
      'vi-mmrec: virtual interactions: 90% (90/100), ETA 1.0 s',
    ]);
    expect(out).toContain('vi-mmrec: virtual interactions: done in 10 s');
    expect(out.at(-2)).toBe('vi-mmrec: writing out.tsv…');
    expect(out.at(-1)).toBe('vi-mmrec: writing out.tsv: done in 0.0 s');
  });

  it('is silent when quiet, except warnings', () => {
    const s = fakeStream(true);
    const p = new Progress(s, true, () => 0);
    p.update('x', 1, 2);
    p.info('using backend cpu');
    p.finish();
    expect(s.text()).toBe('');
    p.warn('something odd');
    expect(s.text()).toBe('vi-mmrec: warning: something odd\n');
  });

  it('clears a drawn bar before log lines', () => {
    let now = 0;
    const s = fakeStream(true);
    const p = new Progress(s, false, () => now);
    p.update('x', 1, 4);
    now = 500;
    p.info('hello');
    expect(s.text().endsWith('\r\x1b[Kvi-mmrec: hello\n')).toBe(true);
  });
});

describe('reportError', () => {
  it('prints one line and maps exit codes', () => {
    const cases: Array<[unknown, number, string]> = [
      [new UsageError('unknown option --x', 'augment'), 2, "vi-mmrec: unknown option --x; run 'vi-mmrec augment --help' for usage\n"],
      [new InvalidDataError('baby.inter:3', 'itemID is empty.'), 1, 'vi-mmrec: baby.inter:3: itemID is empty.\n'],
      [new CliError('backend x is not available'), 1, 'vi-mmrec: backend x is not available\n'],
      [
        Object.assign(new Error('ENOENT: no such file, open /a/b'), { code: 'ENOENT', path: '/a/b' }),
        1,
        'vi-mmrec: /a/b: no such file or directory (ENOENT)\n',
      ],
      [
        new TypeError('x is not a function\n    at foo'),
        1,
        'vi-mmrec: unexpected error: x is not a function at foo (set VI_MMREC_DEBUG=1 for the stack)\n',
      ],
      ['a string', 1, 'vi-mmrec: unexpected error: a string (set VI_MMREC_DEBUG=1 for the stack)\n'],
    ];
    for (const [error, code, text] of cases) {
      const io = memoryIo();
      expect(reportError(error, io)).toBe(code);
      expect(io.err()).toBe(text);
    }
  });

  it('adds the stack with VI_MMREC_DEBUG=1', () => {
    const io = memoryIo({ env: { VI_MMREC_DEBUG: '1' } });
    const e = new RangeError('boom');
    expect(reportError(e, io)).toBe(1);
    expect(io.err().split('\n')[0]).toBe('vi-mmrec: unexpected error: boom');
    expect(io.err()).toContain('RangeError: boom\n    at ');
  });
});
