import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isViMmrecError, type AugmentSummary, type EnrichedMatrix } from '@vi-mmrec/core';
import { formatWeight, writeEnrichedMatrix, writeSummary } from '../src/index.js';
import { rejection, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function csr(rows: Array<Array<[number, number, 0 | 1]>>, numItems = 100): EnrichedMatrix {
  const rowPtr = new Int32Array(rows.length + 1);
  const flat = rows.flat();
  rows.forEach((r, u) => (rowPtr[u + 1] = rowPtr[u]! + r.length));
  return {
    numUsers: rows.length,
    numItems,
    rowPtr,
    items: Int32Array.from(flat.map((e) => e[0])),
    weights: Float64Array.from(flat.map((e) => e[1])),
    real: Uint8Array.from(flat.map((e) => e[2])),
  };
}

/** A big matrix: `users` users with `perUser` entries each (≈ 15 bytes per row of text). */
function bigMatrix(users: number, perUser: number): EnrichedMatrix {
  const rows = Array.from({ length: users }, () =>
    Array.from({ length: perUser }, (_, j) => [j * 3, 1 + j / 7, 1] as [number, number, 0 | 1]),
  );
  return csr(rows, perUser * 3);
}

describe('formatWeight', () => {
  it.each([
    [1, '1'],
    [0, '0'],
    [2, '2'],
    [0.1, '0.1'],
    [1.1, '1.1'],
    [1 / 3, '0.333333333'],
    [2 / 3, '0.666666667'],
    [1.0000000004, '1'],
    [0.0991961655123, '0.0991961655'],
    [1.5e-7, '1.5e-7'],
    [123456789.5, '123456790'],
    [1e21, '1e+21'],
  ])('%s → %s', (x, s) => expect(formatWeight(x)).toBe(s));

  it('keeps 9 significant digits and no trailing zeros (property)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }), (x) => {
        const s = formatWeight(x);
        const back = Number(s);
        expect(Math.abs(back - x)).toBeLessThanOrEqual(Math.abs(x) * 5.0000001e-9);
        const mantissa = s.split('e')[0]!;
        expect(mantissa.replace(/[-.]/g, '').replace(/^0+/, '').length).toBeLessThanOrEqual(9);
        if (mantissa.includes('.')) expect(mantissa.endsWith('0')).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('writeEnrichedMatrix', () => {
  it('writes the exact TSV: header, rows by user then item, 9 significant digits', async () => {
    const m = csr([
      [
        [1, 1, 1],
        [4, 0.1 * (1 / 3), 0],
        [9, 1.25, 1],
      ],
      [],
      [[0, 0.2, 0]],
    ]);
    const path = join(tmp.dir, 'small.tsv');
    await writeEnrichedMatrix(path, m);
    expect(readFileSync(path, 'utf8')).toBe('userID\titemID\tweight\n0\t1\t1\n0\t4\t0.0333333333\n0\t9\t1.25\n2\t0\t0.2\n');
  });

  it('streams large outputs in chunks and reports progress', async () => {
    const m = bigMatrix(2000, 100);
    const path = join(tmp.dir, 'big.tsv');
    const progress: Array<[number, number]> = [];
    await writeEnrichedMatrix(path, m, { onProgress: (d, t) => progress.push([d, t]) });
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.length).toBe(200_000 + 2);
    expect(lines[1]).toBe('0\t0\t1');
    expect(lines[200_000]).toBe('1999\t297\t15.1428571');
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.at(-1)).toEqual([200_000, 200_000]);
  });

  it('leaves no file and no temporary file when it fails mid-write', async () => {
    const { dir, files, cleanup } = tempDir();
    try {
      const m = bigMatrix(3000, 100);
      const failAt = 250_000;
      const items = new Proxy(m.items, {
        get(target, key) {
          if (key === String(failAt)) throw new Error('simulated failure');
          return (target as unknown as Record<string | symbol, unknown>)[key];
        },
      });
      let flushed = 0;
      const e = await rejection(async () =>
        writeEnrichedMatrix(join(dir, 'out.tsv'), { ...m, items }, { onProgress: (d) => (flushed = d) }),
      );
      expect(e.message).toBe('simulated failure');
      expect(flushed).toBeGreaterThan(0); // some chunks really reached the disk before the failure
      expect(files()).toEqual([]);
    } finally {
      cleanup();
    }
  });

  it('keeps an existing file intact when a rewrite fails, and rejects bad matrices', async () => {
    const { dir, files, cleanup } = tempDir();
    try {
      const path = join(dir, 'out.tsv');
      writeFileSync(path, 'previous\n');
      const unsorted = await rejection(async () =>
        writeEnrichedMatrix(
          path,
          csr([
            [
              [3, 1, 1],
              [2, 1, 1],
            ],
          ]),
        ),
      );
      expect(isViMmrecError(unsorted, 'INVALID_DATA')).toBe(true);
      expect(unsorted.message).toMatch(/user 0 is not sorted by item/);
      const nan = await rejection(async () => writeEnrichedMatrix(path, csr([[[1, 1, 1]], [[2, NaN, 0]]])));
      expect(nan.message).toMatch(/weight of \(user 1, item 2\) is NaN/);
      expect(readFileSync(path, 'utf8')).toBe('previous\n');
      expect(files()).toEqual(['out.tsv']);
    } finally {
      cleanup();
    }
  });

  it('names the path when the folder does not exist', async () => {
    const path = join(tmp.dir, 'no', 'such', 'out.tsv');
    const e = await rejection(async () => writeEnrichedMatrix(path, csr([[[1, 1, 1]]])));
    expect(isViMmrecError(e, 'INVALID_DATA')).toBe(true);
    expect(e.message).toContain(path);
    expect(e.message).toMatch(/cannot write \(no such file or directory, ENOENT\); check that the folder exists/);
  });
});

describe('writeSummary', () => {
  const summary: AugmentSummary = {
    options: { strategy: 'overlay', k: 10, lambda: 0.1, oAvg: 'modality-mean', backend: 'cpu' },
    oAvg: 0.25,
    modalityOverlaps: { image: 0.2, text: 0.3 },
    groups: [
      { name: 'image', modalities: ['image'], overlap: 0.2, weight: 0.8, virtualPairs: 10, virtualNotReal: 8 },
      { name: 'text', modalities: ['text'], overlap: 0.3, weight: 1.2, virtualPairs: 10, virtualNotReal: 7 },
    ],
    counts: { users: 3, items: 5, real: 5, virtualOnly: 9, total: 14 },
    seconds: { similarity: 0.5, virtual: 0.25, total: 1 },
  };

  it('writes pretty JSON: summary fields first, then extra fields it does not override', async () => {
    const path = join(tmp.dir, 'summary.json');
    await writeSummary(path, summary, { dataset: { name: 'toy' }, oAvg: 'ignored' });
    const text = readFileSync(path, 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('\n  "options": {\n    "strategy": "overlay",');
    const parsed = JSON.parse(text);
    expect(Object.keys(parsed)).toEqual(['options', 'oAvg', 'modalityOverlaps', 'groups', 'counts', 'seconds', 'dataset']);
    expect(parsed).toEqual({ ...summary, dataset: { name: 'toy' } });
  });
});
