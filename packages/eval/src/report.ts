import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { EvalJson } from './command.js';
import { pairedTTest } from './stats.js';

/** How an `eval` result was made: the `meta` of {@link EvalJson}. */
export interface EvalMeta {
  /** Versions of the packages that trained and augmented (`@vi-mmrec/eval`, `@vi-mmrec/core`). */
  readonly versions: Readonly<Record<string, string>>;
  /** When the result was written (ISO 8601, UTC). */
  readonly date: string;
  /** The command line, shell-quoted (`vi-mmrec eval …`). */
  readonly command: string;
  /** Node.js version. */
  readonly node: string;
  /** The augmentation backend used. */
  readonly backend?: string;
}

function readVersion(url: URL | string): string {
  try {
    const pkg = JSON.parse(readFileSync(url, 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Quotes one argument for a POSIX shell when it needs it. */
const shellQuote = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

/** The command line `vi-mmrec <command> <argv…>`, shell-quoted. */
export function commandLine(command: string, argv: readonly string[]): string {
  return ['vi-mmrec', command, ...argv].map(shellQuote).join(' ');
}

/** The {@link EvalMeta} of a run of `vi-mmrec eval` with `argv`, now. */
export function runMeta(argv: readonly string[], extra: { readonly backend?: string } = {}, now: Date = new Date()): EvalMeta {
  let core = 'unknown';
  try {
    core = readVersion(createRequire(import.meta.url).resolve('@vi-mmrec/core/package.json'));
  } catch {
    // Not resolvable (unusual layout): recorded as unknown.
  }
  return {
    versions: { '@vi-mmrec/eval': readVersion(new URL('../package.json', import.meta.url)), '@vi-mmrec/core': core },
    date: now.toISOString(),
    command: commandLine('eval', argv),
    node: process.version,
    ...(extra.backend === undefined ? {} : { backend: extra.backend }),
  };
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const pct = (x: number): string => (Number.isFinite(x) ? `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)} %` : x > 0 ? '+∞ %' : 'n/a');
const num = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : '–');
const pValue = (p: number): string => (p < 1e-4 ? p.toExponential(1) : p.toFixed(4));

// ---------------------------------------------------------------------------------------------
// Text layout without a browser: a conservative width estimate, so labels are sized and wrapped
// before the page is rendered (the Chromium test checks the result with real fonts).

const FONT = `'Liberation Sans', Arial, Helvetica, 'DejaVu Sans', sans-serif`;
const NARROW = new Set([...`iljtfI.,:;'|!()[] `]);
const WIDE = new Set([...'mwMW@%']);

/** Estimated width in px of `s` at `size` px: generous (sans-serif metrics, +8 %). */
export function textWidth(s: string, size: number): number {
  let em = 0;
  for (const ch of s) {
    if (NARROW.has(ch)) em += 0.28;
    else if (WIDE.has(ch)) em += 0.86;
    else if (/[A-Z]/.test(ch)) em += 0.68;
    else em += 0.56;
  }
  return Math.ceil(em * size * 1.08);
}

/** Splits `s` at spaces into lines of at most `maxWidth` px (a longer word gets its own line). */
export function wrapText(s: string, size: number, maxWidth: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of s.split(' ')) {
    const next = line === '' ? word : `${line} ${word}`;
    if (line !== '' && textWidth(next, size) > maxWidth) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line !== '') lines.push(line);
  return lines.length === 0 ? [''] : lines;
}

// ---------------------------------------------------------------------------------------------
// Charts (inline SVG; captions are HTML so they wrap).

/** One bar: a relative gain and, when there are two or more seeds, its 95 % interval. */
interface Bar {
  readonly label: string;
  readonly value: number;
  readonly lo?: number;
  readonly hi?: number;
  /** Appended to the value, e.g. "n=1". */
  readonly note?: string;
  /** Drawn hatched (e.g. runs that did not converge). */
  readonly warn?: boolean;
}

const FS = 12;
const LINE = 15;

function gainBars(id: string, caption: string, rows: readonly Bar[]): string {
  if (rows.length === 0) return '';
  const maxLabel = 380;
  const labels = rows.map((r) => wrapText(r.label, FS, maxLabel));
  const labelW = Math.min(maxLabel, Math.max(...labels.flat().map((l) => textWidth(l, FS)))) + 10;
  const valueText = (r: Bar): string => `${pct(r.value)}${r.note === undefined ? '' : ` (${r.note})`}${r.warn === true ? ' ⚠' : ''}`;
  const valueW = Math.max(...rows.map((r) => textWidth(valueText(r), FS - 1))) + 8;
  const plotW = 360;
  const finite = (x: number | undefined): x is number => x !== undefined && Number.isFinite(x);
  const ext = rows.flatMap((r) => [r.value, r.lo, r.hi].filter(finite));
  let lo = Math.min(0, ...ext);
  let hi = Math.max(0, ...ext);
  if (hi - lo < 0.02) [lo, hi] = [Math.min(lo, -0.01), Math.max(hi, 0.01)];
  const x0 = labelW + valueW;
  const sx = (v: number): number => x0 + ((Math.max(lo, Math.min(hi, v)) - lo) / (hi - lo)) * plotW;
  const width = x0 + plotW + valueW + 4;
  let y = 8;
  const body: string[] = [];
  rows.forEach((r, i) => {
    const lines = labels[i]!;
    const rowH = Math.max(22, lines.length * LINE + 7);
    const mid = y + rowH / 2;
    const textTop = mid - ((lines.length - 1) * LINE) / 2 + 4;
    body.push(
      `<text class="label" x="${labelW - 8}" y="${textTop}" text-anchor="end" font-size="${FS}">${lines.map((l, j) => `<tspan x="${labelW - 8}" dy="${j === 0 ? 0 : LINE}">${esc(l)}</tspan>`).join('')}</text>`,
    );
    const v = Number.isFinite(r.value) ? r.value : hi;
    const a = sx(Math.min(0, v));
    const b = sx(Math.max(0, v));
    const colour = v >= 0 ? '#2b8a3e' : '#c92a2a';
    body.push(
      `<rect class="bar" x="${a.toFixed(1)}" y="${(mid - 7).toFixed(1)}" width="${Math.max(1, b - a).toFixed(1)}" height="14" fill="${colour}"${r.warn === true ? ' fill-opacity="0.45" stroke="#e67700" stroke-dasharray="3 2"' : ''}/>`,
    );
    let right = b;
    let left = a;
    if (finite(r.lo) && finite(r.hi)) {
      const wl = sx(r.lo);
      const wh = sx(r.hi);
      body.push(
        `<g class="whisker" stroke="#212529"><line x1="${wl.toFixed(1)}" x2="${wh.toFixed(1)}" y1="${mid}" y2="${mid}"/><line x1="${wl.toFixed(1)}" x2="${wl.toFixed(1)}" y1="${mid - 5}" y2="${mid + 5}"/><line x1="${wh.toFixed(1)}" x2="${wh.toFixed(1)}" y1="${mid - 5}" y2="${mid + 5}"/></g>`,
      );
      right = Math.max(right, wh);
      left = Math.min(left, wl);
    }
    // The value sits beyond both the bar and the whisker, on the side the bar points to.
    const pos = v >= 0;
    body.push(
      `<text class="value" x="${(pos ? right + 5 : left - 5).toFixed(1)}" y="${mid + 4}" font-size="${FS - 1}" text-anchor="${pos ? 'start' : 'end'}">${esc(valueText(r))}</text>`,
    );
    y += rowH;
  });
  const zero = sx(0);
  const axis = `<line x1="${zero.toFixed(1)}" x2="${zero.toFixed(1)}" y1="4" y2="${y + 2}" stroke="#868e96"/><text class="tick" x="${zero.toFixed(1)}" y="${y + 16}" font-size="${FS - 1}" text-anchor="middle">0</text>`;
  const height = y + 24;
  return `<figure data-chart="${esc(id)}"><figcaption>${caption}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="${esc(FONT)}" role="img" aria-label="${esc(caption.replace(/<[^>]*>/g, ''))}">${axis}${body.join('')}</svg></figure>`;
}

/** A line chart of test Recall@20 against k or λ (one variant family), the baseline dashed. */
function lineChart(
  id: string,
  caption: string,
  xLabel: string,
  points: ReadonlyArray<{ x: number; y: number }>,
  baseline?: number,
): string {
  const w = 560;
  const h = 240;
  const left = 60;
  const right = 40;
  const top = 28;
  const bottom = 44;
  const ys = points.map((p) => p.y).concat(baseline === undefined ? [] : [baseline]);
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const pad = (y1 - y0 || Math.abs(y1) || 1) * 0.1;
  [y0, y1] = [y0 - pad, y1 + pad];
  // Grid values as evenly spaced categories: close values (λ 0.01, 0.05) keep their labels apart.
  const px = (i: number): number => left + (points.length === 1 ? 0.5 : i / (points.length - 1)) * (w - left - right);
  const py = (y: number): number => top + (1 - (y - y0) / (y1 - y0)) * (h - top - bottom);
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${px(i).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ');
  const dots = points
    .map(
      (p, i) =>
        `<circle cx="${px(i).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3" fill="#1c7ed6"/><text class="tick" x="${px(i).toFixed(1)}" y="${h - bottom + 16}" font-size="11" text-anchor="middle">${p.x}</text><text class="value" x="${px(i).toFixed(1)}" y="${(py(p.y) - 8).toFixed(1)}" font-size="10" text-anchor="middle">${num(p.y)}</text>`,
    )
    .join('');
  const base =
    baseline === undefined
      ? ''
      : `<line x1="${left}" x2="${w - right}" y1="${py(baseline).toFixed(1)}" y2="${py(baseline).toFixed(1)}" stroke="#868e96" stroke-dasharray="4 3"/>`;
  const axes = `<line x1="${left}" x2="${w - right}" y1="${h - bottom}" y2="${h - bottom}" stroke="#adb5bd"/><text class="label" x="${w / 2}" y="${h - 10}" font-size="12" text-anchor="middle">${esc(xLabel)}</text>`;
  const legend = baseline === undefined ? '' : ` Dashed: baseline ${num(baseline)}.`;
  return `<figure data-chart="${esc(id)}"><figcaption>${caption}${legend}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="${esc(FONT)}" role="img" aria-label="${esc(caption.replace(/<[^>]*>/g, ''))}">${axes}${base}<path d="${path}" fill="none" stroke="#1c7ed6" stroke-width="2"/>${dots}</svg></figure>`;
}

// ---------------------------------------------------------------------------------------------
// Runs, convergence and the paired test.

type Run = EvalJson['runs'][number];

/** A run's convergence: its best epoch is its last possible one, or it ran to the cap. */
export type RunStatus = 'converged' | 'not converged' | 'stopped at cap';

/**
 * `not converged` when the best validation epoch is the epoch cap (still improving when
 * stopped); `stopped at cap` when it ran to the cap before `patience` epochs without
 * improvement (when `patience` is given; otherwise whenever it ran to the cap); else
 * `converged` (early stopping ended it).
 */
export function runStatus(run: Pick<Run, 'bestEpoch' | 'epochs'>, maxEpochs: number, patience?: number): RunStatus {
  if (run.bestEpoch >= maxEpochs) return 'not converged';
  if (run.epochs >= maxEpochs && (patience === undefined || run.epochs - run.bestEpoch < patience)) return 'stopped at cap';
  return 'converged';
}

const MODEL_NAMES: Record<string, string> = { bpr: 'BPR-MF', lightgcn: 'LightGCN', vbpr: 'VBPR', freedom: 'FREEDOM' };
const modelName = (m: string): string => MODEL_NAMES[m] ?? m;

/** The per-seed test values of a metric for the baseline and a variant, paired by seed. */
function paired(r: EvalJson, variant: string, metric: string): { seeds: number[]; base: number[]; aug: number[] } {
  const byVariant = (v: string): Map<number, number> =>
    new Map(r.runs.filter((x) => x.variant === v && typeof x.test[metric] === 'number').map((x) => [x.seed, x.test[metric]!]));
  const b = byVariant('baseline');
  const a = byVariant(variant);
  const seeds = [...a.keys()].filter((s) => b.has(s)).sort((x, y) => x - y);
  return { seeds, base: seeds.map((s) => b.get(s)!), aug: seeds.map((s) => a.get(s)!) };
}

interface Comparison {
  readonly variant: string;
  readonly metric: string;
  readonly n: number;
  readonly base: { mean: number; std: number };
  readonly aug: { mean: number; std: number };
  readonly gain: number;
  /** 95 % interval of the relative gain (paired difference over the baseline mean). */
  readonly gainLo?: number;
  readonly gainHi?: number;
  readonly test: ReturnType<typeof pairedTTest>;
}

const meanSd = (xs: readonly number[]): { mean: number; std: number } => {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  return { mean, std: xs.length < 2 ? NaN : Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1)) };
};

function compare(r: EvalJson, variant: string, metric: string): Comparison | undefined {
  const p = paired(r, variant, metric);
  if (p.seeds.length === 0) return undefined;
  const base = meanSd(p.base);
  const aug = meanSd(p.aug);
  const test = pairedTTest(p.aug, p.base);
  const gain = base.mean > 0 ? aug.mean / base.mean - 1 : NaN;
  const ci =
    test !== null && base.mean > 0 && Number.isFinite(test.ci95[0])
      ? { gainLo: test.ci95[0] / base.mean, gainHi: test.ci95[1] / base.mean }
      : {};
  return { variant, metric, n: p.seeds.length, base, aug, gain, test, ...ci };
}

const stat = (s: { mean: number; std: number }, n: number): string => (n < 2 ? `${num(s.mean)} (n=1)` : `${num(s.mean)} ± ${num(s.std)}`);

function testCell(c: Comparison): string {
  if (c.test === null) return 'n=1: no test';
  const t = c.test;
  const tText = Number.isFinite(t.t) ? t.t.toFixed(2) : t.t > 0 ? '+∞' : '−∞';
  return `t = ${tText}, df = ${t.df}, p = ${pValue(t.p)}${t.p < 0.05 ? ' *' : ''}`;
}

/** The variant the activity-group chart of a result shows, or null when it shows none. */
function activityVariant(r: EvalJson): string | null {
  if (r.choice?.confirmation !== undefined && !r.choice.confirmation.accepted) return null;
  const first = r.variants[0];
  return first === undefined || first.settings === null ? null : first.label;
}

// ---------------------------------------------------------------------------------------------

/** What {@link renderReport} adds about the report itself. */
export interface ReportOptions {
  /** The command that made the report (e.g. `vi-mmrec report a.json b.json --out r.html`). */
  readonly command?: string;
  /** The files the results were read from, in order (named in each section). */
  readonly sources?: readonly string[];
  /** When the report was made; default now. */
  readonly date?: Date;
}

const STYLE = `body{font-family:system-ui,'Liberation Sans',Arial,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#212529}
table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #ced4da;padding:3px 8px;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}figure{margin:1.2em 0}figcaption{font-weight:600;margin-bottom:.3em;max-width:900px}
.warn{background:#fff4e6;border-left:4px solid #e67700;padding:.5em 1em;margin:.8em 0}.warn b{color:#d9480f}
code{background:#f1f3f5;padding:1px 4px;word-break:break-all}dl.settings{display:grid;grid-template-columns:max-content auto;gap:2px 1em}dl.settings dt{font-weight:600}dl.settings dd{margin:0}
section{border-top:2px solid #dee2e6;margin-top:2em}tr.bad td{background:#fff4e6}`;

function settingsList(r: EvalJson, source: string | undefined): string {
  const s = r.settings;
  const items: Array<[string, string]> = [];
  if (source !== undefined) items.push(['file', `<code>${esc(source)}</code>`]);
  items.push(
    ['dataset', esc(s.dataset)],
    ['model', `${esc(modelName(s.model))} (<code>${esc(s.model)}</code>)`],
    ['seeds', String(s.seeds)],
  );
  items.push(
    ['epochs', `at most ${s.maxEpochs}, early stopping on validation Recall@20 with patience ${s.patience}`],
    ['top-K', s.topK.join(', ')],
  );
  items.push(['mode', s.mode === 'auto' ? 'auto (settings chosen on validation data)' : 'manual']);
  items.push(['variants', r.variants.map((v) => esc(v.label)).join('; ') || '–']);
  if (r.choice !== undefined) {
    const p = r.choice.proxy;
    items.push([
      'proxy',
      `${esc(modelName(p.model))}, ≤ ${p.epochs} epochs, patience ${p.patience}, seed ${p.seed}, min gain ${pct(p.minGain)}`,
    ]);
  }
  const m = r.meta;
  if (m === undefined) items.push(['made by', 'not recorded (written by an older vi-mmrec eval)']);
  else {
    items.push([
      'made by',
      `${Object.entries(m.versions)
        .map(([k, v]) => `${esc(k)} ${esc(v)}`)
        .join(', ')}; Node.js ${esc(m.node)}${m.backend === undefined ? '' : `; backend ${esc(m.backend)}`}`,
    ]);
    items.push(['date', esc(m.date)], ['command', `<code>${esc(m.command)}</code>`]);
  }
  return `<dl class="settings">${items.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

function choiceBlock(r: EvalJson, unconverged: readonly Run[]): string {
  const c = r.choice;
  if (c === undefined) return '';
  const conf = c.confirmation;
  if (conf === undefined) return `<p><b>Auto mode:</b> ${esc(c.reason)}</p>`;
  const involved = unconverged.filter((x) => x.variant === 'baseline' || x.variant === r.variants[0]?.label);
  if (involved.length === 0) return `<p><b>Auto mode:</b> ${esc(c.reason)}</p>`;
  // A check on runs that were still improving proves nothing: say so, never "confirmed".
  return `<div class="warn"><b>Auto mode, check inconclusive:</b> the ${esc(modelName(c.proxy.model))} proxy picked ${esc(r.variants[0]?.label ?? 'a setting')}; ${esc(modelName(conf.model))}'s own validation Recall@20 went ${num(conf.baselineValidRecall20)} → ${num(conf.augmentedValidRecall20)} (${pct(conf.relativeGain)}, ${conf.seeds} seed(s)), but ${involved.length} of these runs reached the epoch cap (${r.settings.maxEpochs}) while still improving, so neither the pick nor its rejection can be trusted. Rerun with a larger <code>--max-epochs</code>.</div>`;
}

function resultSection(r: EvalJson, index: number, source: string | undefined): string {
  const name = `${r.settings.dataset} · ${modelName(r.settings.model)}`;
  const statuses = r.runs.map((x) => ({ run: x, status: runStatus(x, r.settings.maxEpochs, r.settings.patience) }));
  const unconverged = statuses.filter((x) => x.status === 'not converged').map((x) => x.run);
  const atCap = statuses.filter((x) => x.status === 'stopped at cap').map((x) => x.run);
  const out: string[] = [`<section id="result-${index + 1}"><h2>${esc(name)}</h2>`, settingsList(r, source)];
  if (unconverged.length > 0) {
    out.push(
      `<div class="warn"><b>Not converged:</b> ${unconverged.length} of ${r.runs.length} runs had their best validation epoch at the epoch cap (${r.settings.maxEpochs}): they were still improving when stopped, so their metrics and the gains below are not final. Rerun with a larger <code>--max-epochs</code>.</div>`,
    );
  }
  if (atCap.length > 0) {
    out.push(
      `<div class="warn"><b>Stopped at the epoch cap:</b> ${atCap.length} of ${r.runs.length} runs reached ${r.settings.maxEpochs} epochs before ${r.settings.patience} epochs without improvement; they may still be short of their best.</div>`,
    );
  }
  if (r.settings.seeds < 2)
    out.push(
      `<div class="warn"><b>One seed (n=1):</b> no spread and no significance test; run <code>--seeds 3</code> or more before drawing conclusions.</div>`,
    );
  out.push(choiceBlock(r, unconverged));

  // Summary with the paired test, one row per variant and metric.
  const bad = new Set(unconverged.map((x) => x.variant));
  const metrics = Object.keys(r.summary.baseline);
  const comparisons = r.variants
    .filter((v) => v.settings !== null)
    .flatMap((v) => metrics.map((m) => compare(r, v.label, m)).filter((c): c is Comparison => c !== undefined));
  if (comparisons.length > 0) {
    const rows = comparisons
      .map((c, i) => {
        const warn = bad.has(c.variant) || bad.has('baseline');
        // One variant cell spans its metrics' rows.
        const first = i === 0 || comparisons[i - 1]!.variant !== c.variant;
        const span = comparisons.filter((x) => x.variant === c.variant).length;
        return `<tr${warn ? ' class="bad"' : ''}>${first ? `<td rowspan="${span}">${esc(c.variant)}</td>` : ''}<td>${esc(c.metric)}</td><td class="num">${stat(c.base, c.n)}</td><td class="num">${stat(c.aug, c.n)}</td><td class="num">${pct(c.gain)}${warn ? ' ⚠ not converged' : ''}</td><td class="num">${testCell(c)}</td><td class="num">${c.test === null ? '–' : `${num(c.test.ci95[0])} … ${num(c.test.ci95[1])}`}</td></tr>`;
      })
      .join('');
    out.push(
      `<h3>Test metrics (best validation epoch), mean ± sd over ${r.settings.seeds} seed(s)</h3><table><tr><th>variant</th><th>metric</th><th>baseline</th><th>augmented</th><th>gain</th><th>paired t-test, augmented vs baseline</th><th>95 % CI of the difference</th></tr>${rows}</table><p>Paired by seed (both variants train with the same seeds): Student's t on the per-seed differences, two-sided; * p &lt; 0.05.</p>`,
    );
    out.push(
      gainBars(
        `gain-${index + 1}`,
        `${esc(name)}: relative test gain over the baseline, per variant and metric (whisker: 95 % CI of the paired difference, n ≥ 2; ⚠ not converged)`,
        comparisons.map((c) => ({
          label: `${c.variant} · ${c.metric}`,
          value: c.gain,
          ...(c.gainLo === undefined ? {} : { lo: c.gainLo, hi: c.gainHi! }),
          ...(c.n < 2 ? { note: 'n=1' } : {}),
          ...(bad.has(c.variant) || bad.has('baseline') ? { warn: true } : {}),
        })),
      ),
    );
  } else if (r.variants.some((v) => v.settings === null)) {
    out.push(`<p>The chosen setting is no augmentation: only the baseline was trained.</p>`);
  }

  // Sensitivity to k and λ (one line per family of the other settings).
  const base = r.summary.baseline['recall@20']?.mean;
  const byK = new Map<string, Array<{ x: number; y: number }>>();
  const byL = new Map<string, Array<{ x: number; y: number }>>();
  for (const v of r.variants) {
    if (v.settings === null) continue;
    const y = v.summary['recall@20']?.mean;
    if (y === undefined) continue;
    const s = v.settings;
    const kKey = `${s.strategy} λ=${s.lambda} ${s.negatives} ${s.inject}`;
    const lKey = `${s.strategy} k=${s.k} ${s.negatives} ${s.inject}`;
    byK.set(kKey, [...(byK.get(kKey) ?? []), { x: s.k, y }]);
    byL.set(lKey, [...(byL.get(lKey) ?? []), { x: s.lambda, y }]);
  }
  let chart = 0;
  for (const [key, pts] of byK) {
    if (pts.length > 1)
      out.push(
        lineChart(
          `k-${index + 1}-${++chart}`,
          `${esc(name)}: test Recall@20 vs k, variant ${esc(key)} (mean over seeds).`,
          'k',
          [...pts].sort((a, b) => a.x - b.x),
          base,
        ),
      );
  }
  for (const [key, pts] of byL) {
    if (pts.length > 1)
      out.push(
        lineChart(
          `lambda-${index + 1}-${++chart}`,
          `${esc(name)}: test Recall@20 vs λ, variant ${esc(key)} (mean over seeds).`,
          'λ',
          [...pts].sort((a, b) => a.x - b.x),
          base,
        ),
      );
  }

  // Gain by user activity, for the variant the JSON's activity groups were computed on.
  const activity = activityVariant(r);
  if (r.activityGroups.length > 0 && activity !== null) {
    out.push(
      gainBars(
        `activity-${index + 1}`,
        `${esc(name)}: relative test Recall@20 gain of <i>${esc(activity)}</i> by user activity (quartiles of training interactions; mean over seeds)`,
        r.activityGroups.map((g) => ({
          label: `${g.label} interactions (${g.users} users)`,
          value: g.baseline > 0 ? g.augmented / g.baseline - 1 : 0,
          ...(bad.has(activity) || bad.has('baseline') ? { warn: true } : {}),
        })),
      ),
    );
  } else if (r.activityGroups.length > 0) {
    out.push(
      `<p>No activity-group chart: the default for this model is no augmentation, so the groups compare the baseline with itself.</p>`,
    );
  }

  // Every run.
  const runMetrics = [...new Set(r.runs.flatMap((x) => Object.keys(x.test)))].sort();
  const runRows = statuses
    .map(
      ({ run, status }) =>
        `<tr${status === 'converged' ? '' : ' class="bad"'}><td>${esc(run.variant)}</td><td class="num">${run.seed}</td>${runMetrics.map((m) => `<td class="num">${num(run.test[m] ?? NaN)}</td>`).join('')}<td class="num">${num(run.valid['recall@20'] ?? NaN)}</td><td class="num">${run.bestEpoch} / ${run.epochs} / ${r.settings.maxEpochs}</td><td>${status === 'converged' ? 'converged' : `⚠ ${status}`}</td></tr>`,
    )
    .join('');
  out.push(
    `<h3>Every run</h3><table><tr><th>variant</th><th>seed</th>${runMetrics.map((m) => `<th>test ${esc(m)}</th>`).join('')}<th>valid recall@20</th><th>best / last epoch / cap</th><th>status</th></tr>${runRows}</table>`,
  );
  out.push('</section>');
  return out.join('');
}

/**
 * Renders one or more `eval` results (e.g. one per model, or `vi-mmrec report`'s files) as a
 * self-contained HTML page with inline SVG. Per result: the settings, versions, date and
 * command line; warnings for runs that did not converge (best epoch at the epoch cap) and for
 * one seed; test metrics per variant with a paired t-test across seeds; relative gains with
 * 95 % intervals; Recall@20 against k and λ when several were run; the gain by user-activity
 * quartile (naming its variant); and every run with its best and last epoch.
 */
export function renderReport(results: readonly EvalJson[], options: ReportOptions = {}): string {
  const date = (options.date ?? new Date()).toISOString();
  const head: string[] = [
    `<p>Report made ${esc(date)}${options.command === undefined ? '' : ` by <code>${esc(options.command)}</code>`}. ${results.length} result(s).</p>`,
  ];
  // Overview across results: test Recall@20 gain of every augmented variant.
  if (results.length > 1) {
    const rows: Bar[] = [];
    for (const r of results) {
      const bad = new Set(r.runs.filter((x) => runStatus(x, r.settings.maxEpochs) === 'not converged').map((x) => x.variant));
      for (const v of r.variants) {
        if (v.settings === null) continue;
        const c = compare(r, v.label, 'recall@20');
        if (c === undefined) continue;
        rows.push({
          label: `${r.settings.dataset} · ${modelName(r.settings.model)} · ${v.label}`,
          value: c.gain,
          ...(c.gainLo === undefined ? {} : { lo: c.gainLo, hi: c.gainHi! }),
          ...(c.n < 2 ? { note: 'n=1' } : {}),
          ...(bad.has(v.label) || bad.has('baseline') ? { warn: true } : {}),
        });
      }
    }
    head.push(
      gainBars(
        'overview',
        'All results: relative test Recall@20 gain over the baseline (whisker: 95 % CI of the paired difference, n ≥ 2; ⚠ not converged)',
        rows,
      ),
    );
  }
  const sections = results.map((r, i) => resultSection(r, i, options.sources?.[i]));
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>vi-mmrec eval report</title><style>${STYLE}</style></head><body><h1>vi-mmrec eval report</h1>${head.join('')}${sections.join('')}<p>Protocol: test metrics at the best validation epoch (early stopping on validation Recall@20); real training items masked. Gains are relative to the baseline's mean.</p></body></html>\n`;
}
