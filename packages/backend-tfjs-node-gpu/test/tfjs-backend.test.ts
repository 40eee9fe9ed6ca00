import { AbortedError, BackendDisposedError, BackendInitError, InvalidArgumentError } from '@vi-mmrec/core';
import type { NeighbourSearchRequest, NeighbourTable } from '@vi-mmrec/core/backend';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type TfModule, tfjsNodeGpuBackend } from '../src/index.js';
import { type RefTable, referenceSearch } from './reference.js';
import { tf, wasmTf } from './wasm-tf.js';

beforeAll(async () => {
  await wasmTf();
});

const backend = (options: { blockRows?: number; tf?: TfModule } = {}) =>
  tfjsNodeGpuBackend({ tf: options.tf ?? tf, backendName: 'wasm', ...(options.blockRows === undefined ? {} : { blockRows: options.blockRows }) });

/** Runs a search and checks that no tensor outlives it. */
async function search(
  req: NeighbourSearchRequest,
  options: { blockRows?: number; tf?: TfModule } = {},
): Promise<NeighbourTable[]> {
  const b = backend(options);
  await b.init();
  const before = tf.memory().numTensors;
  const tables = await b.searchNeighbours(req);
  expect(tf.memory().numTensors).toBe(before);
  await b.dispose();
  return tables;
}

/** Values as a plain array with -0 read as 0. */
const plain = (a: ArrayLike<number>): number[] => Array.from(a, (v) => (v === 0 ? 0 : v));

/** Exact comparison: used where every float32 operation is exact (scores are multiples of 1/16). */
function expectExact(tables: NeighbourTable[], refs: RefTable[]): void {
  expect(tables).toHaveLength(refs.length);
  tables.forEach((t, o) => {
    const ref = refs[o]!;
    expect(t.k).toBe(ref.k);
    expect(Array.from(t.indices)).toEqual(Array.from(ref.indices));
    expect(plain(t.scores)).toEqual(plain(ref.scores));
  });
}

/** Tolerant comparison for general float data: a correct top-k up to rounding near the boundary. */
function expectClose(tables: NeighbourTable[], refs: RefTable[], numItems: number, tol: number): void {
  tables.forEach((t, o) => {
    const ref = refs[o]!;
    const k = ref.k;
    for (let i = 0; i < numItems; i++) {
      const ranked = ref.ranked(i);
      const count = Math.min(k, ranked.length);
      const seen = new Set<number>();
      for (let q = 0; q < k; q++) {
        const j = t.indices[i * k + q]!;
        const s = t.scores[i * k + q]!;
        if (q >= count) {
          expect(j).toBe(-1);
          expect(s).toBe(-Infinity);
          continue;
        }
        const exact = ref.score(i, j);
        expect(exact, `row ${i}: ${j} is not a candidate`).toBeDefined();
        expect(seen.has(j)).toBe(false);
        seen.add(j);
        expect(Math.abs(s - exact!)).toBeLessThanOrEqual(tol);
        expect(exact!).toBeGreaterThanOrEqual(ranked[count - 1]!.s - 2 * tol);
        if (q > 0) {
          const prev = t.scores[i * k + q - 1]!;
          expect(prev > s || (prev === s && t.indices[i * k + q - 1]! < j)).toBe(true);
        }
      }
    }
  });
}

function gaussianRows(n: number, dim: number, seed: number, zeroEvery = 0): Float32Array {
  let state = seed >>> 0 || 1;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    if (zeroEvery > 0 && i % zeroEvery === 0) continue;
    for (let c = 0; c < dim; c++) out[i * dim + c] = Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
  }
  return out;
}

