import { describe, expect, expectTypeOf, it } from 'vitest';
import fc from 'fast-check';
import { InvalidDataError, isViMmrecError, type InvalidArgumentError } from '@vi-mmrec/core';
import {
  pairLoader,
  withVirtualInteractions,
  type PairBatch,
  type SparseInteractions,
  type TrainingLoader,
} from '@vi-mmrec/integration-loader';
import { type DenseRbar, epochOf, fixedLoader, randomDense, realPairs, resultFromDense } from './fixtures.js';

/** Dense matrix of a SparseInteractions (values; 0 absent), checking sorted rows. */
function toDense(m: SparseInteractions): number[][] {
  const out: number[][] = [];
  for (let u = 0; u < m.numUsers; u++) {
    const row = new Array<number>(m.numItems).fill(0);
    for (let p = m.rowPtr[u]!; p < m.rowPtr[u + 1]!; p++) {
      if (p > m.rowPtr[u]!) expect(m.items[p]!).toBeGreaterThan(m.items[p - 1]!);
      row[m.items[p]!] = m.values[p]!;
    }
    out.push(row);
  }
  return out;
}

function loaderFor(d: DenseRbar, batchSize = 7, seed = 1, shuffle = true) {
  const { users, items } = realPairs(d);
  return pairLoader({ numUsers: d.numUsers, numItems: d.numItems, users, items, batchSize, seed, shuffle });
}

describe('withVirtualInteractions: sampling frequency', () => {
  it('every real pair once per epoch; each virtual pair with frequency ≈ min(1, w) (4.5σ per pair, 4σ pooled)', async () => {
    const d = randomDense(11, 12, 20, 0.15, 0.25, 1.4);
    const wrapped = withVirtualInteractions(loaderFor(d), resultFromDense(d), { seed: 5 });
    const E = 400;
    const counts = d.value.map((r) => r.map(() => 0));
    const epochsSeen = new Set<string>();
    for (let e = 0; e < E; e++) {
      const inEpoch = d.value.map((r) => r.map(() => 0));
      const batches = await epochOf(wrapped);
      epochsSeen.add(batches.map((b) => Array.from(b.positives).join(',')).join('|'));
      for (const b of batches) {
        for (let p = 0; p < b.users.length; p++) {
          const u = b.users[p]!;
          const i = b.positives[p]!;
          inEpoch[u]![i]!++;
          counts[u]![i]!++;
        }
      }
      for (let u = 0; u < d.numUsers; u++) {
        for (let i = 0; i < d.numItems; i++) {
          const c = inEpoch[u]![i]!;
          if (d.real[u]![i]!) expect(c).toBe(1);
          else if (d.value[u]![i]! >= 1) expect(c, `epoch ${e} (${u}, ${i})`).toBe(1);
          else if (d.value[u]![i]! === 0) expect(c).toBe(0);
          else expect(c).toBeLessThanOrEqual(1);
        }
      }
    }
    expect(epochsSeen.size).toBe(E); // successive epochs differ
    let dev = 0;
    let variance = 0;
    let tested = 0;
    for (let u = 0; u < d.numUsers; u++) {
      for (let i = 0; i < d.numItems; i++) {
        const w = d.value[u]![i]!;
        if (d.real[u]![i]! || w === 0 || w >= 1) continue;
        const mean = E * w;
        const sd = Math.sqrt(E * w * (1 - w));
        expect(Math.abs(counts[u]![i]! - mean)).toBeLessThanOrEqual(4.5 * sd + 0.5);
        dev += counts[u]![i]! - mean;
        variance += E * w * (1 - w);
        tested++;
      }
    }
    expect(tested).toBeGreaterThan(30);
    expect(Math.abs(dev) / Math.sqrt(variance)).toBeLessThan(4);
  });
});

