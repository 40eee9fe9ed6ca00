/** A seeded pseudo-random generator (mulberry32): deterministic across platforms. */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number;
  /** Uniform float in [lo, hi). */
  float(lo: number, hi: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** A uniformly chosen element of a non-empty array. */
  pick<T>(values: readonly T[]): T;
  /** Shuffles `values` in place (Fisher–Yates) and returns it. */
  shuffle<T>(values: T[]): T[];
}

/** Mixes a 32-bit seed (splitmix32) so that nearby seeds give unrelated streams. */
export function splitmix32(seed: number): number {
  let z = (seed + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Creates a mulberry32 generator from `seed` (any integer). */
export function createRng(seed: number): Rng {
  let state = splitmix32(seed);
  const next = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1));
  return {
    next,
    int,
    float: (lo, hi) => lo + next() * (hi - lo),
    chance: (p) => next() < p,
    pick: <T>(values: readonly T[]): T => {
      if (values.length === 0) throw new RangeError('pick() needs a non-empty array');
      return values[int(0, values.length - 1)]!;
    },
    shuffle: <T>(values: T[]): T[] => {
      for (let i = values.length - 1; i > 0; i--) {
        const j = int(0, i);
        const t = values[i]!;
        values[i] = values[j]!;
        values[j] = t;
      }
      return values;
    },
  };
}
