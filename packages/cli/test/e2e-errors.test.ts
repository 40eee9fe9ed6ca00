// Bad input through the real bin: exit code 1 (2 for usage), exactly one line on stderr
// naming the file/line/option, no stack trace, no output or temporary file left.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';
import { synthesizeDataset, writeDataset } from '@vi-mmrec/io';
import { BIN, ensureBuilt, runCli } from './subprocess.js';

const tmp = tempDir('vi-mmrec-bad-');
beforeAll(() => ensureBuilt(), 300_000);
afterAll(() => tmp.cleanup());

/** Minimal .npy v1 writer (independent of @vi-mmrec/io). */
function npy(
  values: number[],
  rows: number,
  cols: number,
  o: { descr?: string; fortran?: boolean; shape?: string; cut?: number } = {},
): Buffer {
  const descr = o.descr ?? '<f4';
  let dict = `{'descr': '${descr}', 'fortran_order': ${o.fortran === true ? 'True' : 'False'}, 'shape': ${o.shape ?? `(${rows}, ${cols})`}, }`;
  while ((10 + dict.length + 1) % 64 !== 0) dict += ' ';
  dict += '\n';
  const head = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]);
  head.writeUInt16LE(dict.length, 8);
  const size = Number(descr.slice(2));
  const data = Buffer.alloc(rows * cols * size);
  values.forEach((v, p) => {
    if (descr === '<f4') data.writeFloatLE(v, p * 4);
    else if (descr === '>f4') data.writeFloatBE(v, p * 4);
    else if (descr === '<i4') data.writeInt32LE(v, p * 4);
  });
  const all = Buffer.concat([head, Buffer.from(dict, 'latin1'), data]);
  return all.subarray(0, all.length - (o.cut ?? 0));
}

const INTER = 'userID\titemID\tx_label\n0\t0\t0\n0\t1\t0\n1\t1\t0\n1\t2\t1\n2\t0\t0\n2\t3\t2\n';
const FEAT = npy(
  Array.from({ length: 8 }, (_, p) => (p % 3) + 1),
  4,
  2,
);
const KNN = 'itemID\tneighborID\trank\tcosine\n0\t1\t0\t0.9\n1\t0\t0\t0.9\n2\t3\t0\t0.5\n3\t2\t0\t0.5\n';

