import { describe, expect, it } from 'vitest';
import { type BackendDefinition, type SearchContext, defineBackend } from '../src/define-backend.js';
import { isViMmrecError } from '../src/errors.js';
import type { NeighbourSearchRequest, NeighbourTable } from '../src/spi.js';
import type { ViMmrecErrorCode } from '../src/errors.js';

const request: NeighbourSearchRequest = {
  numItems: 4,
  parts: [{ dim: 1, data: new Float32Array([1, 2, 3, 4]) }],
  outputs: [{ parts: [0], k: 1 }],
};
const table = (): NeighbourTable => ({ k: 1, indices: new Int32Array(4), scores: new Float32Array(4) });

/** Deferred promise. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A definition recording its calls; `inits` decides what each init call does. */
function recorder(overrides: Partial<BackendDefinition<string>> = {}) {
  const calls = { init: [] as Array<AbortSignal | undefined>, search: 0, dispose: [] as string[] };
  let n = 0;
  const definition: BackendDefinition<string> = {
    name: 'probe',
    capabilities: { device: 'cpu', floatPrecision: 32 },
    init: async (signal) => {
      calls.init.push(signal);
      return `state${++n}`;
    },
    search: async () => {
      calls.search++;
      return [table()];
    },
    dispose: (state) => {
      calls.dispose.push(state);
    },
    ...overrides,
  };
  return { backend: defineBackend(definition), calls };
}

async function outcome(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    (v) => ({ resolved: v }),
    (e: unknown) => e,
  );
}

function expectCode(e: unknown, code: ViMmrecErrorCode): void {
  expect(isViMmrecError(e, code), String(e instanceof Error ? e.message : JSON.stringify(e))).toBe(true);
}

describe('defineBackend: init', () => {
  it('runs definition.init once for repeated and concurrent calls', async () => {
    const { backend, calls } = recorder();
    await Promise.all([backend.init(), backend.init(), backend.init()]);
    await backend.init();
    await backend.searchNeighbours(request);
    expect(calls.init).toHaveLength(1);
    expect(calls.search).toBe(1);
  });

  it('does not cache a failed init: the next call retries', async () => {
    let fail = true;
    const { backend, calls } = recorder({
      init: async (signal) => {
        calls.init.push(signal);
        if (fail) throw new Error('no runtime');
        return 'ok';
      },
    });
    await expect(backend.init()).rejects.toThrow('no runtime');
    await expect(backend.searchNeighbours(request)).rejects.toThrow('no runtime');
    fail = false;
    await backend.init();
    await expect(backend.searchNeighbours(request)).resolves.toHaveLength(1);
    expect(calls.init).toHaveLength(3);
  });

  it('passes the signal; an aborted init rejects with AbortedError and is not cached', async () => {
    const gate = deferred<void>();
    const { backend, calls } = recorder({
      init: async (signal) => {
        calls.init.push(signal);
        if (calls.init.length === 1) {
          await gate.promise;
          signal?.throwIfAborted();
        }
        return 'ok';
      },
    });
    const controller = new AbortController();
    const first = backend.init(controller.signal);
    controller.abort();
    // The caller stops waiting at once, before the definition's init notices.
    expectCode(await outcome(first), 'ABORTED');
    gate.resolve();
    await backend.init();
    expect(calls.init).toHaveLength(2);
    expect(calls.init[0]).toBe(controller.signal);
    await expect(backend.searchNeighbours(request)).resolves.toHaveLength(1);
  });

  it('an already aborted signal rejects without starting init', async () => {
    const { backend, calls } = recorder();
    expectCode(await outcome(backend.init(AbortSignal.abort())), 'ABORTED');
    expect(calls.init).toHaveLength(0);
  });

  it("a caller that joined another caller's aborted init retries instead of failing", async () => {
    const gate = deferred<void>();
    const { backend, calls } = recorder({
      init: async (signal) => {
        calls.init.push(signal);
        await gate.promise;
        signal?.throwIfAborted();
        return 'ok';
      },
    });
    const controller = new AbortController();
    const aborted = backend.init(controller.signal);
    const other = backend.init();
    controller.abort();
    gate.resolve();
    expectCode(await outcome(aborted), 'ABORTED');
    await expect(other).resolves.toBeUndefined();
    expect(calls.init).toHaveLength(2);
  });
});

