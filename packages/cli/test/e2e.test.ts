// End-to-end: the real bin on the real datasets (tiktok: dense float16 features; baby:
// neighbour lists), checked against independent parsing of the inputs and, on a sub-sample
// of tiktok, against @vi-mmrec/test-utils' float64 brute-force reference.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AugmentResult, AugmentSummary, DenseModality } from '@vi-mmrec/core';
import { compareAugmentResults, referenceAugment, relTolForPrecision } from '@vi-mmrec/test-utils';
import { lines, tempDir } from './helpers.js';
import { dataDir, ensureBuilt, runCli } from './subprocess.js';

const TIKTOK = dataDir('tiktok');
const BABY = dataDir('baby');
const haveData = existsSync(join(TIKTOK, 'tiktok.inter')) && existsSync(join(BABY, 'baby.inter'));
const tmp = tempDir('vi-mmrec-e2e-');
beforeAll(() => ensureBuilt(), 300_000);
afterAll(() => tmp.cleanup());

/** Independent .inter parser: returns rows and the distinct training pairs. */
function parseInter(text: string): { rows: number[][]; train: Map<number, Set<number>>; numUsers: number; numItems: number } {
  const [header, ...body] = lines(text.replace(/\r\n/g, '\n')); // the real files use CRLF
  const cols = header!.split('\t');
  const [cu, ci, cl] = ['userID', 'itemID', 'x_label'].map((c) => cols.indexOf(c));
  const rows = body
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const f = l.split('\t');
      return [Number(f[cu!]), Number(f[ci!]), Number(f[cl!])];
    });
  const train = new Map<number, Set<number>>();
  for (const [u, i, l] of rows) if (l === 0) (train.get(u!) ?? train.set(u!, new Set()).get(u!)!).add(i!);
  const max = (c: number): number => rows.reduce((m, r) => Math.max(m, r[c]!), -1);
  return { rows, train, numUsers: max(0) + 1, numItems: max(1) + 1 };
}

interface Row {
  u: number;
  i: number;
  w: number;
}

/** Parses the enriched TSV strictly. */
function parseEnriched(text: string): Row[] {
  const all = text.split('\n');
  expect(all[0]).toBe('userID\titemID\tweight');
  expect(all.at(-1)).toBe(''); // ends with a newline
  const out: Row[] = [];
  for (let p = 1; p < all.length - 1; p++) {
    const f = all[p]!.split('\t');
    if (f.length !== 3 || !/^\d+$/.test(f[0]!) || !/^\d+$/.test(f[1]!) || !/^\d+(\.\d+)?(e[+-]\d+)?$/.test(f[2]!)) {
      throw new Error(`line ${p + 1} malformed: ${all[p]}`);
    }
    const digits = f[2]!.split('e')[0]!.replace('.', '').replace(/^0+/, '');
    if (digits.length > 9) throw new Error(`line ${p + 1}: more than 9 significant digits`);
    out.push({ u: Number(f[0]), i: Number(f[1]), w: Number(f[2]) });
  }
  return out;
}

/**
 * Checks an enriched TSV and its summary against the .inter file: format, order, real pairs,
 * virtual weights, counts, and each group's statistics recovered from the weights.
 */