describe('tfjsNodeGpuBackend on injected tfjs-wasm: fixed cases', () => {
  it('finds cosine neighbours, excludes self and breaks ties by smaller id', async () => {
    // Rows: 0 (1,0), 1 (1,0) twin of 0, 2 (0,1), 3 (0,0) zero, 4 (1,1), 5 (-1,0).
    const data = new Float32Array([1, 0, 1, 0, 0, 1, 0, 0, 1, 1, -1, 0]);
    const req: NeighbourSearchRequest = { numItems: 6, parts: [{ data, dim: 2 }], outputs: [{ parts: [0], k: 3 }] };
    const [t] = await search(req);
    const h = Math.fround(Math.SQRT1_2);
    expect(Array.from(t!.indices)).toEqual([1, 4, 2, 0, 4, 2, 4, 0, 1, -1, -1, -1, 0, 1, 2, 2, 4, 0]);
    expect(plain(t!.scores)).toEqual([1, h, 0, 1, h, 0, h, 0, 0, -Infinity, -Infinity, -Infinity, h, h, h, 0, -h, -1]);
  });

  it('matches the float64 reference on float32 and float64 data with zero rows', async () => {
    const n = 300;
    const a = gaussianRows(n, 24, 7, 11);
    const b = Float64Array.from(gaussianRows(n, 9, 8, 13));
    const req: NeighbourSearchRequest = {
      numItems: n,
      parts: [
        { data: a, dim: 24 },
        { data: b, dim: 9 },
      ],
      outputs: [
        { parts: [0], k: 10 },
        { parts: [1], k: 5 },
        { parts: [0, 1], k: 20 },
      ],
    };
    expectClose(await search(req, { blockRows: 64 }), referenceSearch(req), n, 2e-5);
  });

  it('handles k ≥ numItems, a single item and no items', async () => {
    const data = new Float32Array([1, 2, 3, 0, 0, 0, -1, 2, 0.5]);
    const req: NeighbourSearchRequest = { numItems: 3, parts: [{ data, dim: 3 }], outputs: [{ parts: [0], k: 5 }] };
    expectClose(await search(req), referenceSearch(req), 3, 1e-6);
    const one = await search({ numItems: 1, parts: [{ data: new Float32Array([1, 1]), dim: 2 }], outputs: [{ parts: [0], k: 2 }] });
    expect(Array.from(one[0]!.indices)).toEqual([-1, -1]);
    const none = await search({ numItems: 0, parts: [{ data: new Float32Array(0), dim: 4 }], outputs: [{ parts: [0], k: 2 }] });
    expect(none[0]!.indices).toHaveLength(0);
  });

  it('resolves boundary ties exactly when many rows are identical (exact recomputation path)', async () => {
    // 40 copies of one row, 10 of another: every row of the big cluster has a tie at its k-th
    // neighbour with columns that tf.topk(k+1) left out.
    const n = 50;
    const data = new Float32Array(n * 4);
    for (let i = 0; i < n; i++) data.set(i < 40 ? [1, 1, 1, 1] : [1, -1, 1, 1], i * 4);
    const req: NeighbourSearchRequest = { numItems: n, parts: [{ data, dim: 4 }], outputs: [{ parts: [0], k: 7 }] };
    expectExact(await search(req, { blockRows: 16 }), referenceSearch(req));
  });

  it('reports capabilities of the injected platform after init', async () => {
    const b = backend();
    await b.init();
    expect(b.capabilities).toEqual({ device: 'cpu', floatPrecision: 32 });
    expect(b.name).toBe('tfjs-node-gpu');
    await b.dispose();
  });
});

/** Rows whose float32 arithmetic is exact: 0, 1, 4 or 16 entries of ±1 (norms 1, 2, 4). */
const exactRow = (dim: number) =>
  fc.record({ count: fc.constantFrom(0, 1, 4, 16), shift: fc.nat(dim - 1), signs: fc.nat(0xffff) }).map(({ count, shift, signs }) => {
    const row = new Array<number>(dim).fill(0);
    for (let t = 0; t < count; t++) row[(shift + t) % dim] = (signs >> t) & 1 ? -1 : 1;
    return row;
  });

const exactRequest = fc.integer({ min: 1, max: 36 }).chain((n) =>
  fc
    .record({
      parts: fc.array(
        fc.integer({ min: 16, max: 18 }).chain((dim) =>
          fc.record({ dim: fc.constant(dim), rows: fc.array(exactRow(dim), { minLength: n, maxLength: n }), f64: fc.boolean() }),
        ),
        { minLength: 1, maxLength: 3 },
      ),
      outputs: fc.array(fc.record({ mask: fc.integer({ min: 1, max: 7 }), k: fc.integer({ min: 1, max: n + 2 }) }), {
        minLength: 1,
        maxLength: 3,
      }),
      blockRows: fc.option(fc.integer({ min: 1, max: n + 1 }), { nil: undefined }),
    })
    .map(({ parts, outputs, blockRows }) => {
      const req: NeighbourSearchRequest = {
        numItems: n,
        parts: parts.map(({ dim, rows, f64 }) => ({ dim, data: f64 ? Float64Array.from(rows.flat()) : Float32Array.from(rows.flat()) })),
        outputs: outputs.map(({ mask, k }) => {
          const ps = [0, 1, 2].filter((p) => p < parts.length && (mask >> p) & 1);
          return { parts: ps.length > 0 ? ps : [0], k };
        }),
      };
      return { req, blockRows };
    }),
);

/**
 * A tfjs module whose `topk` returns equal values in *descending* index order, the opposite
 * of our rule: the backend must not depend on any tie order of `tf.topk`.
 */
function adversarialTopk(base: typeof tf): TfModule {
  return {
    ...base,
    topk: (x: InstanceType<typeof base.Tensor>, k?: number, sorted?: boolean) => {
      const width = x.shape[x.shape.length - 1]!;
      const r = base.topk(base.reverse(x, -1), k, sorted);
      return { values: r.values, indices: base.sub(width - 1, r.indices) };
    },
  };
}