describe('withVirtualInteractions: negatives', () => {
  it('never violate the policy, for real and virtual pairs (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 2, max: 12 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.constantFrom('non-real' as const, 'non-interacted' as const),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: 5 }),
        async (U, I, seed, policy, m, batchSize) => {
          const d = randomDense(seed, U, I, 0.3, 0.4, 1.2);
          const { users, items } = realPairs(d);
          const base = pairLoader({ numUsers: U, numItems: I, users, items, batchSize, seed, negatives: m });
          const wrapped = withVirtualInteractions(base, resultFromDense(d), { seed, negatives: policy });
          for (let e = 0; e < 3; e++) {
            const batches = await epochOf(wrapped);
            for (const b of batches) {
              const perPair = Math.max(1, m);
              expect(b.negatives!.length).toBe(b.users.length * perPair);
              for (let p = 0; p < b.users.length; p++) {
                const u = b.users[p]!;
                expect(d.value[u]![b.positives[p]!]!).toBeGreaterThan(0);
                for (let t = 0; t < perPair; t++) {
                  const j = b.negatives![p * perPair + t]!;
                  expect(j).toBeGreaterThanOrEqual(0);
                  expect(j).toBeLessThan(I);
                  expect(d.real[u]![j]!).toBe(false);
                  if (policy === 'non-interacted') expect(d.value[u]![j]!).toBe(0);
                }
              }
            }
          }
        },
      ),
      { numRuns: 60, seed: 42 },
    );
  });

  it("default policy is 'non-real': virtual items do occur as negatives", async () => {
    const d = randomDense(3, 4, 6, 0.2, 0.6);
    const wrapped = withVirtualInteractions(loaderFor(d), resultFromDense(d));
    let virtualNegatives = 0;
    for (let e = 0; e < 30; e++) {
      for (const b of await epochOf(wrapped)) {
        b.negatives!.forEach((j, p) => {
          const u = b.users[p]!;
          expect(d.real[u]![j]!).toBe(false);
          if (d.value[u]![j]! > 0) virtualNegatives++;
        });
      }
    }
    expect(virtualNegatives).toBeGreaterThan(0);
  });

  it('negatives are uniform over the allowed items (chi-square)', async () => {
    // One user, real {0}, virtual {1, 2}; 'non-real' allows 1…9 (9 items), 'non-interacted' 3…9.
    const value = [[1, 0.5, 0.5, 0, 0, 0, 0, 0, 0, 0]];
    const real = [[true, false, false, false, false, false, false, false, false, false]];
    const d: DenseRbar = { numUsers: 1, numItems: 10, value, real };
    for (const policy of ['non-real', 'non-interacted'] as const) {
      const allowed = policy === 'non-real' ? [1, 2, 3, 4, 5, 6, 7, 8, 9] : [3, 4, 5, 6, 7, 8, 9];
      const base = pairLoader({
        numUsers: 1,
        numItems: 10,
        users: new Array<number>(50).fill(0),
        items: new Array<number>(50).fill(0),
        seed: 3,
      });
      const wrapped = withVirtualInteractions(base, resultFromDense(d), { negatives: policy, seed: 9 });
      const hist = new Array<number>(10).fill(0);
      let n = 0;
      for (let e = 0; e < 60; e++) {
        for (const b of await epochOf(wrapped)) {
          for (const j of b.negatives!) {
            hist[j]!++;
            n++;
          }
        }
      }
      const expected = n / allowed.length;
      let chi2 = 0;
      for (let j = 0; j < 10; j++) {
        if (allowed.includes(j)) chi2 += (hist[j]! - expected) ** 2 / expected;
        else expect(hist[j]).toBe(0);
      }
      // df ≤ 8: P(chi2 > 30) < 3e-4.
      expect(chi2).toBeLessThan(30);
    }
  });
});

