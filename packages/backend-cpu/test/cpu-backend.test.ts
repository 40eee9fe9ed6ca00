import { AbortedError, BackendDisposedError, BackendInitError, InvalidArgumentError, isViMmrecError } from '@vi-mmrec/core';
import type { NeighbourSearchRequest, NeighbourTable } from '@vi-mmrec/core/backend';
import { compareSearch } from '@vi-mmrec/test-utils';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { type CpuBackendOptions, cpuBackend, cpuBackendFactory } from '../src/index.js';
import { wasmApi } from '../src/wasm-api.js';
import { expectIdentical, expectMatchesReference, features, rng } from './helpers.js';

const wasm = wasmApi()!;
const backends: Array<{ dispose(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(backends.splice(0).map(async (b) => b.dispose()));
  vi.restoreAllMocks();
});

async function search(options: CpuBackendOptions, request: NeighbourSearchRequest): Promise<NeighbourTable[]> {
  const b = cpuBackend(options);
  backends.push(b);
  await b.init();
  return b.searchNeighbours(request);
}

/** Backends reused across the runs of a property (worker start-up is the slow part). */
const shared = new Map<string, ReturnType<typeof cpuBackend>>();
afterAll(async () => {
  await Promise.all([...shared.values()].map(async (b) => b.dispose()));
});
async function searchShared(options: CpuBackendOptions, request: NeighbourSearchRequest): Promise<NeighbourTable[]> {
  const key = JSON.stringify(options);
  let b = shared.get(key);
  if (b === undefined) {
    b = cpuBackend(options);
    shared.set(key, b);
  }
  return b.searchNeighbours(request);
}

/** Two parts with zero rows (in one part, in both), duplicated rows and an item zero only in part 1. */
function mixedRequest(numItems: number, seed: number, k = 4): NeighbourSearchRequest {
  const random = rng(seed);
  const dup: Array<[number, number]> =
    numItems > 9
      ? [
          [9, 2],
          [numItems - 1, 2],
        ]
      : [];
  const x0 = features(random, numItems, 37, numItems > 5 ? [3, 5] : [], dup);
  const x1 = features(random, numItems, 13, numItems > 5 ? [5, 4] : [], dup);
  return {
    numItems,
    parts: [
      { data: x0, dim: 37 },
      { data: x1, dim: 13 },
    ],
    outputs: [
      { parts: [0], k },
      { parts: [1], k: k + 2 },
      { parts: [0, 1], k },
    ],
  };
}

/** Enough work (≈ 1.6 GFLOP in 1,300+ tiles) that workers are still busy when the first progress arrives. */
function longRequest(): NeighbourSearchRequest {
  const random = rng(99);
  return { numItems: 2000, parts: [{ data: features(random, 2000, 400), dim: 400 }], outputs: [{ parts: [0], k: 5 }] };
}

const CONFIGS: Array<[string, CpuBackendOptions]> = [
  ['js kernel, 1 thread', { kernel: 'js', threads: 1, blockRows: 24 }],
  ['wasm, 1 thread', { kernel: 'wasm-simd', threads: 1, blockRows: 24 }],
  ['wasm, 2 workers', { kernel: 'wasm-simd', threads: 2, blockRows: 24 }],
  ['wasm, 3 workers, blocks of 48', { kernel: 'wasm-simd', threads: 3, blockRows: 48 }],
];

