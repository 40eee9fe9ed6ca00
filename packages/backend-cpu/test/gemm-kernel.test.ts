import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FilterFn, type GemmFn, KERNEL, type KernelShape, buildGemmModule, jsFilter, jsGemm } from '../src/gemm-kernel.js';
import { sleb, uleb } from '../src/wasm-encoder.js';
import { wasmApi } from '../src/wasm-api.js';
import { rng } from './helpers.js';

const wasm = wasmApi()!;

describe('wasm encoder', () => {
  it('encodes LEB128 as the spec examples', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(uleb(65536)).toEqual([0x80, 0x80, 0x04]);
    expect(sleb(0)).toEqual([0]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-64)).toEqual([0x40]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
  });

  it('produces a module the runtime validates, for every supported shape', () => {
    for (const shape of [KERNEL, { panelWidth: 8, mr: 4, nr: 8, unroll: 4 }, { panelWidth: 24, mr: 6, nr: 8, unroll: 2 }]) {
      expect(wasm.validate(buildGemmModule(shape))).toBe(true);
    }
  });

  it('rejects inconsistent shapes', () => {
    expect(() => buildGemmModule({ panelWidth: 24, mr: 5, nr: 8, unroll: 4 })).toThrow(RangeError);
    expect(() => buildGemmModule({ panelWidth: 24, mr: 4, nr: 6, unroll: 4 })).toThrow(RangeError);
  });
});

/** Packs row-major `rows × dim` into the panel layout at float offset `base`. */
function pack(f32: Float32Array, base: number, x: Float32Array, rows: number, dim: number, W: number): void {
  for (let i = 0; i < rows; i++) {
    const panel = base + Math.floor(i / W) * W * dim;
    for (let c = 0; c < dim; c++) f32[panel + c * W + (i % W)] = x[i * dim + c]!;
  }
}

interface Case {
  rowsA: number;
  rowsB: number;
  dim: number;
  kc: number;
  seed: number;
}

/**
 * Runs a kernel on random A (rowsA × dim), B (rowsB × dim), chaining column chunks of `kc`,
 * and returns C (rowsA × rowsB, padded) plus the inputs.
 */
function runKernel(kind: 'wasm' | 'js', shape: KernelShape, { rowsA, rowsB, dim, kc, seed }: Case) {
  const W = shape.panelWidth;
  const random = rng(seed);
  const a = Float32Array.from({ length: rowsA * dim }, () => random() * 2 - 1);
  const b = Float32Array.from({ length: rowsB * dim }, () => random() * 2 - 1);
  const panelsA = Math.ceil(rowsA / W);
  const panelsB = Math.ceil(rowsB / W);
  const mPad = panelsA * W;
  const nPad = panelsB * W;
  const aBase = 16; // floats; leave a guard at address 0
  const bBase = aBase + panelsA * W * dim;
  const cBase = bBase + panelsB * W * dim;
  const floats = cBase + mPad * nPad + 16;
  const pages = Math.ceil((floats * 4) / 65536);
  const memory = new wasm.Memory({ initial: pages, maximum: pages, shared: true });
  const f32 = new Float32Array(memory.buffer);
  pack(f32, aBase, a, rowsA, dim, W);
  pack(f32, bBase, b, rowsB, dim, W);
  f32.fill(Number.NaN, cBase, cBase + mPad * nPad); // must be overwritten (first chunk stores)
  f32[cBase + mPad * nPad] = 12345; // guard after C
  const gemm: GemmFn =
    kind === 'wasm'
      ? (new wasm.Instance(new wasm.Module(buildGemmModule(shape)), { env: { memory } }).exports.gemm as GemmFn)
      : jsGemm(f32, shape);
  const ps = dim * W * 4;
  for (let k0 = 0; k0 < dim; k0 += kc) {
    gemm(
      (aBase + k0 * W) * 4,
      (bBase + k0 * W) * 4,
      cBase * 4,
      Math.min(kc, dim - k0),
      mPad / shape.mr,
      nPad / shape.nr,
      nPad * 4,
      ps,
      k0 === 0 ? 1 : 0,
    );
  }
  expect(f32[cBase + mPad * nPad]).toBe(12345);
  return { a, b, c: f32.slice(cBase, cBase + mPad * nPad), nPad, mPad };
}

const caseArb = fc.record({
  rowsA: fc.integer({ min: 1, max: 60 }),
  rowsB: fc.integer({ min: 1, max: 60 }),
  dim: fc.integer({ min: 1, max: 70 }),
  kc: fc.integer({ min: 1, max: 80 }),
  seed: fc.integer(),
});