function checkConsistency(rows: Row[], summary: AugmentSummary, train: Map<number, Set<number>>, lambda: number): void {
  for (let p = 1; p < rows.length; p++) {
    const a = rows[p - 1]!;
    const b = rows[p]!;
    if (!(b.u > a.u || (b.u === a.u && b.i > a.i))) throw new Error(`rows ${p + 1}, ${p + 2} not sorted by user then item`);
  }
  let numReal = 0;
  for (const s of train.values()) numReal += s.size;
  const groups = summary.groups;
  // All subsets of groups and the virtual weight each would give.
  const subsets = Array.from({ length: 1 << groups.length }, (_, mask) => ({
    mask,
    value: groups.reduce((acc, g, gi) => acc + (mask & (1 << gi) ? lambda * g.weight : 0), 0),
  }));
  const pairs = new Array<number>(groups.length).fill(0);
  const notReal = new Array<number>(groups.length).fill(0);
  let realSeen = 0;
  for (const r of rows) {
    const isReal = train.get(r.u)?.has(r.i) === true;
    if (isReal) {
      realSeen++;
      if (!(r.w >= 1)) throw new Error(`user ${r.u}, item ${r.i}: real pair with weight ${r.w} < 1`);
    } else if (!(r.w > 0 && r.w < 1)) {
      throw new Error(`user ${r.u}, item ${r.i}: purely virtual pair with weight ${r.w} outside (0, 1)`);
    }
    const extra = r.w - (isReal ? 1 : 0);
    let mask = -1;
    for (const s of subsets) {
      if (Math.abs(s.value - extra) > 1e-7 * Math.max(1, r.w)) continue;
      if (mask >= 0) throw new Error(`user ${r.u}, item ${r.i}: weight ${r.w} matches several group combinations`);
      mask = s.mask;
    }
    if (mask < 0) throw new Error(`user ${r.u}, item ${r.i}: weight ${r.w} is not 1[real] + λ Σ w^g over any set of groups`);
    if (!isReal && mask === 0) throw new Error(`user ${r.u}, item ${r.i}: virtual-only row without a group`);
    for (let gi = 0; gi < groups.length; gi++) {
      if (mask & (1 << gi)) {
        pairs[gi]!++;
        if (!isReal) notReal[gi]!++;
      }
    }
  }
  expect(realSeen).toBe(numReal); // every real training pair is present
  expect(summary.counts.real).toBe(numReal);
  expect(summary.counts.total).toBe(rows.length);
  expect(summary.counts.virtualOnly).toBe(rows.length - numReal);
  groups.forEach((g, gi) => {
    expect(g.virtualPairs).toBe(pairs[gi]);
    expect(g.virtualNotReal).toBe(notReal[gi]);
    expect(g.overlap).toBeCloseTo((pairs[gi]! - notReal[gi]!) / pairs[gi]!, 12);
    expect(g.weight).toBeCloseTo(g.overlap / summary.oAvg, 10);
  });
  if (summary.options.oAvg === 'modality-mean') {
    const o = Object.values(summary.modalityOverlaps);
    expect(summary.oAvg).toBeCloseTo(o.reduce((a, b) => a + b, 0) / o.length, 12);
  }
  if (summary.options.strategy === 'overlay') for (const g of groups) expect(summary.modalityOverlaps[g.name]).toBe(g.overlap);
}

