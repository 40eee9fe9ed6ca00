// The report's layout as a browser draws it: rendered in headless Chromium (Debian's
// `chromium`, or $CHROMIUM), with a script that measures every chart's text and marks and
// writes what it found into the DOM, which `--dump-dom` hands back. Skipped without Chromium.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EvalJson, renderReport } from '../src/index.js';
import { GRID, fixtureResult } from './report-fixtures.js';

function findChromium(): string | undefined {
  if (process.env.CHROMIUM !== undefined && process.env.CHROMIUM !== '') return process.env.CHROMIUM;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    for (const d of (process.env.PATH ?? '').split(delimiter)) if (d !== '' && existsSync(join(d, name))) return join(d, name);
  }
  return undefined;
}

const CHROMIUM = findChromium();
const SKIP = CHROMIUM === undefined ? ' (SKIPPED: no chromium on PATH; apt-get install chromium, or set CHROMIUM=/path/to/chrome)' : '';

/**
 * Runs in the page once fonts are ready. Per chart (figure[data-chart] > svg): every <text>
 * inside its SVG's box (not clipped), no two texts overlapping, no value or label text over a
 * bar or a whisker, the SVG within the page's width. Writes {charts, texts, problems} as
 * JSON into <pre id="layout-result">.
 */
const CHECK = `<script>
document.fonts.ready.then(() => {
  const problems = [];
  const r = (e) => e.getBoundingClientRect();
  const hit = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  const inside = (a, o) => a.left >= o.left - 0.5 && a.right <= o.right + 0.5 && a.top >= o.top - 0.5 && a.bottom <= o.bottom + 0.5;
  const name = (e) => (e.getAttribute('class') || e.tagName) + ' "' + e.textContent + '"';
  const figures = [...document.querySelectorAll('figure[data-chart]')];
  let texts = 0;
  for (const fig of figures) {
    const id = fig.getAttribute('data-chart');
    const svg = fig.querySelector('svg');
    const box = r(svg);
    const all = [...svg.querySelectorAll('text')];
    texts += all.length;
    for (const t of all) if (!inside(r(t), box)) problems.push(id + ': ' + name(t) + ' is clipped by its SVG');
    for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) if (hit(r(all[i]), r(all[j]))) problems.push(id + ': ' + name(all[i]) + ' overlaps ' + name(all[j]));
    const marks = [...svg.querySelectorAll('.bar, .whisker')];
    for (const t of svg.querySelectorAll('text.value, text.label')) for (const m of marks) if (hit(r(t), r(m))) problems.push(id + ': ' + name(t) + ' overlaps a ' + m.getAttribute('class'));
    if (box.right > document.documentElement.clientWidth + 0.5) problems.push(id + ': wider than the page');
  }
  const pre = document.createElement('pre');
  pre.id = 'layout-result';
  pre.textContent = JSON.stringify({ charts: figures.length, texts, problems });
  document.body.appendChild(pre);
});
</script>`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vi-mmrec-report-layout-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Layout {
  readonly charts: number;
  readonly texts: number;
  readonly problems: string[];
}

let pages = 0;
/** Renders `html` (with the check script) in headless Chromium and returns the check's result. */
async function layoutOf(html: string): Promise<Layout> {
  const file = join(dir, `page-${++pages}.html`);
  await writeFile(file, html.replace('</body>', `${CHECK}</body>`));
  const { stdout } = await promisify(execFile)(
    CHROMIUM!,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      `--user-data-dir=${join(dir, `profile-${pages}`)}`,
      '--window-size=1280,1000',
      '--virtual-time-budget=10000',
      '--dump-dom',
      pathToFileURL(file).href,
    ],
    { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
  );
  const m = /<pre id="layout-result">([^<]*)<\/pre>/.exec(stdout);
  if (m === null) throw new Error(`Chromium's DOM has no layout result:\n${stdout.slice(0, 500)}`);
  return JSON.parse(
    m[1]!
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&'),
  ) as Layout;
}

const countCharts = (html: string): number => html.match(/<figure data-chart=/g)?.length ?? 0;

describe.skipIf(CHROMIUM === undefined)(`the report in headless Chromium${SKIP}`, () => {
  it('finds clipped labels and values drawn over whiskers (the check can fail)', async () => {
    const bad = `<!doctype html><html><body><figure data-chart="bad"><svg xmlns="http://www.w3.org/2000/svg" width="300" height="60" font-size="12">
<text class="label" x="60" y="20" text-anchor="end">bpr overlay k=3 λ=0.1 non-real pairs recall@20</text>
<rect class="bar" x="100" y="8" width="80" height="16"/><g class="whisker" stroke="#000"><line x1="150" x2="230" y1="16" y2="16"/><line x1="230" x2="230" y1="11" y2="21"/></g>
<text class="value" x="184" y="20">+13.3 %</text></svg></figure></body></html>`;
    const layout = await layoutOf(bad);
    expect(layout.charts).toBe(1);
    expect(layout.problems.some((p) => p.includes('is clipped by its SVG'))).toBe(true);
    expect(layout.problems.some((p) => p.includes('value "+13.3 %" overlaps a whisker'))).toBe(true);
  }, 120_000);

  it('draws every chart of a merged report without clipping or overlaps', async () => {
    const results: EvalJson[] = [
      fixtureResult({ model: 'lightgcn', seeds: 3 }),
      fixtureResult({
        model: 'bpr',
        dataset: 'amazon-toys-2023',
        seeds: 1,
        maxEpochs: 1,
        unconverged: ['baseline'],
        variants: GRID.slice(0, 2),
        seed: 3,
      }),
      // Wide intervals on both sides of zero, small and large gains.
      fixtureResult({ model: 'vbpr', seeds: 5, noise: 1.5, gains: [2.5, -0.9, 0, 0.01, -0.02, 0.3], seed: 11 }),
      fixtureResult({ model: 'freedom', auto: { accepted: true }, variants: [GRID[3]!], seeds: 2 }),
    ];
    const html = renderReport(results, {
      command: 'vi-mmrec report a.json b.json c.json d.json --out r.html',
      sources: ['a.json', 'b.json', 'c.json', 'd.json'],
    });
    const layout = await layoutOf(html);
    expect(layout.problems).toEqual([]);
    expect(layout.charts).toBe(countCharts(html));
    expect(layout.charts).toBeGreaterThanOrEqual(10);
    expect(layout.texts).toBeGreaterThan(100);
  }, 120_000);

  it('draws a real eval result without clipping or overlaps', async () => {
    const real = JSON.parse(await readFile(new URL('./fixtures/eval-demo-bpr.json', import.meta.url), 'utf8')) as EvalJson;
    const html = renderReport([real]);
    const layout = await layoutOf(html);
    expect(layout.problems).toEqual([]);
    expect(layout.charts).toBe(countCharts(html));
    expect(layout.charts).toBeGreaterThanOrEqual(3);
  }, 120_000);
});
