import { describe, expect, it } from 'vitest';
import type { AugmentResult } from '@vi-mmrec/core';
import { withVirtualInteractions, type PairBatch, type TrainingLoader } from '@vi-mmrec/integration-loader';

// R̄ with 10⁷ entries (13 bytes each: 130 MB), built straight into typed arrays. 10⁸ entries
// would need 1.3 GB for R̄ alone and minutes on a shared machine; the wrapper's own memory per
// entry is measured by tools/bench/loader-memory.mjs (see docs/integrations/loader.md).
const ENTRIES = 10_000_000;
const ROW = 100; // entries per user; item of the k-th entry of user u: 2k + (u mod 2)
const NUM_USERS = ENTRIES / ROW;

function buildRbar(): { result: AugmentResult; pairUsers: Int32Array; pairItems: Int32Array } {
  const rowPtr = new Int32Array(NUM_USERS + 1);
  const items = new Int32Array(ENTRIES);
  const weights = new Float64Array(ENTRIES);
  const real = new Uint8Array(ENTRIES);
  let numReal = 0;
  for (let p = 0; p < ENTRIES; p++) {
    const u = Math.floor(p / ROW);
    const k = p - u * ROW;
    rowPtr[u + 1] = p + 1;
    items[p] = 2 * k + (u & 1);
    const isReal = k === 0 || (p + u) % 10 === 0;
    real[p] = isReal ? 1 : 0;
    // Virtual weights in (0.05, 1.25): some always drawn (≥ 1), most with probability w.
    weights[p] = isReal ? 1 + (p % 7) / 7 : 0.05 + ((Math.imul(p, 2654435761) >>> 0) / 4294967296) * 1.2;
    if (isReal) numReal++;
  }
  const pairUsers = new Int32Array(numReal);
  const pairItems = new Int32Array(numReal);
  for (let p = 0, r = 0; p < ENTRIES; p++) {
    if (real[p] === 1) {
      pairUsers[r] = Math.floor(p / ROW);
      pairItems[r++] = items[p]!;
    }
  }
  const result = { matrix: { numUsers: NUM_USERS, numItems: 2 * ROW, rowPtr, items, weights, real } } as unknown as AugmentResult;
  return { result, pairUsers, pairItems };
}

describe('withVirtualInteractions at 10⁷ entries of R̄', () => {
  it(
    'one epoch: every real pair once, each virtual entry at most once, the virtual count within 6σ of Σ min(1, R̄)',
    { timeout: 300_000 },
    async () => {
      const { result, pairUsers, pairItems } = buildRbar();
      const { items, weights, real } = result.matrix;
      const loader: TrainingLoader = {
        numUsers: NUM_USERS,
        numItems: 2 * ROW,
        async *[Symbol.asyncIterator](): AsyncGenerator<PairBatch> {
          for (let s = 0; s < pairUsers.length; s += 65536) {
            yield { users: pairUsers.subarray(s, s + 65536), positives: pairItems.subarray(s, s + 65536) };
          }
        },
      };
      // Independent float64 reference of the epoch's expected virtual count and its variance.
      let mean = 0;
      let variance = 0;
      for (let p = 0; p < ENTRIES; p++) {
        if (real[p] === 1) continue;
        const q = Math.min(1, weights[p]!);
        mean += q;
        variance += q * (1 - q);
      }
      // Plain checks per pair (an expect() per pair would dominate the run); asserted at the end.
      const seen = new Uint8Array(ENTRIES);
      let realSeen = 0;
      let virtualSeen = 0;
      let notInRbar = 0;
      for await (const b of withVirtualInteractions(loader, result, { seed: 3 })) {
        for (let s = 0; s < b.users.length; s++) {
          const u = b.users[s]!;
          const i = b.positives[s]!;
          // Entry of (u, i) by the construction above, not by a search of the package.
          const k = (i - (u & 1)) / 2;
          const p = u * ROW + k;
          if (!(Number.isInteger(k) && k >= 0 && k < ROW && u >= 0 && u < NUM_USERS && items[p] === i)) {
            notInRbar++;
            continue;
          }
          if (seen[p]! < 255) seen[p]!++;
          if (real[p] === 1) realSeen++;
          else virtualSeen++;
        }
      }
      let missing = 0;
      let repeated = 0;
      for (let p = 0; p < ENTRIES; p++) {
        const c = seen[p]!;
        if (c > 1) repeated++;
        else if (c === 0 && (real[p] === 1 || weights[p]! >= 1)) missing++;
      }
      expect({ notInRbar, missing, repeated, realSeen }).toEqual({ notInRbar: 0, missing: 0, repeated: 0, realSeen: pairUsers.length });
      expect(Math.abs(virtualSeen - mean)).toBeLessThan(6 * Math.sqrt(variance));
      expect(virtualSeen).toBeGreaterThan(5_000_000);
    },
  );
});
