import type { AugmentResult } from '@vi-mmrec/core';
import type { PairBatch, TrainingLoader } from '@vi-mmrec/integration-loader';

/** Independent test PRNG (mulberry32). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A dense description of R̄: value (0 = absent) and real flag per (u, i). */
export interface DenseRbar {
  readonly numUsers: number;
  readonly numItems: number;
  /** value[u][i]: R̄_ui, 0 when absent. */
  readonly value: number[][];
  /** real[u][i]. */
  readonly real: boolean[][];
}

/** Builds an AugmentResult (CSR) from a dense description, independently of the package. */
export function resultFromDense(d: DenseRbar): AugmentResult {
  const rowPtr: number[] = [0];
  const items: number[] = [];
  const weights: number[] = [];
  const real: number[] = [];
  for (let u = 0; u < d.numUsers; u++) {
    for (let i = 0; i < d.numItems; i++) {
      if (d.value[u]![i]! > 0) {
        items.push(i);
        weights.push(d.value[u]![i]!);
        real.push(d.real[u]![i]! ? 1 : 0);
      }
    }
    rowPtr.push(items.length);
  }
  const nReal = real.filter((x) => x === 1).length;
  return {
    matrix: {
      numUsers: d.numUsers,
      numItems: d.numItems,
      rowPtr: Int32Array.from(rowPtr),
      items: Int32Array.from(items),
      weights: Float64Array.from(weights),
      real: Uint8Array.from(real),
    },
    summary: {
      options: { strategy: 'overlay', k: 1, lambda: 1, oAvg: 'modality-mean', backend: 'test' },
      oAvg: 1,
      modalityOverlaps: {},
      groups: [],
      counts: { users: d.numUsers, items: d.numItems, real: nReal, virtualOnly: items.length - nReal, total: items.length },
      seconds: { similarity: 0, virtual: 0, total: 0 },
    },
  };
}

/**
 * A random dense R̄: each user gets ≥ 1 real item (value 1 + extra), virtual items with the
 * given weights; at least one item per user stays empty.
 */
export function randomDense(seed: number, numUsers: number, numItems: number, pReal: number, pVirtual: number, maxW = 1.5): DenseRbar {
  const rnd = mulberry32(seed);
  const value: number[][] = [];
  const real: boolean[][] = [];
  for (let u = 0; u < numUsers; u++) {
    const v = new Array<number>(numItems).fill(0);
    const r = new Array<boolean>(numItems).fill(false);
    const free = Math.floor(rnd() * numItems);
    for (let i = 0; i < numItems; i++) {
      if (i === free) continue;
      const x = rnd();
      if (x < pReal) {
        r[i] = true;
        v[i] = 1 + (rnd() < 0.5 ? 0 : rnd() * maxW);
      } else if (x < pReal + pVirtual) {
        v[i] = 0.02 + rnd() * maxW;
      }
    }
    if (!r.some(Boolean)) {
      const i = (free + 1) % numItems;
      r[i] = true;
      v[i] = 1;
    }
    value.push(v);
    real.push(r);
  }
  return { numUsers, numItems, value, real };
}

/** The real pairs of a dense R̄ in (user, item) order. */
export function realPairs(d: DenseRbar): { users: number[]; items: number[] } {
  const users: number[] = [];
  const items: number[] = [];
  for (let u = 0; u < d.numUsers; u++) {
    for (let i = 0; i < d.numItems; i++) {
      if (d.real[u]![i]!) {
        users.push(u);
        items.push(i);
      }
    }
  }
  return { users, items };
}

/** Collects one epoch of a loader. */
export async function epochOf(loader: TrainingLoader): Promise<PairBatch[]> {
  const out: PairBatch[] = [];
  for await (const b of { [Symbol.asyncIterator]: () => loader[Symbol.asyncIterator]() }) out.push(b);
  return out;
}

/** A minimal loader over fixed batches (no matrices), optionally with its own negatives/weights. */
export function fixedLoader(numUsers: number, numItems: number, batches: readonly PairBatch[]): TrainingLoader {
  return {
    numUsers,
    numItems,
    async *[Symbol.asyncIterator]() {
      for (const b of batches) yield b;
    },
  };
}