describe('withVirtualInteractions: matrices', () => {
  const d = randomDense(21, 9, 14, 0.2, 0.3, 2);
  const result = resultFromDense(d);

  it('interactionMatrix() equals R̄ (weighted) and its support (binary)', () => {
    const weighted = withVirtualInteractions(loaderFor(d), result).interactionMatrix();
    const binary = withVirtualInteractions(loaderFor(d), result, { graph: 'binary' }).interactionMatrix();
    expect(weighted.numUsers).toBe(9);
    expect(weighted.numItems).toBe(14);
    const dw = toDense(weighted);
    const db = toDense(binary);
    for (let u = 0; u < 9; u++) {
      for (let i = 0; i < 14; i++) {
        expect(dw[u]![i]!).toBeCloseTo(d.value[u]![i]!, 6);
        expect(db[u]![i]!).toBe(d.value[u]![i]! > 0 ? 1 : 0);
      }
    }
  });

  it("inject: 'pairs' keeps the original matrix; 'graph' keeps the real pair stream", async () => {
    const base = loaderFor(d);
    const pairsOnly = withVirtualInteractions(base, result, { inject: 'pairs' });
    expect(toDense(pairsOnly.interactionMatrix())).toEqual(toDense(base.interactionMatrix()));
    const graphOnly = withVirtualInteractions(loaderFor(d), result, { inject: 'graph', seed: 4 });
    const dw = toDense(graphOnly.interactionMatrix());
    for (let u = 0; u < 9; u++) for (let i = 0; i < 14; i++) expect(dw[u]![i]!).toBeCloseTo(d.value[u]![i]!, 6);
    const pairs = (await epochOf(graphOnly)).flatMap((b) => Array.from(b.users, (u, p) => `${u}:${b.positives[p]}`));
    const { users, items } = realPairs(d);
    expect(pairs.sort()).toEqual(users.map((u, p) => `${u}:${items[p]}`).sort());
    const virtualSeen = (await epochOf(pairsOnly)).some((b) => Array.from(b.users).some((u, p) => !d.real[u]![b.positives[p]!]));
    expect(virtualSeen).toBe(true);
  });

  it('evaluationMask() is exactly the real items when the loader has none', () => {
    const { users, items } = realPairs(d);
    const base = fixedLoader(9, 14, [{ users: Int32Array.from(users), positives: Int32Array.from(items) }]);
    expect(base.evaluationMask).toBeUndefined();
    const mask = toDense(withVirtualInteractions(base, result).evaluationMask!());
    for (let u = 0; u < 9; u++) for (let i = 0; i < 14; i++) expect(mask[u]![i]).toBe(d.real[u]![i] ? 1 : 0);
  });

  it("evaluationMask() is the loader's own when it has one (never virtual)", () => {
    const base = loaderFor(d);
    const own = toDense(base.evaluationMask());
    const mask = toDense(withVirtualInteractions(base, result).evaluationMask());
    expect(mask).toEqual(own);
    for (let u = 0; u < 9; u++) for (let i = 0; i < 14; i++) expect(mask[u]![i]).toBe(d.real[u]![i] ? 1 : 0);
  });
});

describe('withVirtualInteractions: determinism and order', () => {
  const d = randomDense(8, 10, 16, 0.2, 0.3);
  const result = resultFromDense(d);
  const flat = (bs: PairBatch[]) => bs.map((b) => [Array.from(b.users), Array.from(b.positives), Array.from(b.negatives ?? [])]);

  it('same seed → identical batches epoch by epoch; epochs and seeds differ', async () => {
    const a = withVirtualInteractions(loaderFor(d), result, { seed: 17 });
    const b = withVirtualInteractions(loaderFor(d), result, { seed: 17 });
    const c = withVirtualInteractions(loaderFor(d), result, { seed: 18 });
    const ea = [flat(await epochOf(a)), flat(await epochOf(a)), flat(await epochOf(a))];
    const eb = [flat(await epochOf(b)), flat(await epochOf(b)), flat(await epochOf(b))];
    const ec = flat(await epochOf(c));
    expect(ea).toEqual(eb);
    expect(ea[0]).not.toEqual(ea[1]);
    expect(ea[1]).not.toEqual(ea[2]);
    expect(ec).not.toEqual(ea[0]);
    // An iterator that is created but never read does not use up an epoch.
    const f = withVirtualInteractions(loaderFor(d), result, { seed: 17 });
    f[Symbol.asyncIterator]();
    expect(flat(await epochOf(f))).toEqual(ea[0]);
  });

  it("keeps the real pairs' order and the original batch size", async () => {
    const base = loaderFor(d, 6, 4, false);
    const original = (await epochOf(loaderFor(d, 6, 4, false))).flatMap((b) => Array.from(b.users, (u, p) => `${u}:${b.positives[p]}`));
    const batches = await epochOf(withVirtualInteractions(base, result, { seed: 2 }));
    const seenReal: string[] = [];
    let total = 0;
    batches.forEach((b, t) => {
      if (t < batches.length - 1) expect(b.users.length).toBe(6);
      else expect(b.users.length).toBeLessThanOrEqual(6);
      total += b.users.length;
      b.users.forEach((u, p) => {
        if (d.real[u]![b.positives[p]!]) seenReal.push(`${u}:${b.positives[p]}`);
      });
    });
    expect(seenReal).toEqual(original);
    expect(total).toBeGreaterThan(original.length);
    const sized = await epochOf(withVirtualInteractions(loaderFor(d, 6, 4, false), result, { batchSize: 4 }));
    expect(sized.slice(0, -1).every((b) => b.users.length === 4)).toBe(true);
  });

  it('virtual pairs are spread over the epoch, not appended at the end', async () => {
    const big = randomDense(30, 30, 40, 0.1, 0.2);
    const wrapped = withVirtualInteractions(loaderFor(big, 16), resultFromDense(big), { seed: 1 });
    const positions: number[] = [];
    let pos = 0;
    let n = 0;
    for (const b of await epochOf(wrapped)) {
      b.users.forEach((u, p) => {
        if (!big.real[u]![b.positives[p]!]) positions.push(pos);
        pos++;
      });
      n += b.users.length;
    }
    const meanPos = positions.reduce((s, x) => s + x, 0) / positions.length;
    // Uniform positions over [0, n): mean (n−1)/2, sd ≈ n/sqrt(12 · count).
    expect(Math.abs(meanPos - (n - 1) / 2)).toBeLessThan((4 * n) / Math.sqrt(12 * positions.length));
  });
});