describe('defineBackend: searchNeighbours prologue', () => {
  it('checks disposed, then the request, then the signal, then inits', async () => {
    const { backend, calls } = recorder();
    const bad = { ...request, outputs: [{ parts: [0], k: 0 }] };
    const aborted = AbortSignal.abort();
    // Invalid request and aborted signal: the request is reported first, and init never ran.
    expectCode(await outcome(backend.searchNeighbours(bad, { signal: aborted })), 'INVALID_ARGUMENT');
    expectCode(await outcome(backend.searchNeighbours(request, { signal: aborted })), 'ABORTED');
    expect(calls.init).toHaveLength(0);
    await backend.dispose();
    expectCode(await outcome(backend.searchNeighbours(bad, { signal: aborted })), 'BACKEND_DISPOSED');
    expect(calls.search).toBe(0);
  });

  it('applies capabilities.maxItems', async () => {
    const { backend } = recorder({ capabilities: { device: 'cpu', floatPrecision: 32, maxItems: 3 } });
    expectCode(await outcome(backend.searchNeighbours(request)), 'UNSUPPORTED_OPERATION');
  });

  it('never throws synchronously', async () => {
    const { backend } = recorder();
    let p: Promise<unknown> | undefined;
    expect(() => {
      p = backend.searchNeighbours({ ...request, numItems: -1 });
    }).not.toThrow();
    await expect(p).rejects.toThrow(/numItems/);
  });
});

describe('defineBackend: search context', () => {
  const searching = (body: (ctx: SearchContext) => Promise<void> | void) =>
    recorder({
      search: async (_state, _request, ctx) => {
        await body(ctx);
        return [table()];
      },
    }).backend;

  it('checkpoint reports progress out of numItems', async () => {
    const seen: Array<[number, number]> = [];
    const backend = searching((ctx) => {
      ctx.checkpoint(2);
      ctx.checkpoint(4);
    });
    await backend.searchNeighbours(request, { onProgress: (d, t) => seen.push([d, t]) });
    expect(seen).toEqual([
      [2, 4],
      [4, 4],
    ]);
  });

  it('checkpoint throws AbortedError once aborted, before reporting', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    let thrown: unknown;
    const backend = searching((ctx) => {
      ctx.checkpoint(2);
      try {
        ctx.checkpoint(4);
      } catch (e) {
        thrown = e;
        throw e;
      }
    });
    const p = backend.searchNeighbours(request, {
      signal: controller.signal,
      onProgress: (d) => {
        seen.push(d);
        controller.abort();
      },
    });
    expectCode(await outcome(p), 'ABORTED');
    expectCode(thrown, 'ABORTED');
    expect(seen).toEqual([2]);
  });

  it('rejects a search aborted during its only block (after its last checkpoint)', async () => {
    const controller = new AbortController();
    const backend = searching((ctx) => ctx.checkpoint(4));
    const p = backend.searchNeighbours(request, { signal: controller.signal, onProgress: () => controller.abort() });
    expectCode(await outcome(p), 'ABORTED');
  });

  it('rejects a search aborted while a block runs, even if the compute never checks', async () => {
    const controller = new AbortController();
    const backend = searching(async () => {
      controller.abort();
      await Promise.resolve();
    });
    expectCode(await outcome(backend.searchNeighbours(request, { signal: controller.signal })), 'ABORTED');
  });

  it('checkpoint and throwIfStopped throw BackendDisposedError after dispose', async () => {
    const gate = deferred<void>();
    const errors: unknown[] = [];
    const backend = searching(async (ctx) => {
      await gate.promise;
      for (const check of [() => ctx.throwIfStopped(), () => ctx.checkpoint(1)]) {
        try {
          check();
        } catch (e) {
          errors.push(e);
        }
      }
    });
    const p = backend.searchNeighbours(request);
    await new Promise((r) => setTimeout(r, 0));
    await backend.dispose();
    gate.resolve();
    expectCode(await outcome(p), 'BACKEND_DISPOSED');
    expect(errors).toHaveLength(2);
    errors.forEach((e) => expectCode(e, 'BACKEND_DISPOSED'));
  });
});

