// What `eval --json` records about how a result was made.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commandLine, runMeta } from '../src/report.js';

describe('runMeta', () => {
  it('records the package versions, date, Node.js, backend and the quoted command line', () => {
    const own = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const core = JSON.parse(readFileSync(new URL('../../core/package.json', import.meta.url), 'utf8')) as { version: string };
    const m = runMeta(['data/baby', '--model', 'bpr', '--json', 'my results.json'], { backend: 'cpu' }, new Date('2026-12-03T06:00:00Z'));
    expect(m).toEqual({
      versions: { '@vi-mmrec/eval': own.version, '@vi-mmrec/core': core.version },
      date: '2026-12-03T06:00:00.000Z',
      command: "vi-mmrec eval data/baby --model bpr --json 'my results.json'",
      node: process.version,
      backend: 'cpu',
    });
  });

  it('quotes what a shell would split or expand', () => {
    expect(commandLine('report', ['a.json', "it's.json", '$HOME/x', '--out=r.html'])).toBe(
      `vi-mmrec report a.json 'it'\\''s.json' '$HOME/x' --out=r.html`,
    );
  });
});