describe.skipIf(!haveData)('vi-mmrec augment on real data (subprocess)', () => {
  it('tiktok, overlay, k 10, λ 0.1: format, order, real pairs, weights and summary agree', () => {
    const out = join(tmp.dir, 'tiktok.tsv');
    const summaryFile = join(tmp.dir, 'tiktok.json');
    const r = runCli(['augment', TIKTOK, '--strategy', 'overlay', '--k', '10', '--lambda', '0.1', '--out', out, '--summary', summaryFile]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/vi-mmrec: using backend '[\w-]+' \(priority \d+\)/);
    expect(r.stderr).toMatch(/similarity \([\w-]+\): done in/);
    expect(r.stdout).toContain('tiktok: 9,308 users, 6,710 items, 68,722 interactions (59,541 train)');
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as AugmentSummary & { dataset: { modalities: unknown } };
    expect(summary.options).toMatchObject({ strategy: 'overlay', k: 10, lambda: 0.1, oAvg: 'modality-mean' });
    expect(summary.dataset.modalities).toEqual([
      { name: 'audio', kind: 'dense', dim: 128 },
      { name: 'image', kind: 'dense', dim: 128 },
    ]);
    const inter = parseInter(readFileSync(join(TIKTOK, 'tiktok.inter'), 'utf8'));
    checkConsistency(parseEnriched(readFileSync(out, 'utf8')), summary, inter.train, 0.1);
    expect(summary.counts.users).toBe(9308);
    expect(summary.counts.items).toBe(6710);
  }, 240_000);

  it('baby, synergistic, k 10, λ 0.1 (neighbour lists only)', () => {
    const out = join(tmp.dir, 'baby.tsv');
    const summaryFile = join(tmp.dir, 'baby.json');
    const r = runCli([
      'augment',
      BABY,
      '--strategy',
      'synergistic',
      '--k',
      '10',
      '--lambda',
      '0.1',
      '--out',
      out,
      '--summary',
      summaryFile,
      '--quiet',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as AugmentSummary;
    expect(summary.groups.map((g) => g.name)).toEqual(['synergistic']);
    expect(Object.keys(summary.modalityOverlaps)).toEqual(['image', 'text']);
    const inter = parseInter(readFileSync(join(BABY, 'baby.inter'), 'utf8'));
    checkConsistency(parseEnriched(readFileSync(out, 'utf8')), summary, inter.train, 0.1);
    expect(summary.counts.users).toBe(19445);
    expect(summary.counts.items).toBe(7050);
  }, 240_000);
});

/** Independent float16 → number. */
function half(bits: number): number {
  const s = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 31;
  const f = bits & 1023;
  return e === 0 ? s * f * 2 ** -24 : e === 31 ? (f === 0 ? s * Infinity : NaN) : s * 2 ** (e - 15) * (1 + f / 1024);
}

describe.skipIf(!haveData)('vi-mmrec augment vs the float64 reference (tiktok, first 1,000 items)', () => {
  const N = 1000;
  const dir = join(tmp.dir, 'tiktok-sub');
  let input: { numUsers: number; numItems: number; train: { users: Int32Array; items: Int32Array }; modalities: DenseModality[] };
  let train: Map<number, Set<number>>;
  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    const text = readFileSync(join(TIKTOK, 'tiktok.inter'), 'utf8');
    const [header, ...body] = lines(text.replace(/\r\n/g, '\n'));
    const kept = body.filter((l) => Number(l.split('\t')[1]) < N);
    writeFileSync(join(dir, 'sub.inter'), `${header}\n${kept.join('\n')}\n`);
    const inter = parseInter(readFileSync(join(dir, 'sub.inter'), 'utf8'));
    train = inter.train;
    const modalities: DenseModality[] = [];
    for (const name of ['audio', 'image']) {
      const bytes = readFileSync(join(TIKTOK, `${name}_feat.npy`));
      const headerLen = bytes.readUInt16LE(8);
      const dict = bytes.subarray(10, 10 + headerLen).toString('latin1');
      expect(dict).toContain("'descr': '<f2'");
      const dim = Number(/'shape': \(\d+, (\d+)\)/.exec(dict)![1]);
      let newDict = `{'descr': '<f2', 'fortran_order': False, 'shape': (${N}, ${dim}), }`;
      newDict = newDict.padEnd(64 * Math.ceil((10 + newDict.length + 1) / 64) - 10 - 1, ' ') + '\n';
      const head = Buffer.alloc(10);
      bytes.copy(head, 0, 0, 8);
      head.writeUInt16LE(newDict.length, 8);
      const data = bytes.subarray(10 + headerLen, 10 + headerLen + N * dim * 2);
      writeFileSync(join(dir, `${name}_feat.npy`), Buffer.concat([head, Buffer.from(newDict, 'latin1'), data]));
      const features = new Float64Array(N * dim);
      for (let p = 0; p < N * dim; p++) features[p] = half(data.readUInt16LE(2 * p));
      modalities.push({ kind: 'dense', name, features, dim });
    }
    const pairs = [...train].flatMap(([u, items]) => [...items].map((i) => [u, i] as const));
    input = {
      numUsers: inter.numUsers,
      numItems: N,
      train: { users: Int32Array.from(pairs.map((p) => p[0])), items: Int32Array.from(pairs.map((p) => p[1])) },
      modalities,
    };
  }, 60_000);

  /** Rebuilds core's AugmentResult from the CLI's TSV and JSON. */
  function fromFiles(tsv: string, json: string): AugmentResult {
    const rows = parseEnriched(readFileSync(tsv, 'utf8'));
    const summary = JSON.parse(readFileSync(json, 'utf8')) as AugmentSummary;
    const rowPtr = new Int32Array(input.numUsers + 1);
    for (const r of rows) rowPtr[r.u + 1]!++;
    for (let u = 0; u < input.numUsers; u++) rowPtr[u + 1]! += rowPtr[u]!;
    return {
      matrix: {
        numUsers: input.numUsers,
        numItems: input.numItems,
        rowPtr,
        items: Int32Array.from(rows.map((r) => r.i)),
        weights: Float64Array.from(rows.map((r) => r.w)),
        real: Uint8Array.from(rows.map((r) => (train.get(r.u)?.has(r.i) === true ? 1 : 0))),
      },
      summary,
    };
  }

  it.each([
    ['overlay', 'modality-mean', 10, 0.1],
    ['synergistic', 'density', 5, 0.5],
  ] as const)(
    '%s (oAvg %s, k %d, λ %d) matches referenceAugment',
    (strategy, oAvg, k, lambda) => {
      const tsv = join(tmp.dir, `sub-${strategy}.tsv`);
      const json = join(tmp.dir, `sub-${strategy}.json`);
      const r = runCli([
        'augment',
        dir,
        '--strategy',
        strategy,
        '--k',
        String(k),
        '--lambda',
        String(lambda),
        '--o-avg',
        oAvg,
        '--out',
        tsv,
        '--summary',
        json,
        '-q',
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const actual = fromFiles(tsv, json);
      const reference = referenceAugment(input, { strategy, k, lambda, oAvg });
      const cmp = compareAugmentResults(actual, reference, { relTol: relTolForPrecision(32), lambda, weightRelTol: 1e-6 });
      expect(cmp.message).toBeUndefined();
      expect(actual.summary.counts.total).toBe(actual.matrix.items.length);
    },
    240_000,
  );
});