let counter = 0;
function folder(files: Record<string, string | Buffer>): string {
  const dir = join(tmp.dir, `case${counter++}`);
  mkdirSync(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

const cases: Array<[string, Record<string, string | Buffer>, RegExp]> = [
  ['missing .inter', { 'image_feat.npy': FEAT }, /case\d+: no \.inter file; a dataset folder needs one <name>\.inter/],
  [
    'several .inter files',
    { 'a.inter': INTER, 'b.inter': INTER, 'image_feat.npy': FEAT },
    /several \.inter files \(a\.inter, b\.inter\); keep exactly one/,
  ],
  [
    'a header without x_label',
    { 'd.inter': 'userID\titemID\n0\t1\n', 'image_feat.npy': FEAT },
    /^vi-mmrec: d\.inter:1: the header lacks column 'x_label'/,
  ],
  [
    'a row with the wrong number of fields',
    { 'd.inter': `${INTER}3\t1\n`, 'image_feat.npy': FEAT },
    /^vi-mmrec: d\.inter:8: expected 3 tab-separated fields \(as in the header\), found 2/,
  ],
  [
    'a non-integer id',
    { 'd.inter': `${INTER}3\tabc\t0\n`, 'image_feat.npy': FEAT },
    /^vi-mmrec: d\.inter:8: itemID 'abc' is not a non-negative integer/,
  ],
  ['a negative id', { 'd.inter': `${INTER}-3\t1\t0\n`, 'image_feat.npy': FEAT }, /^vi-mmrec: d\.inter:8: userID -3 is negative/],
  ['x_label 5', { 'd.inter': `${INTER}3\t1\t5\n`, 'image_feat.npy': FEAT }, /^vi-mmrec: d\.inter:8: x_label 5 is not 0, 1 or 2/],
  [
    'a NaN feature',
    { 'd.inter': INTER, 'image_feat.npy': npy([1, 2, 3, 4, 5, NaN, 7, 8], 4, 2) },
    /^vi-mmrec: image_feat\.npy: row 2 \(item 2\), column 1 is NaN/,
  ],
  [
    'an infinite feature',
    { 'd.inter': INTER, 'image_feat.npy': npy([1, 2, 3, 4, 5, 6, -Infinity, 8], 4, 2) },
    /^vi-mmrec: image_feat\.npy: row 3 \(item 3\), column 0 is -Infinity/,
  ],
  [
    'a truncated npy',
    { 'd.inter': INTER, 'image_feat.npy': npy([1, 2, 3, 4, 5, 6, 7, 8], 4, 2, { cut: 4 }) },
    /^vi-mmrec: image_feat\.npy: truncated: shape \(4, 2\) of float32 needs 32 data bytes but the file has 28/,
  ],
  [
    'a big-endian npy',
    { 'd.inter': INTER, 'image_feat.npy': npy([1, 2, 3, 4, 5, 6, 7, 8], 4, 2, { descr: '>f4' }) },
    /^vi-mmrec: image_feat\.npy: dtype '>f4' is big-endian/,
  ],
  [
    'a Fortran-order npy',
    { 'd.inter': INTER, 'image_feat.npy': npy([1, 2, 3, 4, 5, 6, 7, 8], 4, 2, { fortran: true }) },
    /^vi-mmrec: image_feat\.npy: the array is in Fortran/,
  ],
  [
    'an integer npy',
    { 'd.inter': INTER, 'image_feat.npy': npy([1, 2, 3, 4, 5, 6, 7, 8], 4, 2, { descr: '<i4' }) },
    /^vi-mmrec: image_feat\.npy: dtype '<i4' is not supported/,
  ],
  [
    'a 1-D npy',
    { 'd.inter': INTER, 'image_feat.npy': npy([1, 2, 3, 4], 4, 1, { shape: '(4,)' }) },
    /^vi-mmrec: image_feat\.npy: shape \(4,\) is 1-D/,
  ],
  [
    'bad npy magic',
    { 'd.inter': INTER, 'image_feat.npy': 'not numpy' },
    /^vi-mmrec: image_feat\.npy: not a NumPy \.npy file \(bad magic bytes\)/,
  ],
  [
    'a feature file with fewer rows than items',
    { 'd.inter': INTER, 'image_feat.npy': npy([1, 2, 3, 4, 5, 6], 3, 2) },
    /^vi-mmrec: image_feat\.npy: has 3 rows but the dataset has 4 items \(d\.inter names item ids up to 3\)/,
  ],
  [
    'a neighbour that is not an item',
    { 'd.inter': INTER, 'text_knn10.tsv': `${KNN}3\t4\t1\t0.2\n` },
    /^vi-mmrec: text_knn10\.tsv:6: neighborID 4 is not an item of the dataset, which has 4 items/,
  ],
  [
    'a duplicate neighbour pair',
    { 'd.inter': INTER, 'text_knn10.tsv': `${KNN}0\t1\t1\t0.8\n` },
    /^vi-mmrec: text_knn10\.tsv:6: the pair itemID 0, neighborID 1 is listed twice \(also on line 2\)/,
  ],
  [
    'a non-integer rank',
    { 'd.inter': INTER, 'text_knn10.tsv': `${KNN}0\t2\tfirst\t0.8\n` },
    /^vi-mmrec: text_knn10\.tsv:6: rank 'first' is not a non-negative integer/,
  ],
  ['a folder without any modality', { 'd.inter': INTER, 'notes.txt': 'x' }, /case\d+: no modality found; add <modality>_feat\.npy/],
];

describe('vi-mmrec augment on bad input (subprocess)', () => {
  it.each(cases)('%s → exit 1, one line, nothing written', (_label, files, pattern) => {
    const data = folder(files);
    const out = tempDir('vi-mmrec-out-');
    try {
      const r = runCli([
        'augment',
        data,
        '--strategy',
        'overlay',
        '--k',
        '2',
        '--lambda',
        '0.1',
        '--out',
        join(out.dir, 'o.tsv'),
        '--summary',
        join(out.dir, 's.json'),
        '--quiet',
      ]);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr.split('\n')).toHaveLength(2); // one line + final newline
      expect(r.stderr).toMatch(/^vi-mmrec: /);
      expect(r.stderr).not.toMatch(/\bat .*:\d+:\d+/);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(out.files()).toEqual([]);
    } finally {
      out.cleanup();
    }
  });

  it('without --quiet the error is still one line, the last one, and no stack trace', () => {
    const data = folder({ 'd.inter': `${INTER}3\tabc\t0\n`, 'image_feat.npy': FEAT });
    const out = tempDir('vi-mmrec-out-');
    try {
      const r = runCli(['augment', data, '--strategy', 'overlay', '--k', '2', '--lambda', '0.1', '--out', join(out.dir, 'o.tsv')]);
      expect(r.code).toBe(1);
      const errLines = r.stderr.trimEnd().split('\n');
      expect(errLines.filter((l) => /itemID 'abc'/.test(l))).toEqual([errLines.at(-1)]);
      expect(errLines.at(-1)).toMatch(/^vi-mmrec: d\.inter:8: itemID 'abc'/);
      expect(r.stderr).not.toMatch(/\bat .*:\d+:\d+/);
      expect(out.files()).toEqual([]);
    } finally {
      out.cleanup();
    }
  });

  it.each([
    [['augment', '--strategy', 'overlay'], /^vi-mmrec: missing <datasetDir>/],
    [
      ['augment', 'x', '--strategy', 'overlay', '--k', 'ten', '--lambda', '0.1', '--out', 'o.tsv'],
      /^vi-mmrec: --k must be an integer ≥ 1, got 'ten'; run 'vi-mmrec augment --help' for usage$/,
    ],
    [
      ['augment', 'x', '--strategy', 'overlay', '--k', '3', '--lambda', '0.1', '--out', 'o.tsv', '--bogus'],
      /^vi-mmrec: unknown option '--bogus' for 'augment'; run 'vi-mmrec augment --help' for usage$/,
    ],
    // The dataset folder is checked first (it exists here, and is read only after --backend).
    [
      ['augment', tmp.dir, '--strategy', 'overlay', '--k', '3', '--lambda', '0.1', '--out', 'o.tsv', '--backend', 'warp-drive'],
      /^vi-mmrec: unknown backend 'warp-drive'/,
    ],
    [['transmogrify'], /^vi-mmrec: unknown command 'transmogrify'; run 'vi-mmrec --help' for usage$/],
  ])('usage error %j → exit 2, one line', (args, pattern) => {
    const out = tempDir('vi-mmrec-out-');
    try {
      const r = runCli(args, { cwd: out.dir });
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd()).toMatch(pattern);
      expect(r.stderr.split('\n')).toHaveLength(2);
      expect(out.files()).toEqual([]);
    } finally {
      out.cleanup();
    }
  });

  it('a missing dataset folder and a missing output folder → exit 1, one line naming the path', () => {
    const r1 = runCli([
      'augment',
      join(tmp.dir, 'nowhere'),
      '--strategy',
      'overlay',
      '--k',
      '2',
      '--lambda',
      '0.1',
      '--out',
      join(tmp.dir, 'o.tsv'),
      '-q',
    ]);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(
      /^vi-mmrec: .*nowhere: no such folder; check the path \(the dataset folder holds one \.inter file and the modality files\)\.\n$/,
    );
    const data = folder({ 'd.inter': INTER, 'image_feat.npy': FEAT });
    const r2 = runCli([
      'augment',
      data,
      '--strategy',
      'overlay',
      '--k',
      '2',
      '--lambda',
      '0.1',
      '--out',
      join(tmp.dir, 'no', 'o.tsv'),
      '-q',
    ]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/^vi-mmrec: cannot write .*o\.tsv: folder .*no does not exist; create it first\.\n$/);
  });
});