describe('cpuBackend searchNeighbours vs float64 reference', () => {
  it.each(CONFIGS)('fixed mixed case (%s)', async (_, options) => {
    const request = mixedRequest(130, 1);
    expectMatchesReference(request, await search(options, request));
  });

  it('duplicated rows are exact ties: the smaller id comes first', async () => {
    const request = mixedRequest(60, 2, 8);
    const tables = await search({ threads: 1 }, request);
    expectMatchesReference(request, tables);
    // Item 59 and item 9 are copies of item 2: row 2 lists 9 then 59 first (cosine 1, self excluded).
    const [t0] = tables;
    expect(Array.from(t0!.indices.subarray(2 * 8, 2 * 8 + 2))).toEqual([9, 59]);
    expect(t0!.scores[2 * 8]).toBe(t0!.scores[2 * 8 + 1]);
    expect(Array.from(t0!.indices.subarray(9 * 8, 9 * 8 + 2))).toEqual([2, 59]);
  });

  it('one item, k ≥ numItems, all-zero parts', async () => {
    const one: NeighbourSearchRequest = {
      numItems: 1,
      parts: [{ data: new Float32Array([1, 2, 3]), dim: 3 }],
      outputs: [{ parts: [0], k: 3 }],
    };
    const [t] = await search({}, one);
    expect(Array.from(t!.indices)).toEqual([-1, -1, -1]);
    expect(Array.from(t!.scores)).toEqual([-Infinity, -Infinity, -Infinity]);

    const small = mixedRequest(7, 3, 10);
    expectMatchesReference(small, await search({ threads: 2, blockRows: 1 }, small));

    const zeros: NeighbourSearchRequest = {
      numItems: 30,
      parts: [{ data: new Float64Array(30 * 5), dim: 5 }],
      outputs: [{ parts: [0], k: 2 }],
    };
    const [z] = await search({ threads: 2, blockRows: 24 }, zeros);
    expect(z!.indices.every((v) => v === -1)).toBe(true);
  });

  it('no items gives empty tables', async () => {
    const tables = await search({}, { numItems: 0, parts: [{ data: new Float32Array(0), dim: 4 }], outputs: [{ parts: [0], k: 3 }] });
    expect(tables[0]!.indices).toHaveLength(0);
  });

  it('float64 input and negative similarities', async () => {
    const random = rng(11);
    const data = Float64Array.from({ length: 50 * 6 }, () => random() - 0.5);
    const request: NeighbourSearchRequest = { numItems: 50, parts: [{ data, dim: 6 }], outputs: [{ parts: [0], k: 49 }] };
    expectMatchesReference(request, await search({ threads: 2, blockRows: 24 }, request));
  });

  it('random shapes (property): dims not multiples of 4, zero rows, duplicates, every path', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          numItems: fc.integer({ min: 1, max: 70 }),
          dims: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 3 }),
          k: fc.integer({ min: 1, max: 12 }),
          seed: fc.integer(),
          zeroShare: fc.double({ min: 0, max: 0.4, noNaN: true }),
          dupShare: fc.double({ min: 0, max: 0.3, noNaN: true }),
          config: fc.constantFrom(...CONFIGS.map(([, c]) => c)),
          blockRows: fc.constantFrom(1, 24, 25, 48, 60),
        }),
        async ({ numItems, dims, k, seed, zeroShare, dupShare, config, blockRows }) => {
          const random = rng(seed);
          const copies: Array<[number, number]> = [];
          for (let i = 1; i < numItems; i++) if (random() < dupShare) copies.push([i, Math.floor(random() * i)]);
          const parts = dims.map((dim) => {
            const zero = [];
            for (let i = 0; i < numItems; i++) if (random() < zeroShare) zero.push(i);
            return { data: features(random, numItems, dim, zero, copies), dim };
          });
          const outputs = [...dims.map((_, p) => ({ parts: [p], k })), { parts: dims.map((_, p) => p), k }];
          const request = { numItems, parts, outputs };
          expectMatchesReference(request, await searchShared({ ...config, blockRows }, request));
        },
      ),
      { numRuns: 40 },
    );
  }, 60_000);
});

describe('paths agree bit for bit', () => {
  it('js kernel, wasm 1 thread, wasm workers and different block sizes give identical tables', async () => {
    const request = mixedRequest(300, 5, 7);
    const results = await Promise.all([
      search({ kernel: 'js', threads: 1, blockRows: 96 }, request),
      search({ threads: 1, blockRows: 256 }, request),
      search({ threads: 2, blockRows: 24 }, request),
      search({ threads: 2, blockRows: 72 }, request),
    ]);
    for (const r of results.slice(1)) expectIdentical(r, results[0]);
    expectMatchesReference(request, results[0]);
  });
});

describe('fallbacks', () => {
  it("'auto' falls back to the scalar kernel, with a warning, when WebAssembly SIMD is missing", async () => {
    vi.spyOn(wasm, 'validate').mockReturnValue(false);
    const warn = vi.fn();
    const request = mixedRequest(80, 8);
    const tables = await search({ logger: { info: () => undefined, warn }, threads: 2, blockRows: 24 }, request);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('WebAssembly SIMD is not available'));
    expectMatchesReference(request, tables);
  });

  it("'wasm-simd' without SIMD rejects init with BackendInitError", async () => {
    vi.spyOn(wasm, 'validate').mockReturnValue(false);
    const b = cpuBackend({ kernel: 'wasm-simd' });
    backends.push(b);
    await expect(b.init()).rejects.toBeInstanceOf(BackendInitError);
  });
});