describe('defineBackend: dispose', () => {
  it('is idempotent and releases the state once; later calls reject', async () => {
    const { backend, calls } = recorder();
    await backend.init();
    await backend.dispose();
    await backend.dispose();
    await backend[Symbol.asyncDispose]();
    expect(calls.dispose).toEqual(['state1']);
    expectCode(await outcome(backend.init()), 'BACKEND_DISPOSED');
    expectCode(await outcome(backend.searchNeighbours(request)), 'BACKEND_DISPOSED');
  });

  it('without init, releases nothing', async () => {
    const { backend, calls } = recorder();
    await backend.dispose();
    expect(calls.dispose).toEqual([]);
    expect(calls.init).toHaveLength(0);
  });

  it('waits for a pending init, releases its state, and the init caller sees BackendDisposedError', async () => {
    const gate = deferred<string>();
    const { backend, calls } = recorder({ init: async () => gate.promise });
    const init = backend.init();
    const disposed = backend.dispose();
    gate.resolve('late');
    await disposed;
    expect(calls.dispose).toEqual(['late']);
    expectCode(await outcome(init), 'BACKEND_DISPOSED');
  });

  it('ignores a pending init that fails', async () => {
    const gate = deferred<string>();
    const { backend, calls } = recorder({ init: async () => gate.promise });
    const init = backend.init();
    const disposed = backend.dispose();
    gate.reject(new Error('boom'));
    await expect(disposed).resolves.toBeUndefined();
    expect(calls.dispose).toEqual([]);
    expect(await outcome(init)).toBeInstanceOf(Error);
  });

  it('reads capabilities through the definition (a getter may refine them after init)', async () => {
    let device: 'cpu' | 'gpu' = 'cpu';
    const backend = defineBackend({
      name: 'g',
      get capabilities() {
        return { device, floatPrecision: 32 as const };
      },
      init: async () => {
        device = 'gpu';
      },
      search: async () => [],
    });
    expect(backend.capabilities.device).toBe('cpu');
    await backend.init();
    expect(backend.capabilities.device).toBe('gpu');
    expect(backend.name).toBe('g');
  });
});

describe('defineBackend: query ranges (request.rows)', () => {
  /** A table whose row i holds item id i (so a slice shows which rows were kept). */
  const idTable = (rows: number, first = 0): NeighbourTable => ({
    k: 1,
    indices: Int32Array.from({ length: rows }, (_, r) => first + r),
    scores: Float32Array.from({ length: rows }, (_, r) => first + r),
  });
  const seenBy = (rowRanges: boolean | undefined) => {
    const requests: NeighbourSearchRequest[] = [];
    const backend = recorder({
      ...(rowRanges === undefined ? {} : { rowRanges }),
      search: async (_state, req, ctx) => {
        requests.push(req);
        const r = req.rows ?? { start: 0, end: req.numItems };
        ctx.checkpoint(r.end - r.start);
        return [idTable(r.end - r.start, r.start)];
      },
    }).backend;
    return { backend, requests };
  };

  it('without rowRanges, searches every row and keeps the range', async () => {
    const { backend, requests } = seenBy(undefined);
    const progress: Array<[number, number]> = [];
    const [t] = await backend.searchNeighbours({ ...request, rows: { start: 1, end: 3 } }, { onProgress: (d, n) => progress.push([d, n]) });
    expect(requests[0]!.rows).toBeUndefined();
    expect([...t!.indices]).toEqual([1, 2]);
    expect(progress).toEqual([[4, 4]]);
  });

  it('with rowRanges, hands the range to the search and reports progress out of its rows', async () => {
    const { backend, requests } = seenBy(true);
    const progress: Array<[number, number]> = [];
    const [t] = await backend.searchNeighbours({ ...request, rows: { start: 1, end: 3 } }, { onProgress: (d, n) => progress.push([d, n]) });
    expect(requests[0]!.rows).toEqual({ start: 1, end: 3 });
    expect([...t!.indices]).toEqual([1, 2]);
    expect(progress).toEqual([[2, 2]]);
  });

  it('drops a range of every item before the search', async () => {
    const { backend, requests } = seenBy(true);
    await backend.searchNeighbours({ ...request, rows: { start: 0, end: 4 } });
    expect(requests[0]!.rows).toBeUndefined();
  });

  it('rejects a range outside the items, naming rows', async () => {
    const { backend } = seenBy(true);
    for (const rows of [
      { start: 3, end: 2 },
      { start: 0, end: 5 },
      { start: -1, end: 2 },
      { start: 0.5, end: 2 },
    ]) {
      const e = await outcome(backend.searchNeighbours({ ...request, rows }));
      expectCode(e, 'INVALID_ARGUMENT');
      expect((e as Error).message).toMatch(/^rows must be integers with 0 ≤ start ≤ end ≤ numItems \(4\)/);
    }
  });
});
