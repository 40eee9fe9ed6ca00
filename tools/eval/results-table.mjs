// Turns the JSON files of `vi-mmrec eval --json` into the Markdown rows of docs/results.md.
// Usage: node tools/eval/results-table.mjs FILE.json… (a FILE.partial checkpoint is accepted:
// its variants are summarised from the runs finished so far and marked "partial").
import { readFileSync } from 'node:fs';
import path from 'node:path';

const METRICS = ['recall@20', 'ndcg@20', 'recall@10', 'ndcg@10'];
const MODEL = { bpr: 'BPR-MF', lightgcn: 'LightGCN', vbpr: 'VBPR', freedom: 'FREEDOM' };

function meanStd(xs) {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const s = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
  return { m, s };
}
const fmt = ({ m, s }) => `${m.toFixed(4)} ± ${s.toFixed(4)}`;
const range = (xs) => (Math.min(...xs) === Math.max(...xs) ? String(xs[0]) : `${Math.min(...xs)}–${Math.max(...xs)}`);

if (process.argv.length < 3) {
  console.error('usage: node tools/eval/results-table.mjs FILE.json…');
  process.exit(2);
}
// "valid gain" is the mean validation Recall@20 gain: what the default's second stage
// (confirmChoice) compares with minGain; the test columns are never used to choose.
console.log(
  '| dataset | model | variant | seeds | Recall@20 | NDCG@20 | Recall@10 | NDCG@10 | gain R@20 | Δ in baseline stds | valid gain R@20 | epochs (best) | s/epoch | × s/epoch | × pairs |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const file of process.argv.slice(2)) {
  const j = JSON.parse(readFileSync(file, 'utf8'));
  const partial = j.complete === false;
  const name = path.basename(file).replace(/\.json(\.partial)?$/, '');
  const [dataset, model] = j.settings ? [j.settings.dataset, j.settings.model] : name.split('-');
  const byVariant = new Map();
  for (const r of j.runs) {
    if (!byVariant.has(r.variant)) byVariant.set(r.variant, []);
    byVariant.get(r.variant).push(r);
  }
  const base = byVariant.get('baseline');
  if (base === undefined) continue;
  const b20 = meanStd(base.map((r) => r.test['recall@20']));
  const bValid = meanStd(base.map((r) => r.valid['recall@20'])).m;
  const bSec = meanStd(base.map((r) => r.secondsPerEpoch)).m;
  const bPairs = meanStd(base.map((r) => r.pairsPerEpoch)).m;
  for (const [variant, runs] of byVariant) {
    const cells = METRICS.map((m) => fmt(meanStd(runs.map((r) => r.test[m]))));
    const a20 = meanStd(runs.map((r) => r.test['recall@20']));
    const isBase = variant === 'baseline';
    const gain = isBase ? '' : `${a20.m >= b20.m ? '+' : ''}${((a20.m / b20.m - 1) * 100).toFixed(1)} %`;
    const sd = isBase || b20.s === 0 ? '' : ((a20.m - b20.m) / b20.s).toFixed(1);
    const vGain = meanStd(runs.map((r) => r.valid['recall@20'])).m / bValid - 1;
    const valid = isBase ? '' : `${vGain >= 0 ? '+' : ''}${(vGain * 100).toFixed(1)} %`;
    const sec = meanStd(runs.map((r) => r.secondsPerEpoch)).m;
    const pairs = meanStd(runs.map((r) => r.pairsPerEpoch)).m;
    console.log(
      `| ${dataset} | ${MODEL[model] ?? model} | ${variant}${partial ? ' (partial)' : ''} | ${runs.map((r) => r.seed).join(',')} | ${cells.join(' | ')} | ${gain} | ${sd} | ${valid} | ${range(runs.map((r) => r.epochs))} (${range(runs.map((r) => r.bestEpoch))}) | ${sec.toFixed(1)} | ${isBase ? '' : `×${(sec / bSec).toFixed(2)}`} | ${isBase ? '' : `×${(pairs / bPairs).toFixed(2)}`} |`,
    );
  }
}
