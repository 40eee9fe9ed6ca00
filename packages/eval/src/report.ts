import type { EvalJson } from './command.js';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;

/** A horizontal bar chart of signed values (relative gains), as inline SVG. */
function gainBars(title: string, rows: Array<{ label: string; value: number; err?: number }>): string {
  const w = 640;
  const rowH = 22;
  const left = 220;
  const h = 40 + rows.length * rowH;
  const maxAbs = Math.max(0.05, ...rows.map((r) => Math.abs(r.value) + (r.err ?? 0)));
  const mid = left + (w - left - 60) / 2;
  const scale = (w - left - 60) / 2 / maxAbs;
  const bars = rows
    .map((r, i) => {
      const y = 30 + i * rowH;
      const x0 = r.value >= 0 ? mid : mid + r.value * scale;
      const bw = Math.abs(r.value) * scale;
      const colour = r.value >= 0 ? '#2b8a3e' : '#c92a2a';
      const err = r.err === undefined ? '' : `<line x1="${mid + (r.value - r.err) * scale}" x2="${mid + (r.value + r.err) * scale}" y1="${y + 8}" y2="${y + 8}" stroke="#333"/>`;
      return `<text x="${left - 6}" y="${y + 12}" text-anchor="end" font-size="12">${esc(r.label)}</text><rect x="${x0}" y="${y}" width="${bw}" height="16" fill="${colour}"/>${err}<text x="${r.value >= 0 ? x0 + bw + 4 : x0 - 4}" y="${y + 12}" font-size="11" text-anchor="${r.value >= 0 ? 'start' : 'end'}">${pct(r.value)}</text>`;
    })
    .join('');
  return `<figure><svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" role="img" aria-label="${esc(title)}"><text x="10" y="18" font-size="14" font-weight="bold">${esc(title)}</text><line x1="${mid}" x2="${mid}" y1="26" y2="${h - 6}" stroke="#888"/>${bars}</svg></figure>`;
}

/** A line chart of y against x (one series), as inline SVG. */
function lineChart(title: string, xLabel: string, points: Array<{ x: number; y: number }>, baseline?: number): string {
  const w = 640;
  const h = 260;
  const pad = 50;
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y).concat(baseline === undefined ? [] : [baseline]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys) * 0.95, Math.max(...ys) * 1.05];
  const px = (x: number): number => pad + ((x - x0) / (x1 - x0 || 1)) * (w - 2 * pad);
  const py = (y: number): number => h - pad - ((y - y0) / (y1 - y0 || 1)) * (h - 2 * pad);
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ');
  const dots = points.map((p) => `<circle cx="${px(p.x)}" cy="${py(p.y)}" r="3" fill="#1c7ed6"/><text x="${px(p.x)}" y="${h - pad + 16}" font-size="11" text-anchor="middle">${p.x}</text><text x="${px(p.x)}" y="${py(p.y) - 8}" font-size="10" text-anchor="middle">${p.y.toFixed(4)}</text>`).join('');
  const base = baseline === undefined ? '' : `<line x1="${pad}" x2="${w - pad}" y1="${py(baseline)}" y2="${py(baseline)}" stroke="#868e96" stroke-dasharray="4 3"/><text x="${w - pad}" y="${py(baseline) - 4}" font-size="10" text-anchor="end">baseline ${baseline.toFixed(4)}</text>`;
  return `<figure><svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" role="img" aria-label="${esc(title)}"><text x="10" y="18" font-size="14" font-weight="bold">${esc(title)}</text>${base}<path d="${path}" fill="none" stroke="#1c7ed6" stroke-width="2"/>${dots}<text x="${w / 2}" y="${h - 10}" font-size="12" text-anchor="middle">${esc(xLabel)}</text></svg></figure>`;
}

/**
 * Renders one or more `eval` results (e.g. one per model) as a self-contained HTML page with
 * inline SVG: relative gain per model and metric; sensitivity to k and λ when several values
 * were run; gain by user-activity group (users split into quartiles of training interactions).
 */
export function renderReport(results: readonly EvalJson[]): string {
  const parts: string[] = [];
  const gainRows: Array<{ label: string; value: number; err?: number }> = [];
  for (const r of results) {
    for (const v of r.variants) {
      for (const [metric, aug] of Object.entries(v.summary)) {
        const base = r.summary.baseline[metric];
        if (base === undefined || base.mean === 0) continue;
        gainRows.push({ label: `${r.settings.model} ${v.label} ${metric}`, value: aug.mean / base.mean - 1, err: aug.std / base.mean });
      }
    }
  }
  parts.push(gainBars('Relative test gain over the baseline (mean over seeds; whisker: one std)', gainRows));
  for (const r of results) {
    const base = r.summary.baseline['recall@20']?.mean;
    const byK = new Map<string, Array<{ x: number; y: number }>>();
    const byL = new Map<string, Array<{ x: number; y: number }>>();
    for (const v of r.variants) {
      if (v.settings === null) continue;
      const y = v.summary['recall@20']?.mean ?? NaN;
      const kKey = `${v.settings.strategy} λ=${v.settings.lambda}`;
      const lKey = `${v.settings.strategy} k=${v.settings.k}`;
      byK.set(kKey, [...(byK.get(kKey) ?? []), { x: v.settings.k, y }]);
      byL.set(lKey, [...(byL.get(lKey) ?? []), { x: v.settings.lambda, y }]);
    }
    for (const [key, pts] of byK) if (pts.length > 1) parts.push(lineChart(`${r.settings.model}: test Recall@20 vs k (${key})`, 'k', pts.sort((a, b) => a.x - b.x), base));
    for (const [key, pts] of byL) if (pts.length > 1) parts.push(lineChart(`${r.settings.model}: test Recall@20 vs λ (${key})`, 'λ', pts.sort((a, b) => a.x - b.x), base));
    if (r.activityGroups.length > 0) {
      parts.push(
        gainBars(
          `${r.settings.model}: relative test Recall@20 gain by user activity (training interactions)`,
          r.activityGroups.map((g) => ({ label: `${g.label} (${g.users} users)`, value: g.baseline > 0 ? g.augmented / g.baseline - 1 : 0 })),
        ),
      );
    }
  }
  const rows = results
    .flatMap((r) =>
      r.variants.map((v) => {
        const b = r.summary.baseline['recall@20'];
        const a = v.summary['recall@20'];
        return `<tr><td>${esc(r.settings.dataset)}</td><td>${esc(r.settings.model)}</td><td>${esc(v.label)}</td><td>${b === undefined ? '' : `${b.mean.toFixed(4)} ± ${b.std.toFixed(4)}`}</td><td>${a === undefined ? '' : `${a.mean.toFixed(4)} ± ${a.std.toFixed(4)}`}</td></tr>`;
      }),
    )
    .join('');
  const choice = results
    .filter((r) => r.choice !== undefined)
    .map((r) => `<p><b>${esc(r.settings.model)}</b>: ${esc(r.choice!.reason)}</p>`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>vi-mmrec eval report</title><style>body{font-family:system-ui,sans-serif;margin:2em;max-width:900px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}figure{margin:1em 0}</style></head><body><h1>vi-mmrec eval report</h1>${choice}<table><tr><th>dataset</th><th>model</th><th>variant</th><th>baseline Recall@20</th><th>augmented Recall@20</th></tr>${rows}</table>${parts.join('')}<p>Test metrics at the best validation epoch (early stopping on validation Recall@20); real training items masked; mean ± std over seeds.</p></body></html>\n`;
}
