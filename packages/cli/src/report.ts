import type { AutoChoice, AutoOutcome } from './auto-augment.js';
import { describeSettings } from './auto-augment.js';
import type { AugmentOutcome } from './run-augment.js';

const int = (n: number): string => n.toLocaleString('en-US');
const num = (x: number): string =>
  x === 0
    ? '0'
    : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e6
      ? x
          .toPrecision(4)
          .replace(/(\.\d*?)0+$/, '$1')
          .replace(/\.$/, '')
      : x.toExponential(3);
const secs = (s: number): string => `${s < 10 ? s.toFixed(2) : s.toFixed(1)} s`;

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (c === 0 || c === 1 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('   ')
      .trimEnd(),
  );
}

const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} %`;

function modalityList(d: AugmentOutcome['dataset']): string {
  return d.modalities
    .map((x) => (x.kind === 'dense' ? `${x.name} (dense, ${x.dim}-d)` : `${x.name} (neighbour lists, ${int(x.items.length)} entries)`))
    .join(', ');
}

function datasetLine(d: AugmentOutcome['dataset']): string {
  return `dataset      ${d.name}: ${int(d.numUsers)} users, ${int(d.numItems)} items, ${int(d.interactions.users.length)} interactions (${int(d.train.users.length)} train)`;
}

const PROXY_NAMES: Record<string, string> = { bpr: 'BPR-MF', lightgcn: 'LightGCN', vbpr: 'VBPR', freedom: 'FREEDOM' };

/** The lines of `--strategy auto`'s choice: what, why, the loader option, the candidates. */
function autoLines(c: AutoChoice): { head: string[]; candidates: string[] } {
  const s = c.settings;
  const head = [
    `auto         ${s === null ? 'no augmentation' : `${s.strategy}, k ${s.k}, lambda ${s.lambda}`}, chosen on the validation split (${PROXY_NAMES[c.proxy.model] ?? c.proxy.model} proxy at its best epoch${c.proxy.patience === undefined ? '' : `, patience ${c.proxy.patience}`}, ≤ ${c.proxy.epochs} epochs, seed ${c.proxy.seed}, min gain ${pct(c.proxy.minGain)})`,
    `reason       ${c.reason}`,
  ];
  if (s !== null) {
    head.push(
      `loader       use negatives: '${s.negatives}' (inject: '${s.inject}') in @vi-mmrec/integration-loader's withVirtualInteractions`,
    );
    // The proxy is not the user's model: on Amazon Baby BPR-MF's pick hurt VBPR (docs/results.md).
    head.push(`confirm      check the pick with your own model's validation metrics before adopting it (vi-mmrec eval --model M does)`);
  }
  const candidates = table([
    ['rank', 'settings', 'valid R@20', 'gain'],
    ...c.candidates.map((x, i) => [
      String(i + 1),
      describeSettings(x.settings),
      x.validRecall20.toFixed(4),
      x.settings === null ? '-' : pct(x.relativeGain),
    ]),
  ]).map((l) => `  ${l}`);
  return { head, candidates };
}

/** The report of `augment --strategy auto` (stdout). */
export function formatAutoReport(a: AutoOutcome): string {
  const { head, candidates } = autoLines(a.choice);
  if (a.augmented) return formatReport(a.outcome, { head, candidates });
  const lines: string[] = [
    datasetLine(a.dataset),
    `modalities   ${modalityList(a.dataset)}`,
    ...head,
    '',
    ...candidates,
    '',
    `time         backend ${secs(a.seconds.backend)}, read ${secs(a.seconds.read)}, choose ${secs(a.seconds.choose ?? 0)}; total ${secs(a.seconds.total)}`,
    `output       none: no augmentation was chosen, so ${a.out} was not written; train on the original interactions`,
  ];
  if (a.files.summary !== undefined) lines.push(`summary      ${a.files.summary}`);
  return `${lines.join('\n')}\n`;
}

/** The human-readable report of a run (stdout of `augment` and `demo`). */
export function formatReport(o: AugmentOutcome, auto?: { head: string[]; candidates: string[] }): string {
  const { dataset: d, result } = o;
  const s = result.summary;
  const { realMin: rMin, virtualMin: vMin, virtualMax: vMax } = result.weights;
  const lines: string[] = [
    datasetLine(d),
    `modalities   ${modalityList(d)}`,
    ...(auto?.head ?? []),
    `options      strategy ${s.options.strategy}, k ${s.options.k}, lambda ${s.options.lambda}, O_avg ${s.options.oAvg} = ${num(s.oAvg)}`,
    `backend      ${s.options.backend}`,
    '',
    ...table([
      ['group', 'modalities', 'overlap O^g', 'weight w^g', 'virtual pairs', 'not real'],
      ...s.groups.map((g) => [g.name, g.modalities.join('+'), num(g.overlap), num(g.weight), int(g.virtualPairs), int(g.virtualNotReal)]),
    ]).map((l) => `  ${l}`),
    '',
    `entries      ${int(s.counts.total)} = ${int(s.counts.real)} real + ${int(s.counts.virtualOnly)} virtual-only`,
    `weights      real ≥ ${Number.isFinite(rMin) ? num(rMin) : '-'}; virtual-only ${Number.isFinite(vMin) ? `${num(vMin)} … ${num(vMax)}` : '-'}`,
    `time         read ${secs(o.seconds.read)}, backend ${secs(o.seconds.backend)}, ${o.seconds.choose === undefined ? '' : `choose ${secs(o.seconds.choose)}, `}similarity ${secs(o.seconds.similarity)}, R̄ ${secs(o.seconds.virtual)}, write ${secs(o.seconds.write)}; total ${secs(o.seconds.total)}`,
    `output       ${o.files.matrix}`,
  ];
  if (o.files.summary !== undefined) lines.push(`summary      ${o.files.summary}`);
  if (auto !== undefined) lines.push('', ...auto.candidates);
  return `${lines.join('\n')}\n`;
}
