// writeEnrichedBlocks: R̄ given as user blocks is written byte for byte like the whole matrix
// (TSV and Parquet), whatever the split; blocks out of order and bad comments are rejected.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { EnrichedBlock, EnrichedMatrix } from '@vi-mmrec/core';
import { writeEnrichedBlocks, writeEnrichedMatrix } from '../src/index.js';
import { rejection, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** Splits a matrix into blocks at the given user cuts (independent of the writer). */
function split(m: EnrichedMatrix, cuts: readonly number[]): EnrichedBlock[] {
  const bounds = [
    0,
    ...[...new Set(cuts.map((c) => Math.min(c, m.numUsers)))].sort((a, b) => a - b).filter((c) => c > 0 && c < m.numUsers),
    m.numUsers,
  ];
  const out: EnrichedBlock[] = [];
  for (let b = 0; b + 1 < bounds.length; b++) {
    const [s, e] = [bounds[b]!, bounds[b + 1]!];
    const base = m.rowPtr[s]!;
    out.push({
      userStart: s,
      rowPtr: Int32Array.from(m.rowPtr.subarray(s, e + 1), (x) => x - base),
      items: m.items.slice(base, m.rowPtr[e]),
      weights: m.weights.slice(base, m.rowPtr[e]),
      real: m.real.slice(base, m.rowPtr[e]),
    });
  }
  return out;
}

const matrixArb = fc
  .array(fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { maxLength: 6 }), { minLength: 1, maxLength: 12 })
  .chain((rows) =>
    fc
      .array(fc.double({ min: 0.001, max: 3, noNaN: true }), { minLength: rows.flat().length, maxLength: rows.flat().length })
      .map((ws): EnrichedMatrix => {
        const sorted = rows.map((r) => [...r].sort((a, b) => a - b));
        const rowPtr = new Int32Array(rows.length + 1);
        sorted.forEach((r, u) => (rowPtr[u + 1] = rowPtr[u]! + r.length));
        return {
          numUsers: rows.length,
          numItems: 41,
          rowPtr,
          items: Int32Array.from(sorted.flat()),
          weights: Float64Array.from(ws),
          real: new Uint8Array(ws.length),
        };
      }),
  );

describe('writeEnrichedBlocks', () => {
  it.each(['tsv', 'parquet'])('any split into blocks writes the same bytes as writeEnrichedMatrix (%s)', async (ext) => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(matrixArb, fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 5 }), async (m, cuts) => {
        run++;
        const whole = join(tmp.dir, `whole-${run}.${ext}`);
        const parts = join(tmp.dir, `parts-${run}.${ext}`);
        await writeEnrichedMatrix(whole, m);
        await writeEnrichedBlocks(parts, split(m, cuts));
        expect(readFileSync(parts).equals(readFileSync(whole))).toBe(true);
      }),
      { seed: 41, numRuns: ext === 'tsv' ? 60 : 20 },
    );
  });

  it('writes a one-line comment before the TSV header; rejects it for Parquet and multi-line', async () => {
    const m: EnrichedMatrix = {
      numUsers: 1,
      numItems: 3,
      rowPtr: Int32Array.of(0, 1),
      items: Int32Array.of(2),
      weights: Float64Array.of(1),
      real: Uint8Array.of(1),
    };
    const file = join(tmp.dir, 'comment.tsv');
    await writeEnrichedBlocks(file, split(m, []), { comment: '{"a":1}' });
    expect(readFileSync(file, 'utf8')).toBe('# {"a":1}\nuserID\titemID\tweight\n0\t2\t1\n');
    expect((await rejection(async () => writeEnrichedBlocks(join(tmp.dir, 'c.parquet'), split(m, []), { comment: 'x' }))).message).toMatch(
      /only be written to a TSV/,
    );
    expect((await rejection(async () => writeEnrichedBlocks(join(tmp.dir, 'c2.tsv'), split(m, []), { comment: 'a\nb' }))).message).toMatch(
      /one line/,
    );
  });

  it('rejects blocks that do not follow each other and leaves no file', async () => {
    const m: EnrichedMatrix = {
      numUsers: 3,
      numItems: 3,
      rowPtr: Int32Array.of(0, 1, 2, 3),
      items: Int32Array.of(0, 1, 2),
      weights: Float64Array.of(1, 1, 1),
      real: Uint8Array.of(1, 1, 1),
    };
    const [a, , c] = split(m, [1, 2]);
    const file = join(tmp.dir, 'gap.tsv');
    expect((await rejection(async () => writeEnrichedBlocks(file, [a!, c!]))).message).toMatch(/starts at user 2, expected 1/);
    expect(() => readFileSync(file)).toThrow();
  });
});
