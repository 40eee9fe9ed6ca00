import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isViMmrecError } from '@vi-mmrec/core';
import { pairLoader } from '@vi-mmrec/integration-loader';
import { epochOf } from './fixtures.js';

describe('pairLoader', () => {
  it('each epoch is a permutation of the pairs with valid negatives (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 2, max: 9 }),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer(),
        async (U, I, raw, batchSize, negatives, seed) => {
          const pairs = raw.map(([u, i]) => [u % U, i % (I - 1)] as const); // item I−1 stays free
          const users = pairs.map((p) => p[0]);
          const items = pairs.map((p) => p[1]);
          const has = new Set(pairs.map(([u, i]) => `${u}:${i}`));
          const loader = pairLoader({ numUsers: U, numItems: I, users, items, batchSize, negatives, seed });
          expect(loader.numPairs).toBe(pairs.length);
          for (let e = 0; e < 2; e++) {
            const batches = await epochOf(loader);
            const seen = batches.flatMap((b) => Array.from(b.users, (u, p) => `${u}:${b.positives[p]}`)).sort();
            expect(seen).toEqual(pairs.map(([u, i]) => `${u}:${i}`).sort());
            for (const b of batches) {
              expect(b.users.length).toBeLessThanOrEqual(batchSize);
              if (negatives === 0) expect(b.negatives).toBeUndefined();
              else {
                expect(b.negatives!.length).toBe(b.users.length * negatives);
                b.negatives!.forEach((j, q) => {
                  expect(j).toBeGreaterThanOrEqual(0);
                  expect(j).toBeLessThan(I);
                  expect(has.has(`${b.users[Math.floor(q / negatives)]}:${j}`)).toBe(false);
                });
              }
            }
          }
        },
      ),
      { numRuns: 80, seed: 7 },
    );
  });

  it('is deterministic per seed and epoch; shuffle: false keeps the order', async () => {
    const opts = { numUsers: 3, numItems: 6, users: [0, 0, 1, 2, 2, 1, 0], items: [1, 2, 3, 4, 0, 5, 3], batchSize: 3, seed: 12 };
    const a = pairLoader(opts);
    const b = pairLoader(opts);
    const ea = [await epochOf(a), await epochOf(a)];
    expect([await epochOf(b), await epochOf(b)]).toEqual(ea);
    expect(ea[0]).not.toEqual(ea[1]);
    const ordered = await epochOf(pairLoader({ ...opts, shuffle: false }));
    expect(ordered.flatMap((x) => Array.from(x.positives))).toEqual(opts.items);
  });

  it('builds the binary matrix with duplicates merged', () => {
    const m = pairLoader({ numUsers: 2, numItems: 4, users: [1, 0, 1, 1], items: [3, 2, 0, 3] }).interactionMatrix();
    expect(Array.from(m.rowPtr)).toEqual([0, 1, 3]);
    expect(Array.from(m.items)).toEqual([2, 0, 3]);
    expect(Array.from(m.values)).toEqual([1, 1, 1]);
  });

  it('rejects ids out of range and users with every item', () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isViMmrecError(e) ? e.code : 'other';
      }
      return 'none';
    };
    expect(err(() => pairLoader({ numUsers: 1, numItems: 2, users: [1], items: [0] }))).toBe('INVALID_DATA');
    expect(err(() => pairLoader({ numUsers: 1, numItems: 2, users: [0, 0], items: [0, 1] }))).toBe('INVALID_DATA');
    expect(err(() => pairLoader({ numUsers: 1, numItems: 2, users: [0, 0], items: [0, 1], negatives: 0 }))).toBe('none');
    expect(err(() => pairLoader({ numUsers: 1, numItems: 2, users: [0], items: [0], batchSize: 0 }))).toBe('INVALID_ARGUMENT');
  });
});