describe('vi-mmrec basics (subprocess)', () => {
  it('--version, --help and demo', () => {
    const v = runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+/);
    const h = runCli(['augment', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('--strategy <s>');
    const out = tempDir('vi-mmrec-demo-');
    try {
      const d = runCli(['demo', '--out-dir', out.dir]);
      expect(d.code).toBe(0);
      expect(d.stdout).toContain('demo: 2,000 users, 1,500 items');
      expect(d.stdout).toMatch(/entries\s+[\d,]+ = [\d,]+ real \+ [\d,]+ virtual-only/);
      expect(d.stderr).toMatch(/using backend '[\w-]+'/);
      expect(out.files()).toEqual(['demo', 'enriched.tsv', 'summary.json']);
    } finally {
      out.cleanup();
    }
  }, 120_000);
});

describe('Ctrl-C (subprocess)', () => {
  it('SIGINT during the similarity phase exits 130 with one error line and leaves no output', async () => {
    const data = join(tmp.dir, 'big');
    // 20,000 items × 128: the cpu backend needs several seconds, so the signal lands mid-phase.
    await writeDataset(
      data,
      synthesizeDataset({ numUsers: 2000, numItems: 20_000, interactions: 20_000, modalities: [{ name: 'img', dim: 128 }] }),
    );
    const out = tempDir('vi-mmrec-out-');
    try {
      const child = spawn(
        process.execPath,
        [
          BIN,
          'augment',
          data,
          '--strategy',
          'overlay',
          '--k',
          '5',
          '--lambda',
          '0.1',
          '--backend',
          'cpu',
          '--out',
          join(out.dir, 'o.tsv'),
          '--summary',
          join(out.dir, 's.json'),
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      const code = await new Promise<number | null>((resolve) => {
        child.stderr.on('data', (d: Buffer) => {
          const before = stderr;
          stderr += d.toString();
          if (!before.includes('similarity (cpu)…') && stderr.includes('similarity (cpu)…')) child.kill('SIGINT');
        });
        child.on('close', (c) => resolve(c));
      });
      expect(stderr.trimEnd().split('\n').at(-1)).toBe(
        'vi-mmrec: stopped by SIGINT; no output was replaced: existing files are unchanged and no temporary file is left',
      );
      expect(code).toBe(130);
      expect(stdout).toBe('');
      expect(out.files()).toEqual([]);
    } finally {
      out.cleanup();
    }
  }, 120_000);
});
