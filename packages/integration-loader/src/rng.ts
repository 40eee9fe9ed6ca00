import { InvalidArgumentError } from '@vi-mmrec/core';

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Checks a seed option (a safe integer). @internal */
export function checkSeed(seed: unknown, option = 'seed'): number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new InvalidArgumentError(option, `${option} must be a safe integer, got ${String(seed)}.`);
  }
  return seed;
}

/**
 * Small seeded PRNG (sfc32) with independent streams: `new Rng(seed, stream, domain)`, e.g.
 * one stream per epoch and one domain per consumer (so a loader and its wrapper never share
 * a sequence even under the same seed). Not cryptographic. @internal
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream: number, domain = 0) {
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 4294967296) >>> 0;
    this.a = mix32(lo ^ mix32(domain ^ 0x9e3779b9));
    this.b = mix32(hi ^ this.a ^ 0x85ebca6b);
    this.c = mix32((stream >>> 0) ^ this.b ^ 0xc2b2ae35);
    this.d = mix32(Math.floor(stream / 4294967296) ^ this.c ^ 0x27d4eb2f) | 1;
    for (let t = 0; t < 16; t++) this.nextU32();
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n), n ≥ 1 (relative bias at most n / 2^53). */
  nextInt(n: number): number {
    return Math.floor(this.nextFloat() * n);
  }
}