describe('GEMM kernel', () => {
  const shapes: KernelShape[] = [KERNEL, { panelWidth: 8, mr: 4, nr: 8, unroll: 4 }, { panelWidth: 24, mr: 6, nr: 8, unroll: 3 }];

  it.each(shapes.map((s) => [`${s.mr}x${s.nr}/W${s.panelWidth}/U${s.unroll}`, s] as const))(
    'matches a float64 reference of A·Bᵀ (%s), including padding rows and columns',
    (_, shape) => {
      fc.assert(
        fc.property(caseArb, (cse) => {
          const { a, b, c, nPad, mPad } = runKernel('wasm', shape, cse);
          for (let i = 0; i < mPad; i++) {
            for (let j = 0; j < nPad; j++) {
              let ref = 0;
              let mag = 0;
              if (i < cse.rowsA && j < cse.rowsB) {
                for (let q = 0; q < cse.dim; q++) {
                  ref += a[i * cse.dim + q]! * b[j * cse.dim + q]!;
                  mag += Math.abs(a[i * cse.dim + q]! * b[j * cse.dim + q]!);
                }
              }
              // float32 accumulation error bound: ~dim · 2^-24 · Σ|products|.
              expect(Math.abs(c[i * nPad + j]! - ref)).toBeLessThanOrEqual((cse.dim + 2) * 2 ** -23 * mag + 1e-30);
            }
          }
        }),
        { numRuns: 40 },
      );
    },
  );

  it('fixed case: dim 4096 in chunks of 256 (the real shape) matches float64', () => {
    const cse = { rowsA: 30, rowsB: 50, dim: 4096, kc: KERNEL.kc, seed: 7 };
    const { a, b, c, nPad } = runKernel('wasm', KERNEL, cse);
    for (let i = 0; i < cse.rowsA; i++) {
      for (let j = 0; j < cse.rowsB; j++) {
        let ref = 0;
        for (let q = 0; q < cse.dim; q++) ref += a[i * cse.dim + q]! * b[j * cse.dim + q]!;
        expect(Math.abs(c[i * nPad + j]! - ref)).toBeLessThan(1e-3);
      }
    }
  });

  it('scalar JS twin is bit-identical to the SIMD kernel', () => {
    fc.assert(
      fc.property(caseArb, (cse) => {
        const w = runKernel('wasm', KERNEL, cse);
        const j = runKernel('js', KERNEL, cse);
        expect(Array.from(j.c)).toEqual(Array.from(w.c));
      }),
      { numRuns: 25 },
    );
  });

  it('is symmetric bit for bit: (A·Aᵀ)[i][j] === (A·Aᵀ)[j][i]', () => {
    const cse = { rowsA: 53, rowsB: 53, dim: 301, kc: 64, seed: 3 };
    const random = rng(cse.seed);
    // Same matrix on both sides: reuse A as B by running with identical seeds for both.
    const W = KERNEL.panelWidth;
    const x = Float32Array.from({ length: cse.rowsA * cse.dim }, () => random() * 2 - 1);
    const pad = Math.ceil(cse.rowsA / W) * W;
    const base = 16;
    const cBase = base + pad * cse.dim;
    const memory = new wasm.Memory({ initial: 8, maximum: 8, shared: true });
    const f32 = new Float32Array(memory.buffer);
    pack(f32, base, x, cse.rowsA, cse.dim, W);
    const gemm = new wasm.Instance(new wasm.Module(buildGemmModule()), { env: { memory } }).exports.gemm as GemmFn;
    for (let k0 = 0; k0 < cse.dim; k0 += cse.kc) {
      gemm(
        (base + k0 * W) * 4,
        (base + k0 * W) * 4,
        cBase * 4,
        Math.min(cse.kc, cse.dim - k0),
        pad / KERNEL.mr,
        pad / KERNEL.nr,
        pad * 4,
        cse.dim * W * 4,
        k0 === 0 ? 1 : 0,
      );
    }
    for (let i = 0; i < cse.rowsA; i++) for (let j = 0; j < i; j++) expect(f32[cBase + i * pad + j]).toBe(f32[cBase + j * pad + i]);
  });
});

describe('threshold filter kernel', () => {
  it('records exactly the 8-column chunks with a score ≥ the row or the column threshold (wasm and JS twin)', () => {
    fc.assert(
      fc.property(
        fc.record({
          rows: fc.integer({ min: 1, max: 30 }),
          chunks: fc.integer({ min: 1, max: 6 }),
          seed: fc.integer(),
          infShare: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
        ({ rows, chunks, seed, infShare }) => {
          const random = rng(seed);
          const cols = chunks * 8;
          const ld = cols + 8; // row stride larger than the scanned width
          const sAt = 16;
          const rowAt = sAt + rows * ld;
          const colAt = rowAt + rows;
          const outAt = colAt + cols;
          const memory = new wasm.Memory({ initial: 1, maximum: 1, shared: true });
          const f32 = new Float32Array(memory.buffer);
          const i32 = new Int32Array(memory.buffer);
          // Scores on a coarse grid so that equality with a threshold happens.
          for (let x = 0; x < rows * ld; x++) f32[sAt + x] = Math.round(random() * 8) / 8 - 0.5;
          const thr = (): number => (random() < infShare ? Infinity : random() < 0.2 ? -Infinity : Math.round(random() * 8) / 8 - 0.3);
          for (let i = 0; i < rows; i++) f32[rowAt + i] = thr();
          for (let j = 0; j < cols; j++) f32[colAt + j] = thr();
          const expected: number[] = [];
          for (let i = 0; i < rows; i++) {
            for (let j = 0; j < cols; j += 8) {
              let hit = false;
              for (let x = j; x < j + 8; x++) {
                const v = f32[sAt + i * ld + x]!;
                if (v >= f32[rowAt + i]! || v >= f32[colAt + x]!) hit = true;
              }
              if (hit) expected.push(i, j);
            }
          }
          const filter = new wasm.Instance(new wasm.Module(buildGemmModule()), { env: { memory } }).exports.filter as FilterFn;
          for (const fn of [filter, jsFilter(f32)]) {
            i32.fill(-7, outAt, outAt + 2 * rows * chunks + 2);
            const n = fn(sAt * 4, ld * 4, rows, cols, rowAt * 4, colAt * 4, outAt * 4);
            expect(n).toBe(expected.length / 2);
            expect(Array.from(i32.subarray(outAt, outAt + 2 * n))).toEqual(expected);
            expect(i32[outAt + 2 * n]).toBe(-7); // nothing written past the hits
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