describe('withVirtualInteractions: weights', () => {
  it('exposes max(1, R̄) per pair (times the original weight), only when asked', async () => {
    const d = randomDense(5, 8, 12, 0.25, 0.4, 2);
    const result = resultFromDense(d);
    const plain = await epochOf(withVirtualInteractions(loaderFor(d), result));
    expect(plain.every((b) => b.weights === undefined)).toBe(true);
    const { users, items } = realPairs(d);
    const orig = Float32Array.from(users, (_, p) => 0.5 + (p % 3));
    const base = fixedLoader(8, 12, [{ users: Int32Array.from(users), positives: Int32Array.from(items), weights: orig }]);
    const batches = await epochOf(withVirtualInteractions(base, result, { exposeWeights: true, seed: 3 }));
    let realSeen = 0;
    for (const b of batches) {
      b.users.forEach((u, p) => {
        const i = b.positives[p]!;
        if (d.real[u]![i]) {
          const k = users.findIndex((x, q) => x === u && items[q] === i);
          expect(b.weights![p]).toBeCloseTo(orig[k]! * Math.max(1, d.value[u]![i]!), 5);
          realSeen++;
        } else {
          expect(b.weights![p]).toBeCloseTo(Math.max(1, d.value[u]![i]!), 5);
        }
      });
    }
    expect(realSeen).toBe(users.length);
    // Without exposeWeights the original weights pass through for real pairs; virtual pairs get 1.
    const passthrough = await epochOf(withVirtualInteractions(base, result, { seed: 3 }));
    for (const b of passthrough) {
      b.users.forEach((u, p) => {
        const i = b.positives[p]!;
        const k = users.findIndex((x, q) => x === u && items[q] === i);
        expect(b.weights![p]).toBeCloseTo(d.real[u]![i] ? orig[k]! : 1, 6);
      });
    }
  });
});

class CustomLoader implements TrainingLoader {
  readonly numUsers: number;
  readonly numItems: number;
  readonly label = 'custom';
  #pairs: { users: Int32Array; positives: Int32Array };
  #epochsStarted = 0;
  constructor(d: DenseRbar) {
    this.numUsers = d.numUsers;
    this.numItems = d.numItems;
    const { users, items } = realPairs(d);
    this.#pairs = { users: Int32Array.from(users), positives: Int32Array.from(items) };
  }
  get epochsStarted(): number {
    return this.#epochsStarted;
  }
  describe(): string {
    return `${this.label}: ${this.#pairs.users.length} pairs`;
  }
  async countPairs(): Promise<number> {
    await Promise.resolve();
    return this.#pairs.users.length;
  }
  shout(): string {
    return this.label.toUpperCase();
  }
  graphEntries(): number {
    return (this as TrainingLoader).interactionMatrix?.().items.length ?? -1;
  }
  /** Pairs of one epoch, by iterating `this` (no private state). */
  async countByIterating(): Promise<number> {
    let n = 0;
    for await (const b of this) n += b.users.length;
    return n;
  }
  fail(): never {
    throw new TypeError('not private');
  }
  async *[Symbol.asyncIterator](): AsyncIterator<PairBatch> {
    this.#epochsStarted++;
    yield this.#pairs;
  }
}

