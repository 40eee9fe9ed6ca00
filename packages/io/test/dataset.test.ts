import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isViMmrecError } from '@vi-mmrec/core';
import { readDataset } from '../src/index.js';
import { npyBytes, rejection, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let counter = 0;

/** Creates a dataset folder from a map of file name → content. */
function folder(files: Record<string, string | Uint8Array>): string {
  const dir = join(tmp.dir, `ds${counter++}`);
  mkdirSync(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}
const INTER = 'userID\titemID\tx_label\n0\t0\t0\n0\t2\t1\n1\t1\t0\n2\t2\t2\n1\t0\t0\n';
const feats = (rows: number, cols: number, descr = '<f4'): Uint8Array =>
  npyBytes(
    Array.from({ length: rows * cols }, (_, p) => p + 1),
    rows,
    cols,
    { descr },
  );
const KNN = 'itemID\tneighborID\trank\tcosine\n0\t1\t0\t0.9\n1\t0\t0\t0.9\n2\t0\t0\t0.5\n';

describe('readDataset', () => {
  it('reads interactions, the training split and every modality sorted by name', async () => {
    const dir = folder({
      'toy.inter': INTER,
      'text_feat.npy': feats(3, 2, '<f2'),
      'image_knn10.tsv': KNN,
      'README.md': 'x',
      'other.tsv': 'x',
    });
    const progress: number[] = [];
    const ds = await readDataset(dir, { onProgress: (e) => progress.push(e.done / e.total) });
    expect(ds.name).toBe(`ds${counter - 1}`);
    expect(ds.numUsers).toBe(3);
    expect(ds.numItems).toBe(3);
    expect([...ds.interactions.users]).toEqual([0, 0, 1, 2, 1]);
    expect([...ds.interactions.labels]).toEqual([0, 1, 0, 2, 0]);
    expect([...ds.train.users]).toEqual([0, 1, 1]);
    expect([...ds.train.items]).toEqual([0, 1, 0]);
    expect(ds.modalities.map((m) => `${m.kind}:${m.name}`)).toEqual(['neighbours:image', 'dense:text']);
    const text = ds.modalities[1]!;
    expect(text.kind === 'dense' && text.dim).toBe(2);
    expect(text.kind === 'dense' && [...text.features]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(progress).toEqual([1 / 3, 2 / 3, 1]);
  });

  it('takes the item count from dense feature rows when they exceed the .inter ids', async () => {
    const ds = await readDataset(folder({ 'toy.inter': INTER, 'a_feat.npy': feats(5, 2), 'b_feat.npy': feats(5, 3, '<f8') }));
    expect(ds.numItems).toBe(5);
    expect(ds.modalities.map((m) => m.name)).toEqual(['a', 'b']);
    expect(ds.modalities[1]!.kind === 'dense' && ds.modalities[1]!.features).toBeInstanceOf(Float32Array);
  });

  it('selects and orders modalities on request', async () => {
    const dir = folder({ 'toy.inter': INTER, 'a_feat.npy': feats(3, 2), 'b_feat.npy': feats(3, 2), 'c_knn.tsv': KNN });
    const ds = await readDataset(dir, { modalities: ['c', 'a'] });
    expect(ds.modalities.map((m) => m.name)).toEqual(['c', 'a']);
    const e = await rejection(async () => readDataset(dir, { modalities: ['a', 'zz'] }));
    expect(isViMmrecError(e, 'INVALID_ARGUMENT')).toBe(true);
    expect(e.message).toMatch(/modality 'zz' is not in .* \(found: a, b, c\)/);
  });

  const cases: Array<[string, Record<string, string | Uint8Array>, RegExp]> = [
    ['no .inter file', { 'a_feat.npy': feats(3, 2) }, /ds\d+: no \.inter file/],
    [
      'several .inter files',
      { 'a.inter': INTER, 'b.inter': INTER, 'a_feat.npy': feats(3, 2) },
      /several \.inter files \(a\.inter, b\.inter\)/,
    ],
    ['no modality', { 'toy.inter': INTER, 'feat.npy': feats(3, 2) }, /no modality found; add <modality>_feat\.npy/],
    [
      'two files for one modality',
      { 'toy.inter': INTER, 'a_feat.npy': feats(3, 2), 'a_knn10.tsv': KNN },
      /modality 'a' has several files \(a_feat\.npy, a_knn10\.tsv\)/,
    ],
    [
      'a feature file with fewer rows than items',
      { 'toy.inter': INTER, 'a_feat.npy': feats(2, 2) },
      /^a_feat\.npy: has 2 rows but the dataset has 3 items \(toy\.inter names item ids up to 2\)/,
    ],
    [
      'feature files with different row counts',
      { 'toy.inter': INTER, 'a_feat.npy': feats(4, 2), 'b_feat.npy': feats(6, 2) },
      /^a_feat\.npy: has 4 rows but the dataset has 6 items \(b_feat\.npy has 6 rows\)/,
    ],
    ['a feature file with 0 columns', { 'toy.inter': INTER, 'a_feat.npy': npyBytes([], 3, 0) }, /^a_feat\.npy: has 0 feature columns/],
    [
      'a NaN feature',
      { 'toy.inter': INTER, 'a_feat.npy': npyBytes([1, 2, 3, NaN, 5, 6], 3, 2) },
      /^a_feat\.npy: row 1 \(item 1\), column 1 is NaN/,
    ],
    [
      'an infinite float16 feature',
      { 'toy.inter': INTER, 'a_feat.npy': npyBytes([1, 2, 3, 4, 1e6, 6], 3, 2, { descr: '<f2' }) },
      /^a_feat\.npy: row 2 \(item 2\), column 0 is Infinity/,
    ],
    [
      'a neighbour id past the last item',
      { 'toy.inter': INTER, 'a_knn.tsv': `${KNN}2\t3\t1\t0.4\n` },
      /^a_knn\.tsv:5: neighborID 3 is not an item of the dataset, which has 3 items \(ids 0…2, from toy\.inter\)/,
    ],
    [
      'an item id past the last item',
      { 'toy.inter': INTER, 'x_feat.npy': feats(3, 1), 'a_knn.tsv': `${KNN}7\t1\t1\t0.4\n` },
      /^a_knn\.tsv:5: itemID 7 .* \(ids 0…2, from toy\.inter and the dense feature files\)/,
    ],
    ['a malformed .inter row', { 'toy.inter': `${INTER}1\tx\t0\n`, 'a_feat.npy': feats(3, 2) }, /^toy\.inter:7: itemID 'x'/],
    ['a truncated feature file', { 'toy.inter': INTER, 'a_feat.npy': feats(3, 2).subarray(0, 130) }, /^a_feat\.npy: truncated/],
  ];
  it.each(cases)('rejects %s', async (_label, files, pattern) => {
    const e = await rejection(async () => readDataset(folder(files)));
    expect(isViMmrecError(e, 'INVALID_DATA')).toBe(true);
    expect(e.message).toMatch(pattern);
  });

  it('rejects a missing folder and a file given as folder', async () => {
    const e1 = await rejection(async () => readDataset(join(tmp.dir, 'missing')));
    expect(isViMmrecError(e1, 'INVALID_DATA')).toBe(true);
    expect(e1.message).toMatch(/missing: cannot read \(no such file or directory, ENOENT\)/);
    const dir = folder({ 'toy.inter': INTER });
    const e2 = await rejection(async () => readDataset(join(dir, 'toy.inter')));
    expect(e2.message).toMatch(/toy\.inter: cannot read \(.*ENOTDIR\)/);
  });
});
