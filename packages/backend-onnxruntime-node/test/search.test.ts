import fc from 'fast-check';
import type { Backend, NeighbourSearchRequest, NeighbourTable } from '@vi-mmrec/core/backend';
import { compareSearch } from '@vi-mmrec/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { onnxruntimeNodeBackend } from '../src/index.js';

/** The shared float64 oracle, within float32 rounding. */
function expectMatchesReference(request: NeighbourSearchRequest, tables: readonly NeighbourTable[]): void {
  expect(compareSearch(request, tables, { relTol: 1e-5 })).toBeUndefined();
}

const backends: Backend[] = [];
function make(options: Parameters<typeof onnxruntimeNodeBackend>[0] = {}): Backend {
  const b = onnxruntimeNodeBackend({ intraOpNumThreads: 2, ...options });
  backends.push(b);
  return b;
}
afterAll(async () => {
  await Promise.all(backends.map(async (b) => b.dispose()));
});

/** Deterministic pseudo-random generator for fixed cases. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('searchNeighbours: fixed cases', () => {
  it('computes a hand-checked 2-D example (cosines, self exclusion, zero row, ties)', async () => {
    // Items: 0 (1,0), 1 (1,1), 2 (0,1), 3 zero, 4 (2,0) = duplicate direction of 0.
    const data = Float32Array.of(1, 0, 1, 1, 0, 1, 0, 0, 2, 0);
    const [t] = await make().searchNeighbours({ numItems: 5, parts: [{ data, dim: 2 }], outputs: [{ parts: [0], k: 3 }] });
    const r = Math.SQRT1_2;
    expect(Array.from(t!.indices)).toEqual([4, 1, 2, 0, 2, 4, 1, 0, 4, -1, -1, -1, 0, 1, 2]);
    const want = [1, r, 0, r, r, r, r, 0, 0, -Infinity, -Infinity, -Infinity, 1, r, 0];
    Array.from(t!.scores).forEach((s, q) => (Number.isFinite(want[q]!) ? expect(s).toBeCloseTo(want[q]!, 6) : expect(s).toBe(-Infinity)));
  });

  it('orders many exact duplicates by item id, across column chunks', async () => {
    const rand = lcg(7);
    const base = Array.from({ length: 4 }, () => Float32Array.from({ length: 6 }, () => rand() - 0.3));
    const n = 60;
    const data = new Float32Array(n * 6);
    for (let i = 0; i < n; i++) data.set(base[(i * 7) % 4]!, i * 6);
    const request = { numItems: n, parts: [{ data, dim: 6 }], outputs: [{ parts: [0], k: 20 }] };
    for (const maxChunkBytes of [4 * 6 * 7, 4 * 6 * 64]) {
      expectMatchesReference(request, await make({ maxChunkBytes, blockRows: 9 }).searchNeighbours(request));
    }
  });

  it('handles k ≥ numItems, zero rows, multi-part outputs and parts used by several outputs', async () => {
    const rand = lcg(11);
    const n = 23;
    const a = Float32Array.from({ length: n * 5 }, () => rand() - 0.5);
    const b = Float64Array.from({ length: n * 3 }, () => rand() - 0.5);
    const c = Float32Array.from({ length: n * 2 }, () => rand());
    for (const i of [0, 4, 9]) a.fill(0, i * 5, i * 5 + 5);
    for (const i of [4, 17]) b.fill(0, i * 3, i * 3 + 3);
    c.fill(0); // a part that is all zeros
    const request: NeighbourSearchRequest = {
      numItems: n,
      parts: [
        { data: a, dim: 5 },
        { data: b, dim: 3 },
        { data: c, dim: 2 },
      ],
      outputs: [
        { parts: [0], k: 4 },
        { parts: [1], k: 30 },
        { parts: [0, 1], k: 22 },
        { parts: [2], k: 3 },
        { parts: [2, 0], k: 5 },
        { parts: [1, 0, 1], k: 2 },
      ],
    };
    for (const opts of [{}, { maxChunkBytes: 4 * 10 * 5, blockRows: 4 }]) {
      const tables = await make(opts).searchNeighbours(request);
      // This backend counts a part listed twice in an output once ([1, 0, 1] scores as [1, 0]).
      expectMatchesReference({ ...request, outputs: request.outputs.map((o) => ({ ...o, parts: [...new Set(o.parts)] })) }, tables);
      // Item 4 is zero in parts 0 and 1: no neighbours in [0, 1] and nobody's neighbour.
      expect(Array.from(tables[2]!.indices.subarray(4 * 22, 5 * 22)).every((j) => j === -1)).toBe(true);
      expect(Array.from(tables[2]!.indices).includes(4)).toBe(false);
      expect(Array.from(tables[3]!.indices).every((j) => j === -1)).toBe(true);
    }
  });

  it('uses the symmetry of S with the default chunking (several chunks, square tiles) and still matches', async () => {
    // 1,100 items: split into two column chunks by default, so half the pairs of each item
    // come from the column outputs (best rows per column) of earlier row blocks.
    const rand = lcg(23);
    const n = 1100;
    const a = Float32Array.from({ length: n * 5 }, () => rand() - 0.5);
    const b = Float32Array.from({ length: n * 3 }, () => rand() - 0.5);
    for (const i of [0, 550, 551, 1099]) a.fill(0, i * 5, i * 5 + 5);
    for (const i of [3, 551, 800]) b.fill(0, i * 3, i * 3 + 3);
    for (const i of [10, 600, 1050]) a.set(a.subarray(700 * 5, 701 * 5), i * 5); // duplicates across chunks
    const request: NeighbourSearchRequest = {
      numItems: n,
      parts: [
        { data: a, dim: 5 },
        { data: b, dim: 3 },
      ],
      outputs: [
        { parts: [0], k: 7 },
        { parts: [1], k: 3 },
        { parts: [0, 1], k: 12 },
      ],
    };
    expectMatchesReference(request, await make().searchNeighbours(request));
  }, 60_000);

  it('returns empty tables for zero items and no tables for no outputs', async () => {
    const b = make();
    const [t] = await b.searchNeighbours({ numItems: 0, parts: [{ data: new Float32Array(0), dim: 3 }], outputs: [{ parts: [0], k: 2 }] });
    expect(t!.indices).toHaveLength(0);
    expect(await b.searchNeighbours({ numItems: 3, parts: [{ data: new Float32Array(6), dim: 2 }], outputs: [] })).toEqual([]);
  });

  it('a single item has no neighbours', async () => {
    const [t] = await make().searchNeighbours({
      numItems: 1,
      parts: [{ data: Float32Array.of(1, 2), dim: 2 }],
      outputs: [{ parts: [0], k: 2 }],
    });
    expect(Array.from(t!.indices)).toEqual([-1, -1]);
  });
});

describe('searchNeighbours: property-based against the float64 reference', () => {
  // Rows are drawn from a few base rows (many exact ties), zero rows, or fresh random rows.
  const caseArb = fc
    .record({
      n: fc.integer({ min: 1, max: 40 }),
      dims: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 3 }),
      seed: fc.integer(),
      dupRate: fc.double({ min: 0, max: 0.9, noNaN: true }),
      zeroRate: fc.double({ min: 0, max: 0.3, noNaN: true }),
      intValues: fc.boolean(),
    })
    .chain((c) =>
      fc.record({
        c: fc.constant(c),
        outputs: fc.array(
          fc.record({
            parts: fc.uniqueArray(fc.integer({ min: 0, max: c.dims.length - 1 }), { minLength: 1, maxLength: c.dims.length }),
            k: fc.integer({ min: 1, max: c.n + 2 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        maxChunkColumns: fc.integer({ min: 2, max: 50 }),
        blockRows: fc.integer({ min: 1, max: 17 }),
        // A query range (as one shard searches) in about half the cases: no symmetry then.
        rows: fc.option(
          fc
            .tuple(fc.integer({ min: 0, max: c.n }), fc.integer({ min: 0, max: c.n }))
            .map(([a, b]) => ({ start: Math.min(a, b), end: Math.max(a, b) })),
        ),
      }),
    );

  it('matches on random cases with ties, zero rows, k ≥ I, multi-part outputs and query ranges', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ c, outputs, maxChunkColumns, blockRows, rows }) => {
        const rand = lcg(c.seed);
        const parts = c.dims.map((dim) => {
          const bases = Array.from({ length: 3 }, () =>
            Float32Array.from({ length: dim }, () => (c.intValues ? Math.floor(rand() * 5) - 2 : rand() - 0.5)),
          );
          const data = new Float32Array(c.n * dim);
          for (let i = 0; i < c.n; i++) {
            const u = rand();
            if (u < c.zeroRate) continue;
            const row =
              u < c.zeroRate + c.dupRate
                ? bases[Math.floor(rand() * 3)]!
                : Float32Array.from({ length: dim }, () => (c.intValues ? Math.floor(rand() * 5) - 2 : rand() - 0.5));
            data.set(row, i * dim);
          }
          return { data, dim };
        });
        const totalDim = c.dims.reduce((a, b) => a + b, 0);
        const request = { numItems: c.n, parts, outputs, ...(rows === null ? {} : { rows }) };
        const tables = await make({ maxChunkBytes: 4 * totalDim * maxChunkColumns, blockRows }).searchNeighbours(request);
        expectMatchesReference(request, tables);
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