describe('tfjsNodeGpuBackend on injected tfjs-wasm: property-based, exact arithmetic', () => {
  it('equals the float64 reference exactly (ties, zero rows, k ≥ I, multi-part outputs, any block size)', async () => {
    await fc.assert(
      fc.asyncProperty(exactRequest, async ({ req, blockRows }) => {
        expectExact(await search(req, blockRows === undefined ? {} : { blockRows }), referenceSearch(req));
      }),
      { numRuns: 60 },
    );
  });

  it('stays exact when tf.topk orders ties the other way', async () => {
    const tfAdv = adversarialTopk(tf);
    await fc.assert(
      fc.asyncProperty(exactRequest, async ({ req, blockRows }) => {
        expectExact(await search(req, { tf: tfAdv, ...(blockRows === undefined ? {} : { blockRows }) }), referenceSearch(req));
      }),
      { numRuns: 30 },
    );
  });
});

describe('tfjsNodeGpuBackend on injected tfjs-wasm: property-based, random floats', () => {
  it('returns a correct top-k up to float32 rounding', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 60 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 1 << 30 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 5 }),
        async (n, dim, seed, k, zeroEvery) => {
          const req: NeighbourSearchRequest = {
            numItems: n,
            parts: [
              { data: gaussianRows(n, dim, seed, zeroEvery), dim },
              { data: gaussianRows(n, 3, seed + 1), dim: 3 },
            ],
            outputs: [
              { parts: [0], k },
              { parts: [0, 1], k },
            ],
          };
          expectClose(await search(req, { blockRows: 7 }), referenceSearch(req), n, 2e-5);
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('tfjsNodeGpuBackend lifecycle, progress, abort and errors', () => {
  const req: NeighbourSearchRequest = {
    numItems: 100,
    parts: [{ data: gaussianRows(100, 8, 3), dim: 8 }],
    outputs: [{ parts: [0], k: 4 }],
  };

  it('reports progress per block up to the total', async () => {
    const b = backend({ blockRows: 30 });
    const seen: Array<[number, number]> = [];
    await b.searchNeighbours(req, { onProgress: (d, t) => seen.push([d, t]) });
    expect(seen).toEqual([
      [30, 100],
      [60, 100],
      [90, 100],
      [100, 100],
    ]);
    await b.dispose();
  });

  it('rejects with AbortedError at the next block and frees every tensor', async () => {
    const b = backend({ blockRows: 10 });
    await b.init();
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    let blocks = 0;
    const pending = b.searchNeighbours(req, {
      signal: controller.signal,
      onProgress: () => {
        if (++blocks === 2) controller.abort();
      },
    });
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
    expect(blocks).toBe(2);
    expect(tf.memory().numTensors).toBe(before);
    const aborted = AbortSignal.abort();
    await expect(b.searchNeighbours(req, { signal: aborted })).rejects.toBeInstanceOf(AbortedError);
    await expect(b.init(aborted)).rejects.toBeInstanceOf(AbortedError);
    await b.dispose();
  });

  it('rejects calls after dispose(), which is idempotent', async () => {
    const b = backend();
    await b.init();
    await b.dispose();
    await b.dispose();
    await expect(b.searchNeighbours(req)).rejects.toBeInstanceOf(BackendDisposedError);
    await expect(b.init()).rejects.toBeInstanceOf(BackendDisposedError);
  });

  it('stops with BackendDisposedError when disposed during a search, without leaking', async () => {
    const b = backend({ blockRows: 10 });
    await b.init();
    const before = tf.memory().numTensors;
    const pending = b.searchNeighbours(req, { onProgress: () => void b.dispose() });
    await expect(pending).rejects.toBeInstanceOf(BackendDisposedError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('supports await using', async () => {
    let handle: ReturnType<typeof backend> | undefined;
    {
      await using b = backend();
      handle = b;
      await b.init();
    }
    await expect(handle.searchNeighbours(req)).rejects.toBeInstanceOf(BackendDisposedError);
  });

  it('initialises once under concurrent init() calls and searches without an explicit init()', async () => {
    const b = backend();
    await Promise.all([b.init(), b.init(), b.init()]);
    const fresh = backend();
    const [t] = await fresh.searchNeighbours(req);
    expect(t!.indices).toHaveLength(400);
    await b.dispose();
    await fresh.dispose();
  });

  it('rejects malformed requests with InvalidArgumentError (asynchronously)', async () => {
    const b = backend();
    const bad = { numItems: 3, parts: [{ data: new Float32Array(5), dim: 2 }], outputs: [{ parts: [0], k: 1 }] };
    const pending = b.searchNeighbours(bad);
    await expect(pending).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(b.searchNeighbours({ ...req, outputs: [{ parts: [0], k: 0 }] })).rejects.toBeInstanceOf(InvalidArgumentError);
    await b.dispose();
  });

  it('validates blockRows', () => {
    expect(() => tfjsNodeGpuBackend({ tf, blockRows: 0 })).toThrow(InvalidArgumentError);
    expect(() => tfjsNodeGpuBackend({ tf, blockRows: 2.5 })).toThrow(/blockRows/);
  });

  it('rejects init with BackendInitError when the requested tfjs backend does not exist', async () => {
    const b = tfjsNodeGpuBackend({ tf, backendName: 'no-such-backend' });
    const error = await b.init().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendInitError);
    expect((error as Error).message).toMatch(/'no-such-backend'.*--backend onnxruntime-node or cpu/);
    await b.dispose();
  });
});