describe('withVirtualInteractions: the wrapper is the loader', () => {
  const d = randomDense(2, 5, 9, 0.3, 0.3);
  const result = resultFromDense(d);

  it('keeps the static type', () => {
    const loader = pairLoader({ numUsers: 5, numItems: 9, ...realPairs(d) });
    const wrapped = withVirtualInteractions(loader, result);
    expectTypeOf(wrapped).toEqualTypeOf<typeof loader>();
    const custom = new CustomLoader(d);
    expectTypeOf(withVirtualInteractions(custom, result)).toEqualTypeOf<CustomLoader>();
  });

  it('forwards extra properties, getters and methods (this = the wrapper), instanceof; passThrough runs members on the original', async () => {
    const custom = new CustomLoader(d);
    const wrapped = withVirtualInteractions(custom, result, { passThrough: ['describe', 'epochsStarted'] });
    expect(wrapped).toBeInstanceOf(CustomLoader);
    expect(wrapped.label).toBe('custom');
    expect(wrapped.describe()).toBe(custom.describe());
    expect(wrapped.describe).toBe(wrapped.describe);
    expect(wrapped.shout()).toBe('CUSTOM');
    expect(wrapped.shout).toBe(wrapped.shout);
    expect(wrapped.epochsStarted).toBe(0);
    await epochOf(wrapped);
    await epochOf(wrapped);
    expect(wrapped.epochsStarted).toBe(2);
    expect(custom.epochsStarted).toBe(2);
    // The wrapper adds both matrices even when the loader's type has none.
    expect('interactionMatrix' in wrapped).toBe(true);
    expect(typeof (wrapped as TrainingLoader).evaluationMask).toBe('function');
    // A method asking `this` for the matrix gets R̄ (the wrapper's), not the original's.
    expect(wrapped.graphEntries()).toBe(result.matrix.items.length);
    const extra = wrapped as CustomLoader & { note?: string };
    extra.note = 'x';
    expect((custom as CustomLoader & { note?: string }).note).toBe('x');
  });

  it('a member that reads private state throws, naming it, instead of describing the real pairs only', async () => {
    const wrapped = withVirtualInteractions(new CustomLoader(d), result);
    const error = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const method = error(() => wrapped.describe());
    expect(isViMmrecError(method, 'INVALID_ARGUMENT')).toBe(true);
    expect((method as Error).message).toMatch(/^loader\.describe\(\) reads the loader's private state .*passThrough: \['describe'\]/);
    expect((method as Error).cause).toBeInstanceOf(TypeError);
    const getter = error(() => wrapped.epochsStarted);
    expect((getter as Error).message).toMatch(/^loader\.epochsStarted reads the loader's private state/);
    const rejected = await wrapped.countPairs().catch((e: unknown) => e);
    expect((rejected as Error).message).toMatch(/^loader\.countPairs\(\) reads the loader's private state/);
    // Other errors pass unchanged; members that need no private state work, and iterating
    // `this` gives the augmented epoch even though the loader's own iterator reads #pairs.
    expect(error(() => wrapped.fail())).toEqual(new TypeError('not private'));
    expect(wrapped.shout()).toBe('CUSTOM');
    const reference = withVirtualInteractions(new CustomLoader(d), result);
    const n = (await epochOf(reference)).reduce((s, b) => s + b.users.length, 0);
    expect(n).toBeGreaterThan(realPairs(d).users.length);
    expect(await wrapped.countByIterating()).toBe(n);
    // A frozen batchSize that the batchSize option contradicts is refused.
    const frozen = Object.freeze(Object.assign(new CustomLoader(d), { batchSize: 4 }));
    expect(() => withVirtualInteractions(frozen, result, { batchSize: 3 }).batchSize).toThrow(/^loader\.batchSize is frozen at 4/);
    expect(withVirtualInteractions(frozen, result, { batchSize: 4 }).batchSize).toBe(4);
  });
});

/** A loader that iterates itself: its own methods and getters count the epoch by iterating `this`. */
class SelfIteratingLoader implements TrainingLoader {
  readonly numUsers: number;
  readonly numItems: number;
  readonly batchSize: number;
  readonly users: Int32Array;
  readonly positives: Int32Array;
  constructor(d: DenseRbar, batchSize: number) {
    this.numUsers = d.numUsers;
    this.numItems = d.numItems;
    this.batchSize = batchSize;
    const { users, items } = realPairs(d);
    this.users = Int32Array.from(users);
    this.positives = Int32Array.from(items);
  }
  *[Symbol.iterator](): Generator<PairBatch, void, undefined> {
    for (let s = 0; s < this.users.length; s += this.batchSize) {
      yield { users: this.users.subarray(s, s + this.batchSize), positives: this.positives.subarray(s, s + this.batchSize) };
    }
  }
  async *[Symbol.asyncIterator](): AsyncIterator<PairBatch> {
    yield* this[Symbol.iterator]();
  }
  async forEachBatch(fn: (b: PairBatch) => void): Promise<number> {
    let n = 0;
    for await (const b of this) {
      fn(b);
      n++;
    }
    return n;
  }
  /** Batches of one epoch. */
  steps(): number {
    return [...this].length;
  }
  /** Pairs of one epoch. */
  get length(): number {
    let n = 0;
    for (const b of this) n += b.users.length;
    return n;
  }
  /** Batches of one epoch, from `length` and `batchSize`. */
  stepsFromLength(): number {
    return Math.ceil(this.length / this.batchSize);
  }
}

describe('withVirtualInteractions: a loader that iterates itself sees the augmented epoch', () => {
  // Virtual weights up to 2.02: many virtual pairs are drawn every epoch (those ≥ 1 always).
  const d = randomDense(12, 6, 10, 0.25, 0.45, 2);
  const result = resultFromDense(d);
  const { users, items } = realPairs(d);
  const key = (b: PairBatch) => Array.from(b.users, (u, p) => `${u}:${b.positives[p]}`);
  /** Reference epochs: the same wrapper over a plain loader that never iterates itself. */
  async function referenceEpochs(n: number, options: { seed: number; batchSize?: number }): Promise<PairBatch[][]> {
    const batches: PairBatch[] = [];
    for (let s = 0; s < users.length; s += 4) {
      batches.push({ users: Int32Array.from(users.slice(s, s + 4)), positives: Int32Array.from(items.slice(s, s + 4)) });
    }
    const ref = withVirtualInteractions(fixedLoader(d.numUsers, d.numItems, batches), result, options);
    const out: PairBatch[][] = [];
    for (let e = 0; e < n; e++) out.push(await epochOf(ref));
    return out;
  }
  const pairsOf = (epoch: PairBatch[]) => epoch.reduce((s, b) => s + b.users.length, 0);

  it('reference epochs: every real pair once plus virtual pairs of R̄, so more pairs and steps than the real ones', async () => {
    for (const epoch of await referenceEpochs(5, { seed: 7 })) {
      const seen = epoch.flatMap(key);
      const real = seen.filter((k) => {
        const [u, i] = k.split(':').map(Number);
        expect(d.value[u!]![i!]!).toBeGreaterThan(0);
        return d.real[u!]![i!];
      });
      expect(real.sort()).toEqual(users.map((u, p) => `${u}:${items[p]}`).sort());
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.length).toBeGreaterThan(users.length);
      expect(epoch.length).toBeGreaterThan(Math.ceil(users.length / 4));
    }
  });

  it('steps(), length, forEachBatch() and for…of of the wrapper follow the augmented epochs', async () => {
    const original = new SelfIteratingLoader(d, 4);
    expect(original.steps()).toBe(Math.ceil(users.length / 4));
    expect(original.length).toBe(users.length);
    const wrapped = withVirtualInteractions(original, result, { seed: 7 });
    const ref = await referenceEpochs(6, { seed: 7 });
    expect(wrapped.steps()).toBe(ref[0]!.length); // epoch 0, through the sync iterator
    expect(wrapped.length).toBe(pairsOf(ref[1]!)); // epoch 1
    const seen: PairBatch[] = [];
    expect(await wrapped.forEachBatch((b) => seen.push(b))).toBe(ref[2]!.length); // epoch 2, async
    expect(seen).toEqual(ref[2]);
    expect([...wrapped]).toEqual(ref[3]); // epoch 3
    expect(await epochOf(wrapped)).toEqual(ref[4]); // epoch 4
    expect(wrapped.stepsFromLength()).toBe(ref[5]!.length); // epoch 5
    // The original is untouched: its own members still count the real pairs.
    expect(original.steps()).toBe(Math.ceil(users.length / 4));
    expect(original.length).toBe(users.length);
  });

  it("with the batchSize option, the loader's batchSize reads as it and steps follow", async () => {
    const wrapped = withVirtualInteractions(new SelfIteratingLoader(d, 4), result, { seed: 7, batchSize: 3 });
    expect(wrapped.batchSize).toBe(3);
    const ref = await referenceEpochs(2, { seed: 7, batchSize: 3 });
    expect(wrapped.stepsFromLength()).toBe(ref[0]!.length);
    expect(wrapped.steps()).toBe(ref[1]!.length);
  });

  it('a fixed epoch count (a plain value) throws, naming it, unless passed through', () => {
    const base = pairLoader({ numUsers: d.numUsers, numItems: d.numItems, users, items });
    const wrapped = withVirtualInteractions(base, result);
    expect(() => wrapped.numPairs).toThrow(
      /^loader\.numPairs is a fixed value of the original loader, which counts the real pairs only.*passThrough: \['numPairs'\]/,
    );
    const counted = Object.assign(new SelfIteratingLoader(d, 4), { numBatches: 3 });
    expect(() => withVirtualInteractions(counted, result).numBatches).toThrow(/^loader\.numBatches is a fixed value/);
    expect(withVirtualInteractions(base, result, { passThrough: ['numPairs'] }).numPairs).toBe(users.length);
  });
});

describe('withVirtualInteractions: errors', () => {
  const d = randomDense(4, 4, 7, 0.3, 0.3);
  const result = resultFromDense(d);

  it('rejects an epoch whose pair is not a real pair of the result', async () => {
    const virtual = d.value.flatMap((r, u) => r.map((w, i) => ({ u, i, w })).filter((x) => x.w > 0 && !d.real[x.u]![x.i]));
    const v = virtual[0]!;
    const base = fixedLoader(4, 7, [{ users: Int32Array.of(v.u), positives: Int32Array.of(v.i) }]);
    const err = await epochOf(withVirtualInteractions(base, result)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidDataError);
    expect(String((err as Error).message)).toContain(`(user ${v.u}, item ${v.i})`);
  });

  it('rejects bad options, size mismatches, double wrapping and impossible negatives', () => {
    const base = loaderFor(d);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isViMmrecError(e, 'INVALID_ARGUMENT') ? (e as InvalidArgumentError).option : 'other';
      }
      return 'none';
    };
    expect(code(() => withVirtualInteractions(base, result, { negatives: 'all' as never }))).toBe('negatives');
    expect(code(() => withVirtualInteractions(base, result, { graph: 'dense' as never }))).toBe('graph');
    expect(code(() => withVirtualInteractions(base, result, { batchSize: 0 }))).toBe('batchSize');
    expect(code(() => withVirtualInteractions(base, result, { inject: 'none' as never }))).toBe('inject');
    expect(code(() => withVirtualInteractions(base, result, { seed: 1.5 }))).toBe('seed');
    expect(code(() => withVirtualInteractions(base, result, { passThrough: ['interactionMatrix'] }))).toBe('passThrough');
    expect(code(() => withVirtualInteractions(base, result, { passThrough: [Symbol.asyncIterator] }))).toBe('passThrough');
    expect(code(() => withVirtualInteractions(base, result, { passThrough: 'describe' as never }))).toBe('passThrough');
    expect(code(() => withVirtualInteractions(fixedLoader(5, 7, []), result))).toBe('result');
    expect(code(() => withVirtualInteractions(withVirtualInteractions(base, result), result))).toBe('loader');
    // A user whose row of R̄ covers every item has no 'non-interacted' negative.
    const full: DenseRbar = { numUsers: 1, numItems: 3, value: [[1, 0.5, 0.5]], real: [[true, false, false]] };
    const fl = fixedLoader(1, 3, [{ users: Int32Array.of(0), positives: Int32Array.of(0) }]);
    expect(code(() => withVirtualInteractions(fl, resultFromDense(full), { negatives: 'non-interacted' }))).toBe('negatives');
    expect(code(() => withVirtualInteractions(fl, resultFromDense(full)))).toBe('none');
  });
});
