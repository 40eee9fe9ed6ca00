import { AbortedError, BackendDisposedError, BackendInitError, InvalidArgumentError } from '@vi-mmrec/core';
import type { NeighbourSearchRequest, NeighbourTable } from '@vi-mmrec/core/backend';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type TfModule, tfjsNodeGpuBackend } from '../src/index.js';
import { expectClose, expectExact, exactRequest, gaussianRows, plain } from './helpers.js';
import { referenceNeighbours } from '@vi-mmrec/test-utils';
import { tf, wasmTf } from './wasm-tf.js';

beforeAll(async () => {
  await wasmTf();
});

type Options = { blockRows?: number; maxChunkBytes?: number; tf?: TfModule };
const backend = ({ tf: injected, ...rest }: Options = {}) => tfjsNodeGpuBackend({ tf: injected ?? tf, backendName: 'wasm', ...rest });

/** Runs a search and checks that no tensor outlives it. */
async function search(req: NeighbourSearchRequest, options: Options = {}): Promise<NeighbourTable[]> {
  const b = backend(options);
  await b.init();
  const before = tf.memory().numTensors;
  const tables = await b.searchNeighbours(req);
  expect(tf.memory().numTensors).toBe(before);
  await b.dispose();
  return tables;
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
    expectClose(await search(req, { blockRows: 64 }), req, 1e-5);
  });

  it('handles k ≥ numItems, a single item and no items', async () => {
    const data = new Float32Array([1, 2, 3, 0, 0, 0, -1, 2, 0.5]);
    const req: NeighbourSearchRequest = { numItems: 3, parts: [{ data, dim: 3 }], outputs: [{ parts: [0], k: 5 }] };
    expectClose(await search(req), req, 1e-6);
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
    expectExact(await search(req, { blockRows: 16 }), referenceNeighbours(req));
  });

  it('settles rows on the device without recomputation when there are no boundary ties', async () => {
    // One product per row block and column chunk; exact recomputation adds products.
    let products = 0;
    const counting = { ...tf, matMul: (...args: Parameters<typeof tf.matMul>) => (products++, tf.matMul(...args)) };
    const n = 200;
    const req: NeighbourSearchRequest = {
      numItems: n,
      parts: [{ data: gaussianRows(n, 16, 99), dim: 16 }],
      outputs: [
        { parts: [0], k: 5 },
        { parts: [0], k: 1 },
      ],
    };
    expectClose(await search(req, { tf: counting, blockRows: 50 }), req, 1e-5);
    expect(products).toBe(4);
    // …while a cluster of identical rows larger than k + 1 must be recomputed exactly.
    products = 0;
    const twins: NeighbourSearchRequest = {
      numItems: 30,
      parts: [{ data: new Float32Array(30 * 4).fill(1), dim: 4 }],
      outputs: [{ parts: [0], k: 3 }],
    };
    expectExact(await search(twins, { tf: counting }), referenceNeighbours(twins));
    expect(products).toBeGreaterThan(1);
  });

  it('gives the same tables with the features split into many chunks of items', async () => {
    // 7 items per chunk (2 parts, 4 + 3 dims, 4 bytes each): 200 items → 29 chunks, the last
    // one partial; products are concatenated per row block.
    const n = 200;
    const req: NeighbourSearchRequest = {
      numItems: n,
      parts: [
        { data: gaussianRows(n, 4, 5), dim: 4 },
        { data: gaussianRows(n, 3, 6), dim: 3 },
      ],
      outputs: [
        { parts: [0], k: 4 },
        { parts: [0, 1], k: 6 },
      ],
    };
    let products = 0;
    const counting = { ...tf, matMul: (...args: Parameters<typeof tf.matMul>) => (products++, tf.matMul(...args)) };
    const got = await search(req, { tf: counting, blockRows: 64, maxChunkBytes: 7 * 4 * 7 });
    expectClose(got, req, 1e-5);
    expect(products).toBeGreaterThanOrEqual(4 * 2 * 29); // 4 row blocks × 2 parts × 29 chunks
  });

  it('rejects a maxChunkBytes that is not a positive integer', () => {
    expect(() => tfjsNodeGpuBackend({ tf, maxChunkBytes: 0 })).toThrow(/maxChunkBytes must be a positive integer/);
  });

  it('reports capabilities of the injected platform after init', async () => {
    const b = backend();
    await b.init();
    expect(b.capabilities).toEqual({ device: 'cpu', floatPrecision: 32 });
    expect(b.name).toBe('tfjs-node-gpu');
    await b.dispose();
  });
});

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
        expectExact(await search(req, blockRows === undefined ? {} : { blockRows }), referenceNeighbours(req));
      }),
      { numRuns: 60 },
    );
  });

  it('stays exact when tf.topk orders ties the other way', async () => {
    const tfAdv = adversarialTopk(tf);
    await fc.assert(
      fc.asyncProperty(exactRequest, async ({ req, blockRows }) => {
        expectExact(await search(req, { tf: tfAdv, ...(blockRows === undefined ? {} : { blockRows }) }), referenceNeighbours(req));
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
          expectClose(await search(req, { blockRows: 7 }), req, 1e-5);
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
