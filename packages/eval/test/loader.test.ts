import { describe, expect, it } from 'vitest';
import { baselineLoader, csrFromPairs } from '../src/loader.js';

describe('baselineLoader', () => {
  const users = Int32Array.from([0, 0, 1, 2, 2, 2, 3]);
  const items = Int32Array.from([1, 4, 0, 2, 3, 4, 1]);
  const train = csrFromPairs(4, 6, users, items);

  const epoch = async (seed: number): Promise<Array<[number, number, number]>> => {
    const out: Array<[number, number, number]> = [];
    for await (const b of baselineLoader(train, { seed, batchSize: 3 })) {
      expect(b.users.length).toBeLessThanOrEqual(3);
      for (let p = 0; p < b.users.length; p++) out.push([b.users[p]!, b.positives[p]!, b.negatives![p]!]);
    }
    return out;
  };

  it('each epoch holds every training pair once, with negatives the user never interacted with', async () => {
    for (let seed = 0; seed < 20; seed++) {
      const e = await epoch(seed);
      expect(e.map(([u, i]) => `${u},${i}`).sort()).toEqual(Array.from(users, (u, p) => `${u},${items[p]}`).sort());
      for (const [u, , n] of e) {
        expect(n).toBeGreaterThanOrEqual(0);
        expect(n).toBeLessThan(6);
        expect(Array.from(users).some((uu, p) => uu === u && items[p] === n)).toBe(false);
      }
    }
  });

  it('is deterministic for a seed and differs across seeds', async () => {
    expect(await epoch(7)).toEqual(await epoch(7));
    const all = await Promise.all([1, 2, 3, 4].map(epoch));
    expect(new Set(all.map((e) => JSON.stringify(e))).size).toBeGreaterThan(1);
    const l = baselineLoader(train);
    expect(l.evaluationMask!()).toBe(train);
  });
});
