// augmentStream(): R̄ produced user block by user block from neighbour tables equals augment()'s
// whole matrix bit for bit (any block size, any split of the users into ranges), and both
// match the independent float64 reference of @vi-mmrec/test-utils.
import { beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { augmentCaseArb, compareAugmentResults, float32Table, referenceAugment, referenceNeighbours } from '@vi-mmrec/test-utils';
import { augment, augmentStream, searchNeighbourTables, tablesNeeded } from '../src/augment.js';
import { resetRegistryForTests } from '../src/registry.js';
import type { Backend, NeighbourSearchRequest, NeighbourTable } from '../src/spi.js';
import type { EnrichedBlock } from '../src/types.js';

function referenceBackend(): Backend {
  return {
    name: 'reference',
    capabilities: { device: 'cpu', floatPrecision: 32 },
    init: async () => undefined,
    searchNeighbours: async (request: NeighbourSearchRequest): Promise<NeighbourTable[]> => referenceNeighbours(request).map(float32Table),
    dispose: async () => undefined,
    [Symbol.asyncDispose]: async () => undefined,
  };
}

/** Concatenates blocks into one CSR (rowPtr made global). */
function concat(
  blocks: readonly EnrichedBlock[],
  numUsers: number,
): { rowPtr: Int32Array; items: Int32Array; weights: Float64Array; real: Uint8Array } {
  const nnz = blocks.reduce((a, b) => a + b.items.length, 0);
  const rowPtr = new Int32Array(numUsers + 1);
  const items = new Int32Array(nnz);
  const weights = new Float64Array(nnz);
  const real = new Uint8Array(nnz);
  let off = 0;
  let u = 0;
  for (const b of blocks) {
    expect(b.userStart).toBe(u);
    for (let r = 1; r < b.rowPtr.length; r++) rowPtr[++u] = off + b.rowPtr[r]!;
    items.set(b.items, off);
    weights.set(b.weights, off);
    real.set(b.real, off);
    off += b.items.length;
  }
  expect(u).toBe(numUsers);
  return { rowPtr, items, weights, real };
}

beforeEach(() => resetRegistryForTests());

describe('augmentStream', () => {
  it("any block size and any user split give augment()'s matrix bit for bit, and match the reference", async () => {
    const backend = referenceBackend();
    await fc.assert(
      fc.asyncProperty(
        augmentCaseArb({ mixes: ['dense', 'mixed', 'list'] }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 5 }),
        async ({ input, options }, blockUsers, parts) => {
          const whole = await augment(input, { ...options, backend });
          const tables = await searchNeighbourTables(input, { ...tablesNeeded(options.strategy, options.oAvg), k: options.k, backend });
          const stream = augmentStream({ numUsers: input.numUsers, numItems: input.numItems, train: input.train }, tables, options);
          // Users split into `parts` contiguous ranges, each streamed in blocks of blockUsers.
          const blocks: EnrichedBlock[] = [];
          for (let s = 0; s < parts; s++) {
            const userStart = Math.floor((s * input.numUsers) / parts);
            const userEnd = Math.floor(((s + 1) * input.numUsers) / parts);
            blocks.push(...stream.blocks({ userStart, userEnd, blockUsers }));
          }
          const m = concat(blocks, input.numUsers);
          expect(m.rowPtr).toEqual(whole.matrix.rowPtr);
          expect(m.items).toEqual(whole.matrix.items);
          expect(Buffer.from(m.weights.buffer).equals(Buffer.from(whole.matrix.weights.buffer))).toBe(true);
          expect(m.real).toEqual(whole.matrix.real);
          const summary = stream.summary();
          expect(summary.counts).toEqual(whole.summary.counts);
          expect(summary.groups).toEqual(whole.summary.groups);
          const streamed = { matrix: { numUsers: input.numUsers, numItems: input.numItems, ...m }, summary };
          const cmp = compareAugmentResults(streamed, referenceAugment(input, options), { relTol: 1e-5, lambda: options.lambda });
          expect(cmp.message).toBeUndefined();
        },
      ),
      { seed: 31, numRuns: 120 },
    );
  });

  it('tables with a larger k serve a smaller k; missing tables and a too large k are rejected', async () => {
    const backend = referenceBackend();
    await fc.assert(
      fc.asyncProperty(augmentCaseArb({ mixes: ['dense'] }), async ({ input, options }) => {
        const tables3 = await searchNeighbourTables(input, { perModality: true, fused: true, k: options.k + 2, backend });
        const direct = await augment(input, { ...options, backend });
        const stream = augmentStream(input, tables3, options);
        const [block] = [...stream.blocks({ blockUsers: Math.max(1, input.numUsers) })];
        // Dense per-modality top-k is the prefix of top-(k+2) (ties: smaller id first).
        if (options.strategy === 'overlay' && block !== undefined) expect(block.items).toEqual(direct.matrix.items);
        // (k is capped at numItems - 1 first: a larger k is only an error below that cap.)
        if (tables3.k + 1 <= input.numItems - 1) {
          expect(() => augmentStream(input, tables3, { ...options, k: tables3.k + 1 })).toThrow(/neighbours per item the tables hold/);
        }
        const onlyFused = { ...tables3, perModality: undefined };
        expect(() => augmentStream(input, onlyFused, { ...options, strategy: 'overlay' })).toThrow(/needs the per-modality/);
      }),
      { seed: 32, numRuns: 30 },
    );
  });

  it('tables of a query range (one shard) are the rows of the whole tables, list modalities included; augmentStream refuses them', async () => {
    const backend = referenceBackend();
    const rowsOf = (t: NeighbourTable, start: number, end: number): NeighbourTable => ({
      k: t.k,
      indices: t.indices.slice(start * t.k, end * t.k),
      scores: t.scores.slice(start * t.k, end * t.k),
    });
    await fc.assert(
      fc.asyncProperty(augmentCaseArb({ mixes: ['dense', 'mixed'] }), fc.nat(), fc.nat(), async ({ input, options }, a, b) => {
        const [start, end] = [a % (input.numItems + 1), b % (input.numItems + 1)].sort((x, y) => x - y) as [number, number];
        const needs = { perModality: true, fused: true, k: options.k, backend };
        const whole = await searchNeighbourTables(input, needs);
        const part = await searchNeighbourTables(input, { ...needs, rows: { start, end } });
        expect(part.rows).toEqual({ start, end });
        expect(part.fused).toEqual(rowsOf(whole.fused!, start, end));
        for (const [name, t] of whole.perModality!) expect(part.perModality!.get(name), name).toEqual(rowsOf(t, start, end));
        if (end - start < input.numItems) expect(() => augmentStream(input, part, options)).toThrow(/one shard/);
      }),
      { seed: 33, numRuns: 60 },
    );
  });
});