describe('options', () => {
  it('rejects invalid options with InvalidArgumentError', () => {
    expect(() => cpuBackend({ threads: 0 })).toThrow(InvalidArgumentError);
    expect(() => cpuBackend({ threads: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => cpuBackend({ blockRows: -3 })).toThrow(InvalidArgumentError);
    expect(() => cpuBackend({ kernel: 'gpu' as never })).toThrow(InvalidArgumentError);
  });

  it('factory and capabilities', () => {
    expect(cpuBackendFactory.name).toBe('cpu');
    expect(cpuBackendFactory.priority).toBe(100);
    const b = cpuBackendFactory.create();
    backends.push(b);
    expect(b.name).toBe('cpu');
    expect(b.capabilities).toEqual({ device: 'cpu', floatPrecision: 32 });
  });

  it('rejects malformed requests without throwing synchronously', async () => {
    const b = cpuBackend();
    backends.push(b);
    const bad = { numItems: 3, parts: [{ data: new Float32Array(5), dim: 2 }], outputs: [{ parts: [0], k: 1 }] };
    const p = b.searchNeighbours(bad);
    await expect(p).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('progress, abort, dispose', () => {
  it.each(CONFIGS)('progress is monotone, per block, and ends at (n, n) (%s)', async (_, options) => {
    const request = mixedRequest(100, 9);
    const b = cpuBackend(options);
    backends.push(b);
    const calls: Array<[number, number]> = [];
    await b.searchNeighbours(request, { onProgress: (d, t) => calls.push([d, t]) });
    expect(calls.length).toBeGreaterThan(1);
    for (let x = 1; x < calls.length; x++) expect(calls[x]![0]).toBeGreaterThan(calls[x - 1]![0]);
    expect(calls.at(-1)).toEqual([100, 100]);
    expect(calls.every(([, t]) => t === 100)).toBe(true);
  });

  it.each(CONFIGS)('abort before and during a search rejects with AbortedError (%s)', async (_, options) => {
    const b = cpuBackend(options);
    backends.push(b);
    const request = options.kernel === 'js' ? mixedRequest(150, 10) : longRequest();
    const before = new AbortController();
    before.abort(new Error('stop'));
    await expect(b.searchNeighbours(request, { signal: before.signal })).rejects.toBeInstanceOf(AbortedError);

    const during = new AbortController();
    let progressAfterAbort = 0;
    const p = b.searchNeighbours(request, {
      signal: during.signal,
      onProgress: () => {
        if (during.signal.aborted) progressAfterAbort++;
        during.abort();
      },
    });
    const error: unknown = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isViMmrecError(error, 'ABORTED')).toBe(true);
    // At most the tiles already running finish after the abort.
    expect(progressAfterAbort).toBeLessThanOrEqual(options.threads ?? 2);
    // The backend stays usable.
    const small = mixedRequest(120, 10);
    expectMatchesReference(small, await b.searchNeighbours(small));
  });

  it.each(CONFIGS)('dispose: later calls reject, a running search rejects with BackendDisposedError (%s)', async (_, options) => {
    const b = cpuBackend(options);
    const request = options.kernel === 'js' ? mixedRequest(150, 12) : longRequest();
    let disposing: Promise<void> | undefined;
    const p = b.searchNeighbours(request, {
      onProgress: () => {
        disposing ??= b.dispose();
      },
    });
    await expect(p).rejects.toBeInstanceOf(BackendDisposedError);
    await disposing;
    await expect(b.searchNeighbours(request)).rejects.toBeInstanceOf(BackendDisposedError);
    await expect(b.init()).rejects.toBeInstanceOf(BackendDisposedError);
    await b.dispose(); // idempotent
    await b[Symbol.asyncDispose]();
  });

  it('concurrent searches on one backend are serialised and both correct', async () => {
    const b = cpuBackend({ threads: 2, blockRows: 24 });
    backends.push(b);
    const r1 = mixedRequest(90, 13);
    const r2 = mixedRequest(110, 14);
    const [t1, t2] = await Promise.all([b.searchNeighbours(r1), b.searchNeighbours(r2)]);
    expectMatchesReference(r1, t1);
    expectMatchesReference(r2, t2);
  });
});

describe('the reference check itself', () => {
  it('passes the backend and rejects the same tables with one tie between twins swapped', async () => {
    const numItems = 49;
    const k = 4;
    const random = rng(0);
    const copies: Array<[number, number]> = [];
    for (let i = 1; i < numItems; i++) if (random() < 0.15) copies.push([i, Math.floor(random() * i)]);
    const parts = [13, 1].map((dim) => {
      const zero: number[] = [];
      for (let i = 0; i < numItems; i++) if (random() < 0.33) zero.push(i);
      return { data: features(random, numItems, dim, zero, copies), dim };
    });
    const request = {
      numItems,
      parts,
      outputs: [
        { parts: [0], k },
        { parts: [1], k },
        { parts: [0, 1], k },
      ],
    };
    const tables = await search({ kernel: 'js', threads: 1, blockRows: 24 }, request);
    expectMatchesReference(request, tables);
    // Swap the first adjacent pair of twins (copies of one row, equal scores) in output 0.
    const swapped = tables.map((t) => ({ ...t, indices: t.indices.slice() }));
    const ids = swapped[0]!.indices;
    const scores = tables[0]!.scores;
    const x = ids.findIndex(
      (j, at) =>
        at % k < k - 1 &&
        j >= 0 &&
        ids[at + 1]! >= 0 &&
        scores[at] === scores[at + 1] &&
        copies.some(([d, s]) => d === ids[at + 1] && (s === j || copies.some(([d2, s2]) => d2 === j && s2 === s))),
    );
    expect(x, 'the case has a twin tie').toBeGreaterThanOrEqual(0);
    [ids[x], ids[x + 1]] = [ids[x + 1]!, ids[x]!];
    expect(compareSearch(request, swapped, { relTol: 1e-5 })).toMatch(/smaller id|twins/);
  });
});
