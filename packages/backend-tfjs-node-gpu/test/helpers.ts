/** Comparators and generators shared by the wasm and GPU test files. */
import type { NeighbourSearchRequest, NeighbourTable } from '@vi-mmrec/core/backend';
import fc from 'fast-check';
import { expect } from 'vitest';
import { type ReferenceNeighbourTable, compareSearch } from '@vi-mmrec/test-utils';

/** Values as a plain array with -0 read as 0. */
export const plain = (a: ArrayLike<number>): number[] => Array.from(a, (v) => (v === 0 ? 0 : v));

/** Exact comparison: used where every float32 operation is exact (scores are multiples of 1/16). */
export function expectExact(tables: NeighbourTable[], refs: ReferenceNeighbourTable[]): void {
  expect(tables).toHaveLength(refs.length);
  tables.forEach((t, o) => {
    const ref = refs[o]!;
    expect(t.k).toBe(ref.k);
    expect(Array.from(t.indices)).toEqual(Array.from(ref.indices));
    expect(plain(t.scores)).toEqual(plain(ref.scores));
  });
}

/** Tolerant comparison for general float data: the shared float64 oracle within `relTol` (see relTolForPrecision). */
export function expectClose(tables: NeighbourTable[], request: NeighbourSearchRequest, relTol: number): void {
  expect(compareSearch(request, tables, { relTol })).toBeUndefined();
}

export function gaussianRows(n: number, dim: number, seed: number, zeroEvery = 0): Float32Array {
  let state = seed >>> 0 || 1;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    if (zeroEvery > 0 && i % zeroEvery === 0) continue;
    for (let c = 0; c < dim; c++) out[i * dim + c] = Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
  }
  return out;
}

/** Rows whose float32 arithmetic is exact: 0, 1, 4 or 16 entries of ±1 (norms 1, 2, 4). */
const exactRow = (dim: number) =>
  fc.record({ count: fc.constantFrom(0, 1, 4, 16), shift: fc.nat(dim - 1), signs: fc.nat(0xffff) }).map(({ count, shift, signs }) => {
    const row = new Array<number>(dim).fill(0);
    for (let t = 0; t < count; t++) row[(shift + t) % dim] = (signs >> t) & 1 ? -1 : 1;
    return row;
  });

export const exactRequest = fc.integer({ min: 1, max: 36 }).chain((n) =>
  fc
    .record({
      parts: fc.array(
        fc
          .integer({ min: 16, max: 18 })
          .chain((dim) =>
            fc.record({ dim: fc.constant(dim), rows: fc.array(exactRow(dim), { minLength: n, maxLength: n }), f64: fc.boolean() }),
          ),
        { minLength: 1, maxLength: 3 },
      ),
      outputs: fc.array(fc.record({ mask: fc.integer({ min: 1, max: 7 }), k: fc.integer({ min: 1, max: n + 2 }) }), {
        minLength: 1,
        maxLength: 3,
      }),
      blockRows: fc.option(fc.integer({ min: 1, max: n + 1 }), { nil: undefined }),
    })
    .map(({ parts, outputs, blockRows }) => {
      const req: NeighbourSearchRequest = {
        numItems: n,
        parts: parts.map(({ dim, rows, f64 }) => ({ dim, data: f64 ? Float64Array.from(rows.flat()) : Float32Array.from(rows.flat()) })),
        outputs: outputs.map(({ mask, k }) => {
          const ps = [0, 1, 2].filter((p) => p < parts.length && (mask >> p) & 1);
          return { parts: ps.length > 0 ? ps : [0], k };
        }),
      };
      return { req, blockRows };
    }),
);
