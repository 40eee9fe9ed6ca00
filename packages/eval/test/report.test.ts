// What the HTML report says (layout is checked in headless Chromium: report-layout.test.ts).
import { describe, expect, it } from 'vitest';
import { pairedTTest, renderReport, runStatus } from '../src/index.js';
import { textWidth, wrapText } from '../src/report.js';
import { GRID, fixtureResult } from './report-fixtures.js';

const text = (html: string): string =>
  html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/\s+/g, ' ');

describe('renderReport', () => {
  it('says n=1 for one seed, never "± 0.0000", and runs no test', () => {
    const html = renderReport([fixtureResult({ seeds: 1 })]);
    expect(html).not.toMatch(/± 0\.0000/);
    expect(text(html)).toContain('(n=1)');
    expect(text(html)).toContain('n=1: no test');
    expect(text(html)).toContain('One seed (n=1)');
    expect(html).not.toContain('class="whisker"');
  });

  it('prints the paired t-test of every variant and metric, as pairedTTest computes it', () => {
    const r = fixtureResult({ seeds: 5 });
    const html = text(renderReport([r]));
    for (const v of r.variants) {
      const a = r.runs.filter((x) => x.variant === v.label).map((x) => x.test['recall@20']!);
      const b = r.runs.filter((x) => x.variant === 'baseline').map((x) => x.test['recall@20']!);
      const t = pairedTTest(a, b)!;
      expect(html).toContain(`${v.label} ndcg@10`);
      expect(html).toContain(`t = ${t.t.toFixed(2)}, df = 4, p = `);
    }
    // A large gain with small noise is significant; the table marks it.
    expect(html).toMatch(/p = [0-9.e-]+ \*/);
  });

  it('lists every run with its seed, best and last epoch and the cap', () => {
    const r = fixtureResult({ seeds: 3, maxEpochs: 200 });
    const html = text(renderReport([r]));
    expect(html).toContain('best / last epoch / cap');
    for (const run of r.runs) expect(html).toContain(`${run.bestEpoch} / ${run.epochs} / 200`);
    expect(r.runs).toHaveLength(3 * (GRID.length + 1));
  });

  it('warns when a run stopped while still improving, and then never says "confirmed"', () => {
    const stuck = fixtureResult({
      seeds: 1,
      maxEpochs: 1,
      auto: { accepted: true },
      unconverged: ['baseline', 'overlay k=3 λ=0.1 non-real pairs'],
      variants: [GRID[0]!],
    });
    const html = renderReport([stuck]);
    expect(text(html)).toContain('Not converged: 2 of 2 runs');
    expect(text(html)).toContain('check inconclusive');
    expect(text(html)).toContain('⚠ not converged');
    expect(html.toLowerCase()).not.toContain('confirmed');
    // The same result with converged runs shows the confirmation.
    const ok = fixtureResult({ seeds: 1, auto: { accepted: true }, variants: [GRID[0]!] });
    expect(text(renderReport([ok]))).toContain('confirmed by LightGCN itself');
    expect(text(renderReport([ok]))).not.toContain('Not converged');
  });

  it('names the variant of the activity chart, and draws none when the default is no augmentation', () => {
    const r = fixtureResult();
    expect(text(renderReport([r]))).toContain(`Recall@20 gain of ${r.variants[0]!.label} by user activity`);
    const rejected = fixtureResult({ auto: { accepted: false }, variants: [GRID[0]!] });
    const html = text(renderReport([rejected]));
    expect(html).not.toContain('by user activity (');
    expect(html).toContain('No activity-group chart');
  });

  it('shows the settings, versions, date and command line, and the report its own', () => {
    const r = fixtureResult();
    const html = text(
      renderReport([r], { command: 'vi-mmrec report a.json --out r.html', sources: ['a.json'], date: new Date('2026-12-03T07:00:00Z') }),
    );
    for (const s of [
      '@vi-mmrec/eval 0.1.0',
      '@vi-mmrec/core 0.1.0',
      '2026-12-03T06:00:00.000Z',
      'vi-mmrec eval data/baby --model lightgcn',
      'backend cpu',
      'patience 20',
      'at most 200',
      'a.json',
    ]) {
      expect(html).toContain(s);
    }
    expect(html).toContain('Report made 2026-12-03T07:00:00.000Z by vi-mmrec report a.json --out r.html');
    const old: typeof r = { ...r };
    delete (old as { meta?: unknown }).meta;
    expect(text(renderReport([old]))).toContain('not recorded');
  });

  it('escapes text from the JSON', () => {
    const r = fixtureResult({ dataset: '<script>alert(1)</script>' });
    expect(renderReport([r])).not.toContain('<script>');
  });

  it('adds an overview of every result when merging several', () => {
    const html = renderReport([fixtureResult({ model: 'bpr' }), fixtureResult({ model: 'vbpr', dataset: 'sports', seeds: 1 })]);
    expect(html).toContain('data-chart="overview"');
    expect(text(html)).toContain('sports · VBPR · overlay k=3 λ=0.1 non-real pairs');
    expect(html.match(/<section /g)).toHaveLength(2);
  });
});

describe('runStatus', () => {
  it('tells converged runs from runs stopped at the cap', () => {
    expect(runStatus({ bestEpoch: 10, epochs: 30 }, 100)).toBe('converged');
    expect(runStatus({ bestEpoch: 100, epochs: 100 }, 100)).toBe('not converged');
    expect(runStatus({ bestEpoch: 1, epochs: 1 }, 1)).toBe('not converged');
    expect(runStatus({ bestEpoch: 90, epochs: 100 }, 100)).toBe('stopped at cap');
    expect(runStatus({ bestEpoch: 90, epochs: 100 }, 100, 20)).toBe('stopped at cap');
    // Early stopping that fires exactly at the cap is convergence.
    expect(runStatus({ bestEpoch: 80, epochs: 100 }, 100, 20)).toBe('converged');
  });
});

describe('wrapText', () => {
  it('keeps every line within the width unless one word is wider', () => {
    const s = 'synergistic k=10 λ=0.05 non-interacted both · recall@20 and a rather long tail of words';
    for (const max of [60, 120, 200, 400]) {
      const lines = wrapText(s, 12, max);
      expect(lines.join(' ')).toBe(s);
      for (const l of lines) if (l.includes(' ')) expect(textWidth(l, 12)).toBeLessThanOrEqual(max);
    }
  });
});
